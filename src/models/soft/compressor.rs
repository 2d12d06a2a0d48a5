//! Compressors: each turns encoder states H (L×d, padding masked) into exactly M memory
//! vectors (M×d) for the teacher's decoder.
//! - `cross_attention`: M learned queries attend to H (Perceiver latents); each memory vector
//!   is H averaged under its query's attention weights (mean over heads), so it lies among the
//!   states the teacher learned to read rather than behind a fresh value/output projection,
//!   then a feed-forward layer that starts silent (its output layer zero).
//! - `conv`: a strided depthwise 1-D convolution over H (padded to k·M tokens, k = ⌈window /
//!   M⌉; stride and kernel k), a pointwise mix added as a residual that starts silent, then
//!   adaptive average pooling to exactly M. The convolution starts as an interleaving: channel c
//!   of memory vector j is channel c of state k·j + (c mod k), so each vector starts holding
//!   its k tokens in k disjoint sets of channels (the slots of [`super::unpack::Unpack`] start
//!   as its inverse). With `principal`, each state is first mapped to its coordinates along
//!   the states' principal directions, channel c holding direction ⌊c / k⌋, so that the
//!   interleaving keeps every state's first d / k coordinates ([`super::principal`]).
//! - `pooling`: M fixed windows over the context; a learned score weights the tokens inside
//!   each window (uniform scores are plain mean pooling, [`super::pooling::mean_pool`]).
//! - `gist`: M gist vectors, each block a cross-attention to H, self-attention among the gists
//!   and a feed-forward layer (Mu et al. 2023).
//! - `select`: the M best-scoring states themselves, in context order ([`super::select`]).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::attention::{MhaInput, MultiHeadAttention, MultiHeadAttentionConfig};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::pool::{AdaptiveAvgPool1d, AdaptiveAvgPool1dConfig};
use burn::nn::transformer::{PositionWiseFeedForward, PositionWiseFeedForwardConfig};
use burn::nn::{Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor, TensorData};

use super::pooling::windowed_average;
use super::select::Select;

/// The trained compressor architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// M learned queries with cross-attention.
    CrossAttention,
    /// Strided depthwise convolution and adaptive pooling.
    Conv,
    /// Learned weighted average over fixed windows.
    Pooling,
    /// Gist vectors.
    Gist,
    /// The M best-scoring states.
    Select,
}

/// A compressor's shape.
#[derive(Config, Debug, PartialEq)]
pub struct CompressorConfig {
    /// Width of the teacher's states.
    pub d_model: usize,
    /// Memory vectors made.
    pub target_length: usize,
    /// Longest context window, in tokens.
    pub max_context: usize,
    /// Attention heads.
    #[config(default = 4)]
    pub heads: usize,
    /// Blocks of the gist compressor.
    #[config(default = 2)]
    pub gist_blocks: usize,
    /// The decoder reads k trained slots of each memory vector ([`super::unpack::Unpack`]).
    #[config(default = false)]
    pub unpack: bool,
    /// `conv` first maps each state to its coordinates along the states' principal directions,
    /// repeated so that the interleaving keeps the first d / k of them
    /// ([`super::principal`]; with `unpack`).
    #[config(default = false)]
    pub principal: bool,
    /// `select`: neighbours on each side whose scores a state's selection score averages.
    #[config(default = 4)]
    pub select_reach: usize,
}

/// One attention sub-layer with its pre-norm.
#[derive(Module, Debug)]
pub struct Attend {
    norm: LayerNorm,
    attn: MultiHeadAttention,
}

impl Attend {
    fn new(d: usize, heads: usize, device: &Device) -> Attend {
        Attend {
            norm: LayerNormConfig::new(d).init(device),
            attn: MultiHeadAttentionConfig::new(d, heads)
                .with_dropout(0.0)
                .init(device),
        }
    }

    /// `x` plus its attention to `kv` (pre-norm residual).
    fn forward(
        &self,
        x: Tensor<3>,
        kv: Option<Tensor<3>>,
        pad: Option<Tensor<2, Bool>>,
    ) -> Tensor<3> {
        let q = self.norm.forward(x.clone());
        let kv = kv.unwrap_or_else(|| q.clone());
        let mut input = MhaInput::new(q, kv.clone(), kv);
        if let Some(pad) = pad {
            input = input.mask_pad(pad);
        }
        x + self.attn.forward(input).context
    }
}

/// Queries that average states under their attention weights (mean over heads): convex
/// combinations of the states themselves, in the space the teacher reads, with no value or
/// output projection.
#[derive(Module, Debug)]
pub struct Average {
    norm: LayerNorm,
    query: Linear,
    key: Linear,
    heads: usize,
}

impl Average {
    fn new(d: usize, heads: usize, device: &Device) -> Average {
        Average {
            norm: LayerNormConfig::new(d).init(device),
            query: LinearConfig::new(d, d).init(device),
            key: LinearConfig::new(d, d).init(device),
            heads: heads.max(1),
        }
    }

