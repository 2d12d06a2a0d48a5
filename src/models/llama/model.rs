//! The Llama decoder in burn: token embedding, blocks of RMS-normed grouped-query attention with
//! rotary positions and a SwiGLU feed-forward layer, a final RMS norm and the output layer (the
//! embedding itself when tied). One forward serves batched scoring (right-padded sequences:
//! causal attention keeps padding out of every real position) and generation (one new token
//! at a time against a key/value cache).

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{silu, softmax};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use super::cache::KvCache;
use super::config::LlamaConfig;
use super::rope;

/// One decoder block.
#[derive(Module, Debug)]
pub struct Block {
    /// RMS norm before attention.
    pub attn_norm: Param<Tensor<1>>,
    /// Query projection.
    pub q: Linear,
    /// Key projection.
    pub k: Linear,
    /// Value projection.
    pub v: Linear,
    /// Attention output projection.
    pub o: Linear,
    /// RMS norm before the feed-forward layer.
    pub ffn_norm: Param<Tensor<1>>,
    /// SwiGLU gate.
    pub gate: Linear,
    /// SwiGLU up projection.
    pub up: Linear,
    /// Feed-forward output projection.
    pub down: Linear,
}

/// The model.
#[derive(Module, Debug)]
pub struct Llama {
    /// Token embedding [vocab, hidden].
    pub embed: Param<Tensor<2>>,
    /// The blocks.
    pub blocks: Vec<Block>,
    /// Final RMS norm.
    pub norm: Param<Tensor<1>>,
    /// Output layer [hidden, vocab] (the embedding's transpose when tied).
    pub output: Param<Tensor<2>>,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    rope_base: f64,
    norm_eps: f64,
}

/// `x` [.., d] normalised by its root mean square and scaled by `weight` [d].
fn rms_norm(x: Tensor<3>, weight: &Param<Tensor<1>>, eps: f64) -> Tensor<3> {
    let scale = (x.clone().powi_scalar(2).mean_dim(2) + eps).sqrt().recip();
    x * scale * weight.val().unsqueeze::<3>()
}

impl Llama {
    /// A model of `config` from its tensors (see `load`).
    pub fn new(
        config: &LlamaConfig,
        embed: Tensor<2>,
        blocks: Vec<Block>,
        norm: Tensor<1>,
        output: Tensor<2>,
    ) -> Llama {
        Llama {
            embed: Param::from_tensor(embed),
            blocks,
            norm: Param::from_tensor(norm),
            output: Param::from_tensor(output),
            heads: config.heads,
            kv_heads: config.kv_heads,
            head_dim: config.head_dim,
            rope_base: config.rope_base,
            norm_eps: config.norm_eps,
        }
    }

    /// The device its weights are on.
    pub fn device(&self) -> Device {
        self.embed.val().device()
    }

    /// The final hidden states [batch, len, hidden] of `tokens` [batch, len], whose positions
    /// follow the cache's (empty cache: from 0); the cache takes the new keys and values.
    pub fn forward(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        let [b, l] = tokens.dims();
        let device = tokens.device();
        let d = self.embed.val().dims()[1];
        let first = cache.len();
        let mut x = self
            .embed
            .val()
            .select(0, tokens.reshape([b * l]))
            .reshape([b, l, d]);
        let (cos, sin) = rope::tables(first, l, self.head_dim, self.rope_base, &device);
        let mask = causal_mask(self.heads / self.kv_heads, l, first, &device);
        for (i, block) in self.blocks.iter().enumerate() {
            let h = rms_norm(x.clone(), &block.attn_norm, self.norm_eps);
            let attended = self.attention(block, h, &cos, &sin, &mask, cache, i);
            x = x + attended;
            let h = rms_norm(x.clone(), &block.ffn_norm, self.norm_eps);
            let ffn = block
                .down
                .forward(silu(block.gate.forward(h.clone())) * block.up.forward(h));
            x = x + ffn;
        }
        cache.advance(l);
        rms_norm(x, &self.norm, self.norm_eps)
    }

    /// [batch, len, heads·head_dim] → [batch, heads, len, head_dim].
    fn split(&self, x: Tensor<3>, heads: usize) -> Tensor<4> {
        let [b, l, _] = x.dims();
        x.reshape([b, l, heads, self.head_dim]).swap_dims(1, 2)
    }

    /// Grouped-query attention of block `i`: the queries of a key/value head's group are
    /// stacked, so keys and values are never copied per query head.
    #[allow(clippy::too_many_arguments)]
    fn attention(
        &self,
        block: &Block,
        h: Tensor<3>,
        cos: &Tensor<2>,
        sin: &Tensor<2>,
        mask: &Tensor<2, Bool>,
        cache: &mut KvCache,
        i: usize,
    ) -> Tensor<3> {
        let [b, l, _] = h.dims();
        let (hd, kvh) = (self.head_dim, self.kv_heads);
        let group = self.heads / kvh;
        let q = rope::apply(self.split(block.q.forward(h.clone()), self.heads), cos, sin);
        let k = rope::apply(self.split(block.k.forward(h.clone()), kvh), cos, sin);
        let v = self.split(block.v.forward(h), kvh);
        let (k, v) = cache.extend(i, k, v);
        let s = k.dims()[2];
        // Query head j·group + g reads key/value head j.
        let q = q.reshape([b, kvh, group * l, hd]);
        let scores = q.matmul(k.swap_dims(2, 3)) * (1.0 / (hd as f64).sqrt());
        let scores = scores.mask_fill(
            mask.clone().unsqueeze::<4>().expand([b, kvh, group * l, s]),
            f32::NEG_INFINITY,
        );
        let out = softmax(scores, 3).matmul(v).reshape([b, self.heads, l, hd]);
        block
            .o
            .forward(out.swap_dims(1, 2).reshape([b, l, self.heads * hd]))
    }

    /// Logits [rows, vocab] of hidden states [rows, hidden].
    pub fn logits(&self, hidden: Tensor<2>) -> Tensor<2> {
        hidden.matmul(self.output.val())
    }
}

/// True where a query may not look: row g·len + t (query position first + t) against key
/// position s when s > first + t.
fn causal_mask(group: usize, len: usize, first: usize, device: &Device) -> Tensor<2, Bool> {
    let keys = first + len;
    let mut hidden = Vec::with_capacity(group * len * keys);
    for _ in 0..group {
        for t in 0..len {
            hidden.extend((0..keys).map(|s| s > first + t));
        }
    }
    Tensor::from_data(TensorData::new(hidden, [group * len, keys]), device)
}
