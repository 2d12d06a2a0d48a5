//! Where a question's words occur in a memory: the prior of the teacher's locate head. Each
//! question token's embedding is compared with every memory vector (through a map that starts
//! as the identity, so a memory vector that holds the same token matches), the soft matches
//! are weighted by a learned importance of the question token (an IDF the model learns) and
//! summed per memory position, and a 1-D convolution over memory positions spreads them to
//! the neighbourhood (answers lie near the question's words, rarely on them). It reads only
//! the memory, so it works the same over M compressed vectors as over the encoder states.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig, PaddingConfig1d};
use burn::tensor::activation::{sigmoid, softplus};
use burn::tensor::{Bool, Device, Int, Tensor};

/// The match prior's shape.
#[derive(Config, Debug, PartialEq)]
pub struct QuestionMatchConfig {
    /// Tokenizer vocabulary (one importance per token).
    pub vocab: usize,
    /// Width of embeddings and memory vectors.
    pub d_model: usize,
    /// Memory positions on each side that a match reaches.
    #[config(default = 15)]
    pub reach: usize,
}

/// Exact-match evidence of a question over memory positions.
#[derive(Module, Debug)]
pub struct QuestionMatch {
    matcher: Linear,
    importance: Embedding,
    threshold: Param<Tensor<1>>,
    proximity: Conv1d,
}

/// Initial score offset of a match: a same-token pair scores about √d·0.7 (5.6 at d = 64),
/// others about N(0, 1), so a shift of 4 makes the sigmoid a soft exact-match indicator.
const THRESHOLD: f64 = -4.0;

impl QuestionMatchConfig {
    /// A fresh prior on `device`.
    pub fn init(&self, device: &Device) -> QuestionMatch {
        let d = self.d_model;
        let mut matcher = LinearConfig::new(d, d).with_bias(false).init(device);
        matcher.weight = Param::from_tensor(Tensor::eye(d, device));
        QuestionMatch {
            matcher,
            importance: EmbeddingConfig::new(self.vocab, 1)
                .with_initializer(Initializer::Zeros)
                .init(device),
            threshold: Param::from_tensor(Tensor::from_floats([THRESHOLD], device)),
            proximity: Conv1dConfig::new(1, 1, 2 * self.reach + 1)
                .with_padding(PaddingConfig1d::Explicit(self.reach, self.reach))
                .with_initializer(Initializer::Constant { value: 0.5 })
                .init(device),
        }
    }
}

impl QuestionMatch {
    /// Scores [batch, 1, M] of memory positions: `tokens` are the decoder's token embeddings
    /// [batch, t, d] of ids `ids` [batch, t], `question` is 1 at question tokens and 0
    /// elsewhere [batch, t], `memory` [batch, M, d] with `memory_pad` true at positions to
    /// ignore.
    pub fn forward(
        &self,
        tokens: Tensor<3>,
        ids: Tensor<2, Int>,
        question: Tensor<2>,
        memory: Tensor<3>,
        memory_pad: Option<Tensor<2, Bool>>,
    ) -> Tensor<3> {
        let [b, t, d] = tokens.dims();
        let m = memory.dims()[1];
        let similarity =
            self.matcher.forward(tokens).matmul(memory.transpose()) / (d as f64).sqrt();
        let threshold = self.threshold.val().reshape([1, 1, 1]);
        let matched = sigmoid(similarity + threshold);
        let weight = softplus(self.importance.forward(ids), 1.0) * question.reshape([b, t, 1]);
        let mut count = (matched * weight).sum_dim(1);
        if let Some(pad) = memory_pad {
            count = count.mask_fill(pad.reshape([b, 1, m]), 0.0);
        }
        self.proximity.forward(count)
    }
}