    /// `h` [batch, L, d] averaged under the attention of queries `x` [batch, M, d] (`pad`:
    /// true at padding) [batch, M, d].
    fn forward(&self, x: Tensor<3>, h: Tensor<3>, pad: Tensor<2, Bool>) -> Tensor<3> {
        let ([b, m, d], l, k) = (x.dims(), h.dims()[1], self.heads);
        let split = |t: Tensor<3>, n: usize| t.reshape([b, n, k, d / k]).swap_dims(1, 2);
        let q = split(self.query.forward(self.norm.forward(x)), m);
        let keys = split(self.key.forward(h.clone()), l);
        let scores = q.matmul(keys.swap_dims(2, 3)) / ((d / k) as f64).sqrt();
        let masked = scores.mask_fill(pad.reshape([b, 1, 1, l]).expand([b, k, m, l]), -1e9);
        let weights = softmax(masked, 3).mean_dim(1).reshape([b, m, l]);
        weights.matmul(h)
    }
}

/// A feed-forward sub-layer with its pre-norm.
#[derive(Module, Debug)]
pub struct Feed {
    norm: LayerNorm,
    ffn: PositionWiseFeedForward,
}

impl Feed {
    fn new(d: usize, device: &Device) -> Feed {
        Feed {
            norm: LayerNormConfig::new(d).init(device),
            ffn: PositionWiseFeedForwardConfig::new(d, 2 * d)
                .with_dropout(0.0)
                .init(device),
        }
    }

    /// The same layer adding nothing at first (its output layer zero), so the block starts as
    /// the identity.
    fn silent(mut self) -> Feed {
        let outer = &mut self.ffn.linear_outer;
        outer.weight = Param::from_tensor(outer.weight.val().zeros_like());
        if let Some(bias) = &mut outer.bias {
            *bias = Param::from_tensor(bias.val().zeros_like());
        }
        self
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        x.clone() + self.ffn.forward(self.norm.forward(x))
    }
}

/// M learned queries averaging H under their attention.
#[derive(Module, Debug)]
pub struct CrossAttention {
    queries: Param<Tensor<2>>,
    average: Average,
    feed: Feed,
}

/// Strided depthwise convolution, pointwise mix, adaptive pooling.
#[derive(Module, Debug)]
pub struct ConvCompressor {
    /// Each state's principal coordinates (with `principal`), before the convolution.
    pub project: Option<Linear>,
    depthwise: Conv1d,
    mix: Feed,
    pool: AdaptiveAvgPool1d,
    padded: usize,
}

/// Learned weights inside fixed windows.
#[derive(Module, Debug)]
pub struct Pooling {
    score: Linear,
    target_length: usize,
}

/// One gist block.
#[derive(Module, Debug)]
pub struct GistBlock {
    read: Attend,
    mix: Attend,
    feed: Feed,
}

/// Gist vectors.
#[derive(Module, Debug)]
pub struct Gist {
    gists: Param<Tensor<2>>,
    blocks: Vec<GistBlock>,
}

/// A trained compressor (one per run: its variants' sizes do not matter).
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Compressor {
    /// See [`Architecture::CrossAttention`].
    CrossAttention(CrossAttention),
    /// See [`Architecture::Conv`].
    Conv(ConvCompressor),
    /// See [`Architecture::Pooling`].
    Pooling(Pooling),
    /// See [`Architecture::Gist`].
    Gist(Gist),
    /// See [`Architecture::Select`].
    Select(Select),
}

impl CompressorConfig {
    /// A fresh compressor of `architecture` on `device`.
    pub fn init(&self, architecture: Architecture, device: &Device) -> Compressor {
        let (d, m) = (self.d_model, self.target_length.max(1));
        let latents = || {
            Initializer::Normal {
                mean: 0.0,
                std: 0.5,
            }
            .init([m, d], device)
        };
        match architecture {
            Architecture::CrossAttention => Compressor::CrossAttention(CrossAttention {
                queries: latents(),
                average: Average::new(d, self.heads, device),
                feed: Feed::new(d, device).silent(),
            }),
            Architecture::Conv => {
                let k = tokens_per_vector(self.max_context, m);
                let mut depthwise = Conv1dConfig::new(d, d, k)
                    .with_stride(k)
                    .with_groups(d)
                    .init(device);
                depthwise.weight = Param::from_tensor(interleaving(d, k, device));
                if let Some(bias) = &mut depthwise.bias {
                    *bias = Param::from_tensor(bias.val().zeros_like());
                }
                let project = self
                    .principal
                    .then(|| LinearConfig::new(d, d).with_bias(false).init(device));
                Compressor::Conv(ConvCompressor {
                    project,
                    depthwise,
                    mix: Feed::new(d, device).silent(),
                    pool: AdaptiveAvgPool1dConfig::new(m).init(),
                    padded: k * m,
                })
            }
            Architecture::Pooling => Compressor::Pooling(Pooling {
                score: LinearConfig::new(d, 1).init(device),
                target_length: m,
            }),
            Architecture::Gist => Compressor::Gist(Gist {
                gists: latents(),
                blocks: (0..self.gist_blocks.max(1))
                    .map(|_| GistBlock {
                        read: Attend::new(d, self.heads, device),
                        mix: Attend::new(d, self.heads, device),
                        feed: Feed::new(d, device),
                    })
                    .collect(),
            }),
            Architecture::Select => {
                Compressor::Select(Select::new(d, m, self.select_reach, device))
            }
        }
    }
}

