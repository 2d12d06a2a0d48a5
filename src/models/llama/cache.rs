//! The key/value cache of generation: per block, the rotated keys and the values of every
//! position seen so far [batch, kv_heads, positions, head_dim].

use burn::tensor::Tensor;

/// Keys and values of the positions a model has seen.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    len: usize,
    keep: bool,
}

impl KvCache {
    /// A cache that keeps what each forward adds (generation).
    pub fn new() -> KvCache {
        KvCache {
            keep: true,
            ..KvCache::default()
        }
    }

    /// No cache: every forward starts at position 0 and keeps nothing (scoring).
    pub fn none() -> KvCache {
        KvCache::default()
    }

    /// Positions seen.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no position has been seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Block `i`'s keys and values with `k` and `v` of the new positions appended.
    pub fn extend(&mut self, i: usize, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        if self.layers.len() <= i {
            self.layers.resize(i + 1, None);
        }
        let (k, v) = match self.layers[i].take() {
            Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
            None => (k, v),
        };
        if self.keep {
            self.layers[i] = Some((k.clone(), v.clone()));
        }
        (k, v)
    }

    /// Counts `n` new positions (after every block has extended).
    pub fn advance(&mut self, n: usize) {
        if self.keep {
            self.len += n;
        }
    }
}
