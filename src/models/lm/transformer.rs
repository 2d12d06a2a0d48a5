//! A small pre-norm causal transformer over bytes with learned positions and a sliding
//! context window. Coding feeds one symbol per step against a key/value cache; when the window
//! is full, the cache is rebuilt from the last half of the window (one causal pass over
//! symbols both directions already know), so every prediction sees at least half a window.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use super::config::LmConfig;

/// One pre-norm block: causal self-attention and a feed-forward layer.
#[derive(Module, Debug)]
pub struct Block {
    norm1: LayerNorm,
    qkv: Linear,
    out: Linear,
    norm2: LayerNorm,
    up: Linear,
    down: Linear,
}

/// The transformer language model.
#[derive(Module, Debug)]
pub struct TransformerLm {
    embed: Embedding,
    position: Embedding,
    blocks: Vec<Block>,
    norm: LayerNorm,
    head: Linear,
    heads: usize,
    window: usize,
}

/// Cache of a batch of streams: per block, keys and values [batch, heads, len, head_dim], and
/// the symbols currently in the window (the same count for every stream).
#[derive(Debug, Clone)]
pub struct TransformerState {
    cache: Vec<(Tensor<4>, Tensor<4>)>,
    window: Vec<Vec<usize>>,
}

impl TransformerLm {
    /// A fresh model.
    pub fn new(config: &LmConfig, device: &Device) -> TransformerLm {
        let d = config.hidden;
        TransformerLm {
            embed: EmbeddingConfig::new(config.vocab + 1, d).init(device),
            position: EmbeddingConfig::new(config.window, d).init(device),
            blocks: (0..config.layers)
                .map(|_| Block {
                    norm1: LayerNormConfig::new(d).init(device),
                    qkv: LinearConfig::new(d, 3 * d).init(device),
                    out: LinearConfig::new(d, d).init(device),
                    norm2: LayerNormConfig::new(d).init(device),
                    up: LinearConfig::new(d, 4 * d).init(device),
                    down: LinearConfig::new(4 * d, d).init(device),
                })
                .collect(),
            norm: LayerNormConfig::new(d).init(device),
            head: LinearConfig::new(d, config.vocab).init(device),
            heads: config.heads,
            window: config.window,
        }
    }

    /// Symbols it predicts.
    pub fn vocab(&self) -> usize {
        self.head.weight.dims()[1]
    }

    /// Nothing seen yet.
    pub fn start(&self, batch: usize) -> TransformerState {
        TransformerState {
            cache: Vec::new(),
            window: vec![Vec::new(); batch],
        }
    }

    /// [batch, len, d] → [batch, heads, len, d / heads].
    fn split_heads(&self, x: Tensor<3>) -> Tensor<4> {
        let [b, l, d] = x.dims();
        x.reshape([b, l, self.heads, d / self.heads])
            .swap_dims(1, 2)
    }

    /// Runs the blocks over `x` [batch, len, d] whose positions follow `past` cached
    /// positions; `mask` hides future positions. Returns the output and the updated cache.
    fn blocks(
        &self,
        mut x: Tensor<3>,
        past: Vec<(Tensor<4>, Tensor<4>)>,
        mask: Option<Tensor<4, Bool>>,
    ) -> (Tensor<3>, Vec<(Tensor<4>, Tensor<4>)>) {
        let [b, l, d] = x.dims();
        let scale = 1.0 / ((d / self.heads) as f64).sqrt();
        let mut past = past.into_iter();
        let mut cache = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let qkv = block
                .qkv
                .forward(block.norm1.forward(x.clone()))
                .chunk(3, 2);
            let q = self.split_heads(qkv[0].clone());
            let mut k = self.split_heads(qkv[1].clone());
            let mut v = self.split_heads(qkv[2].clone());
            if let Some((pk, pv)) = past.next() {
                k = Tensor::cat(vec![pk, k], 2);
                v = Tensor::cat(vec![pv, v], 2);
            }
            let mut scores = q.matmul(k.clone().swap_dims(2, 3)) * scale;
            if let Some(mask) = &mask {
                scores = scores.mask_fill(mask.clone(), -1e9);
            }
            let attended = softmax(scores, 3)
                .matmul(v.clone())
                .swap_dims(1, 2)
                .reshape([b, l, d]);
            x = x + block.out.forward(attended);
            x = x.clone()
                + block
                    .down
                    .forward(gelu(block.up.forward(block.norm2.forward(x))));
            cache.push((k, v));
        }
        (self.head.forward(self.norm.forward(x)), cache)
    }

    fn embed(&self, inputs: Tensor<2, Int>, first_position: usize) -> Tensor<3> {
        let [b, l] = inputs.dims();
        let device = inputs.device();
        let positions: Vec<i64> = (0..b)
            .flat_map(|_| (first_position..first_position + l).map(|p| p as i64))
            .collect();
        let positions = Tensor::<2, Int>::from_data(TensorData::new(positions, [b, l]), &device);
        self.embed.forward(inputs) + self.position.forward(positions)
    }

    fn causal_mask(&self, b: usize, l: usize, device: &Device) -> Tensor<4, Bool> {
        // True above the diagonal (the future), which attention must not see.
        Tensor::<2, Bool>::tril_mask([l, l], 0, device)
            .unsqueeze::<4>()
            .expand([b, self.heads, l, l])
    }

    /// Logits for every position of windows [batch, len ≤ window] (positions from 0).
    pub fn forward(&self, inputs: Tensor<2, Int>) -> Tensor<3> {
        let [b, l] = inputs.dims();
        let device = inputs.device();
        let mask = self.causal_mask(b, l, &device);
        self.blocks(self.embed(inputs, 0), Vec::new(), Some(mask)).0
    }

    /// One symbol per stream against the cache; rebuilds the cache when the window is full.
    pub fn step(
        &self,
        inputs: &[usize],
        mut state: TransformerState,
        device: &Device,
    ) -> (Tensor<2>, TransformerState) {
        let b = inputs.len();
        let len = state.window.first().map_or(0, Vec::len);
        if len + 1 > self.window {
            // Keep the last half of the window (less one for the new symbol) and recompute
            // its keys and values in one causal pass.
            let keep = self.window / 2 - 1;
            for w in &mut state.window {
                w.drain(..w.len() - keep);
            }
            state.cache = Vec::new();
            if keep > 0 {
                let flat: Vec<i64> = state.window.iter().flatten().map(|&s| s as i64).collect();
                let prefix = Tensor::<2, Int>::from_data(TensorData::new(flat, [b, keep]), device);
                let mask = self.causal_mask(b, keep, device);
                state.cache = self.blocks(self.embed(prefix, 0), Vec::new(), Some(mask)).1;
            }
        }
        let position = state.window.first().map_or(0, Vec::len);
        let x = self.embed(super::symbols::symbols_tensor(inputs, device), position);
        let (logits, cache) = self.blocks(x, std::mem::take(&mut state.cache), None);
        for (w, &s) in state.window.iter_mut().zip(inputs) {
            w.push(s);
        }
        state.cache = cache;
        (logits.squeeze_dim(1), state)
    }
}