/// Depthwise kernels [d, 1, k] that pick, for channel c, the state at offset c mod k of each
/// stride.
fn interleaving(d: usize, k: usize, device: &Device) -> Tensor<3> {
    let w: Vec<f32> = (0..d)
        .flat_map(|c| (0..k).map(move |o| if o == c % k { 1.0 } else { 0.0 }))
        .collect();
    Tensor::from_data(TensorData::new(w, [d, 1, k]), device)
}

/// `latents` [M, d] repeated for a batch of `b`.
fn batched(latents: &Param<Tensor<2>>, b: usize) -> Tensor<3> {
    let [m, d] = latents.dims();
    latents.val().reshape([1, m, d]).repeat_dim(0, b)
}

impl Compressor {
    /// M memory vectors [batch, M, d] from states `h` [batch, L, d] (`pad`: true at padding;
    /// `lengths`: each context's tokens).
    pub fn forward(&self, h: Tensor<3>, pad: Tensor<2, Bool>, lengths: &[usize]) -> Tensor<3> {
        let b = h.dims()[0];
        match self {
            Compressor::CrossAttention(c) => {
                let x = c.average.forward(batched(&c.queries, b), h, pad);
                c.feed.forward(x)
            }
            Compressor::Conv(c) => {
                let [_, l, d] = h.dims();
                let h = match &c.project {
                    Some(project) => project.forward(h),
                    None => h,
                };
                let h = zero_padding(h, pad);
                let h = if l < c.padded {
                    let zeros = Tensor::zeros([b, c.padded - l, d], &h.device());
                    Tensor::cat(vec![h, zeros], 1)
                } else {
                    h
                };
                let x = c.depthwise.forward(h.swap_dims(1, 2));
                let x = c.pool.forward(x).swap_dims(1, 2);
                c.mix.forward(x)
            }
            Compressor::Pooling(p) => {
                let scores: Tensor<3> = p.score.forward(h.clone()).swap_dims(1, 2);
                windowed_average(h, scores, lengths, p.target_length)
            }
            Compressor::Gist(g) => {
                let mut x = batched(&g.gists, b);
                for block in &g.blocks {
                    x = block.read.forward(x, Some(h.clone()), Some(pad.clone()));
                    x = block.mix.forward(x, None, None);
                    x = block.feed.forward(x);
                }
                x
            }
            Compressor::Select(s) => s.forward(h, lengths),
        }
    }

    /// Trainable parameters.
    pub fn parameters(&self) -> usize {
        self.num_params()
    }
}

fn zero_padding(h: Tensor<3>, pad: Tensor<2, Bool>) -> Tensor<3> {
    let [b, l, d] = h.dims();
    h.mask_fill(pad.reshape([b, l, 1]).expand([b, l, d]), 0.0)
}

/// k = ⌈max_context / M⌉ (at least 1): the tokens each of M memory vectors stands for, the
/// stride and kernel of `conv` and the slots of [`super::unpack::Unpack`].
pub fn tokens_per_vector(max_context: usize, target_length: usize) -> usize {
    max_context.div_ceil(target_length.max(1)).max(1)
}

/// Truncation: the first M encoder states (fewer when the context is shorter; padding masked).
pub fn first_states(h: Tensor<3>, m: usize) -> Tensor<3> {
    let [b, l, d] = h.dims();
    h.slice([0..b, 0..m.min(l), 0..d])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_cross_attention_memory_averages_the_states_themselves() {
        let _alone = crate::models::draws_alone();
        let device = crate::models::device::cpu();
        let config = CompressorConfig::new(8, 3, 16).with_heads(2);
        let compressor = config.init(Architecture::CrossAttention, &device);
        // Every state the same vector, the last two positions padding (other values there):
        // any convex combination of the real states is that vector.
        let state: Vec<f32> = (0..8).map(|i| i as f32 - 3.5).collect();
        let mut h: Vec<f32> = state.iter().copied().cycle().take(5 * 8).collect();
        h.extend(std::iter::repeat_n(100.0f32, 2 * 8));
        let h = Tensor::<3>::from_data(TensorData::new(h, [1, 7, 8]), &device);
        let pad = Tensor::<2, Bool>::from_data(
            TensorData::new(vec![false, false, false, false, false, true, true], [1, 7]),
            &device,
        );
        let memory = compressor.forward(h, pad, &[5]);
        let got = memory.into_data().try_to_vec::<f32>().unwrap();
        for (k, v) in got.iter().enumerate() {
            assert!(
                (v - state[k % 8]).abs() < 1e-4,
                "{k}: {v} vs {}",
                state[k % 8]
            );
        }
    }
}
