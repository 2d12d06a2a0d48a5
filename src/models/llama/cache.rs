//! The key/value cache of generation: per block, the rotated keys and the values of every
//! position seen so far [batch, kv_heads, positions, head_dim]. A cache with a capacity keeps
//! them in buffers allocated once and written in place, so a step costs no copy of the cache
//! (appending by concatenation copies all of it at every step).

use burn::tensor::Tensor;

/// Keys and values of the positions a model has seen.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
    len: usize,
    keep: bool,
    capacity: usize,
}

impl KvCache {
    /// A cache that keeps what each forward adds (generation), growing by concatenation.
    pub fn new() -> KvCache {
        KvCache {
            keep: true,
            ..KvCache::default()
        }
    }

    /// A cache of at most `capacity` positions in preallocated buffers.
    pub fn with_capacity(capacity: usize) -> KvCache {
        KvCache {
            keep: true,
            capacity,
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
        let [b, h, n, d] = k.dims();
        let end = self.len + n;
        if self.capacity >= end {
            let (kb, vb) = self.layers[i].take().unwrap_or_else(|| {
                let zeros = || Tensor::<4>::zeros([b, h, self.capacity, d], &k.device());
                (zeros(), zeros())
            });
            let at = [0..b, 0..h, self.len..end, 0..d];
            let (kb, vb) = (kb.slice_assign(at.clone(), k), vb.slice_assign(at, v));
            let seen = [0..b, 0..h, 0..end, 0..d];
            let out = (kb.clone().slice(seen.clone()), vb.clone().slice(seen));
            self.layers[i] = Some((kb, vb));
            return out;
        }
        let (k, v) = match self.layers[i].take() {
            // A full buffer: its positions seen, then grown by concatenation.
            Some((pk, pv)) if self.capacity > 0 => {
                let seen = [0..b, 0..h, 0..self.len, 0..d];
                let (pk, pv) = (pk.slice(seen.clone()), pv.slice(seen));
                (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2))
            }
            Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
            None => (k, v),
        };
        if self.keep {
            self.layers[i] = Some((k.clone(), v.clone()));
        }
        (k, v)
    }

    /// Forgets every position, keeping the buffers for the next ones.
    pub fn reset(&mut self) {
        self.len = 0;
    }

    /// Counts `n` new positions (after every block has extended).
    pub fn advance(&mut self, n: usize) {
        if self.keep {
            self.len += n;
        }
    }
}
