//! The teacher of soft context compression: a small encoder–decoder trained from scratch. The
//! encoder reads a context window into states H (L×d); the decoder generates an answer over the
//! vocabulary from a memory (H itself, or the M vectors a compressor made of it) with the
//! question as its prefix: `question [SEP] answer [SEP]`. It has no copy or pointer into the
//! context, so whatever the answer needs must pass through the memory. The output projection is
//! the input embedding (tied), scaled by 1/√d, after a learned map of the decoder's state (with
//! the bare tied projection a state's own input token got a logit bonus of about √d, and the
//! untrained decoder repeated "the the the ..."). A bilinear locate head scores the memory
//! vectors from each decoder state, and the state adds the memory averaged under those scores
//! before the projection (a read of the memory, as attention is: no pointer to context
//! tokens, and the same over M compressed vectors). The locate scores add a prior of where the
//! question's words occur in the memory ([`QuestionMatch`]), and each encoder input carries its
//! previous token (through a map the locate head starts with), so a decoder state holding
//! answer token X points at the memory position that follows X: reading an answer on is a
//! match, not a count. While the teacher trains, a locate loss teaches the head where each
//! answer token (and each reconstructed span token) sits in the context.

use burn::config::Config;
use burn::module::Module;
use burn::module::Param;
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::transformer::{
    TransformerDecoder, TransformerDecoderConfig, TransformerDecoderInput, TransformerEncoder,
    TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::Initializer;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use super::matching::{QuestionMatch, QuestionMatchConfig};

/// Standard deviation of the position embeddings at initialisation (tokens: 1), so that a
/// state starts out mostly its token.
const POSITION_STD: f64 = 0.2;

/// The teacher's shape.
#[derive(Config, Debug, PartialEq)]
pub struct TeacherConfig {
    /// Tokenizer vocabulary.
    pub vocab: usize,
    /// Width of every layer.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Encoder layers.
    pub encoder_layers: usize,
    /// Decoder layers.
    pub decoder_layers: usize,
    /// Longest context window, in tokens.
    pub max_context: usize,
    /// Longest decoder sequence (question, separator, answer, separator), in tokens.
    pub max_decoder: usize,
    /// Dropout of the encoder's and decoder's layers while training.
    #[config(default = 0.0)]
    pub dropout: f64,
}

/// The encoder–decoder.
#[derive(Module, Debug)]
pub struct Teacher {
    embed: Embedding,
    context_position: Embedding,
    decoder_position: Embedding,
    encoder: TransformerEncoder,
    encoder_norm: LayerNorm,
    decoder: TransformerDecoder,
    decoder_norm: LayerNorm,
    previous: Linear,
    locate: Linear,
    matching: QuestionMatch,
    output: Linear,
}

/// Token ids padded into a batch, with their padding mask (true at padding).
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Ids [batch, length].
    pub ids: Tensor<2, Int>,
    /// True at padding [batch, length].
    pub pad: Tensor<2, Bool>,
    /// Each row's length.
    pub lengths: Vec<usize>,
    /// Each row's leading tokens that are a question (a decoder sequence's prefix before its
    /// separator; 0 for contexts).
    pub prefix: Vec<usize>,
}

impl Tokens {
    /// Pads `rows` (each cut to `max` tokens) into a batch on `device`.
    pub fn new(rows: &[&[u32]], max: usize, device: &Device) -> Tokens {
        let lengths: Vec<usize> = rows.iter().map(|r| r.len().min(max).max(1)).collect();
        let l = lengths.iter().copied().max().unwrap_or(1);
        let b = rows.len();
        let mut ids = vec![0i64; b * l];
        let mut pad = vec![true; b * l];
        for (i, row) in rows.iter().enumerate() {
            for j in 0..lengths[i] {
                ids[i * l + j] = row.get(j).map_or(0, |&t| i64::from(t));
                pad[i * l + j] = false;
            }
        }
        Tokens {
            ids: Tensor::from_data(TensorData::new(ids, [b, l]), device),
            pad: Tensor::from_data(TensorData::new(pad, [b, l]), device),
            prefix: vec![0; b],
            lengths,
        }
    }

    /// The same rows with `prefix[i]` leading question tokens in row i.
    pub fn with_prefix(mut self, prefix: Vec<usize>) -> Tokens {
        self.prefix = prefix;
        self
    }

    /// 1 at the question tokens of each row, 0 elsewhere [batch, length].
    fn question_mask(&self) -> Tensor<2> {
        let [b, l] = self.ids.dims();
        let mask: Vec<f32> = (0..b)
            .flat_map(|i| (0..l).map(move |j| if j < self.prefix[i] { 1.0 } else { 0.0 }))
            .collect();
        Tensor::from_data(TensorData::new(mask, [b, l]), &self.ids.device())
    }
}

fn positions(batch: usize, len: usize, device: &Device) -> Tensor<2, Int> {
    let p: Vec<i64> = (0..batch).flat_map(|_| 0..len as i64).collect();
    Tensor::from_data(TensorData::new(p, [batch, len]), device)
}

impl TeacherConfig {
    /// A freshly initialised teacher on `device`. Each decoder layer's cross-attention starts
    /// with its key projection equal to its query projection, so from the first step a
    /// question token attends to the context positions that hold the same token: the
    /// exact-match signal an extractive reader is given as a feature, here only a starting
    /// point (the two projections train apart).
    pub fn init(&self, device: &Device) -> Teacher {
        let d = self.d_model;
        let position = |n: usize| {
            EmbeddingConfig::new(n.max(1), d)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: POSITION_STD,
                })
                .init(device)
        };
        let mut decoder = TransformerDecoderConfig::new(d, 2 * d, self.heads, self.decoder_layers)
            .with_dropout(self.dropout)
            .with_norm_first(true)
            .init(device);
        for layer in &mut decoder.layers {
            let attention = &mut layer.cross_attn;
            attention.key.weight = Param::from_tensor(attention.query.weight.val());
        }
        let previous = LinearConfig::new(d, d)
            .with_bias(false)
            .with_initializer(Initializer::Normal {
                mean: 0.0,
                std: 1.0 / (d as f64).sqrt(),
            })
            .init(device);
        let mut locate = LinearConfig::new(d, d).with_bias(false).init(device);
        locate.weight = Param::from_tensor(previous.weight.val());
        Teacher {
            embed: EmbeddingConfig::new(self.vocab, d).init(device),
            context_position: position(self.max_context),
            decoder_position: position(self.max_decoder),
            encoder: TransformerEncoderConfig::new(d, 2 * d, self.heads, self.encoder_layers)
                .with_dropout(self.dropout)
                .with_norm_first(true)
                .init(device),
            encoder_norm: LayerNormConfig::new(d).init(device),
            decoder,
            decoder_norm: LayerNormConfig::new(d).init(device),
            previous,
            locate,
            matching: QuestionMatchConfig::new(self.vocab, d).init(device),
            output: LinearConfig::new(d, d).with_bias(false).init(device),
        }
    }

    /// Checks that the sizes fit together.
    pub fn validate(&self) -> Result<(), String> {
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(format!(
                "d_model {} must be a multiple of heads {}",
                self.d_model, self.heads
            ));
        }
        if self.encoder_layers == 0 || self.decoder_layers == 0 {
            return Err("the teacher needs at least one encoder and one decoder layer".into());
        }
        Ok(())
    }
}

impl Teacher {
    /// Width of its states.
    pub fn d_model(&self) -> usize {
        self.embed.weight.dims()[1]
    }

    /// Encoder states H [batch, length, d] of a batch of contexts.
    pub fn encode(&self, context: &Tokens) -> Tensor<3> {
        let [b, l] = context.ids.dims();
        let device = context.ids.device();
        let tokens = self.embed.forward(context.ids.clone());
        let d = self.d_model();
        let before = if l > 1 {
            Tensor::cat(
                vec![
                    Tensor::zeros([b, 1, d], &device),
                    tokens.clone().slice([0..b, 0..l - 1, 0..d]),
                ],
                1,
            )
        } else {
            Tensor::zeros([b, l, d], &device)
        };
        let x = tokens
            + self.previous.forward(before)
            + self.context_position.forward(positions(b, l, &device));
        let h = self
            .encoder
            .forward(TransformerEncoderInput::new(x).mask_pad(context.pad.clone()));
        self.encoder_norm.forward(h)
    }

    /// Next-token logits [n, vocab] at `positions` (flat indices row × length + position) of
    /// decoder sequences (question, separator, answer) reading `memory` [batch, M, d]
    /// (`memory_pad`: true at memory positions to ignore). Only those positions are projected
    /// onto the vocabulary: the projection is most of a decoder's work.
    pub fn decode_at(
        &self,
        memory: Tensor<3>,
        memory_pad: Option<Tensor<2, Bool>>,
        sequence: &Tokens,
        positions: Tensor<1, Int>,
    ) -> Tensor<2> {
        let decoded = self.decoder_states(memory, memory_pad, sequence);
        self.vocabulary_at(decoded.states, positions)
    }

    /// Logits [n, vocab] of decoder states [batch, length, d] at flat `positions`.
    pub fn vocabulary_at(&self, states: Tensor<3>, positions: Tensor<1, Int>) -> Tensor<2> {
        let [b, t, d] = states.dims();
        self.vocabulary(states.reshape([b * t, d]).select(0, positions))
    }

    /// The next-token logits [batch, vocab] after each sequence's last token (generation).
    pub fn decode_last(
        &self,
        memory: Tensor<3>,
        memory_pad: Option<Tensor<2, Bool>>,
        sequence: &Tokens,
    ) -> Tensor<2> {
        let [b, t] = sequence.ids.dims();
        let last: Vec<i64> = (0..b)
            .map(|i| (i * t + sequence.lengths[i] - 1) as i64)
            .collect();
        let positions = Tensor::from_data(TensorData::new(last, [b]), &sequence.ids.device());
        self.decode_at(memory, memory_pad, sequence, positions)
    }

    /// Logits of decoder states [n, d] over the vocabulary (the tied embedding, scaled like
    /// attention scores: unit-variance states times unit-variance embeddings).
    fn vocabulary(&self, h: Tensor<2>) -> Tensor<2> {
        let d = self.d_model();
        h.matmul(self.embed.weight.val().transpose()) / (d as f64).sqrt()
    }

    /// The decoder's final states [batch, length, d] (through the output map, so a state does
    /// not start out predicting its own input token through the tied embedding), each plus
    /// what it points at: the
    /// memory vectors averaged under the locate head's softmax (a read whose aim the locate
    /// loss teaches), and the locate scores [batch, length, M] themselves.
    pub fn decoder_states(
        &self,
        memory: Tensor<3>,
        memory_pad: Option<Tensor<2, Bool>>,
        sequence: &Tokens,
    ) -> Decoded {
        let [b, t] = sequence.ids.dims();
        let device = sequence.ids.device();
        let tokens = self.embed.forward(sequence.ids.clone());
        let x = tokens.clone() + self.decoder_position.forward(positions(b, t, &device));
        let mut input = TransformerDecoderInput::new(x, memory.clone())
            .target_mask_attn(generate_autoregressive_mask(b, t, &device));
        input = input.target_mask_pad(sequence.pad.clone());
        if let Some(pad) = memory_pad.clone() {
            input = input.memory_mask_pad(pad);
        }
        let states = self.decoder_norm.forward(self.decoder.forward(input));
        let [_, m, d] = memory.dims();
        let prior = self.matching.forward(
            tokens,
            sequence.ids.clone(),
            sequence.question_mask(),
            memory.clone(),
            memory_pad.clone(),
        );
        let mut scores = self
            .locate
            .forward(states.clone())
            .matmul(memory.clone().transpose())
            / (d as f64).sqrt()
            + prior.expand([b, t, m]);
        if let Some(pad) = memory_pad {
            scores = scores.mask_fill(pad.reshape([b, 1, m]).expand([b, t, m]), -1e9);
        }
        let read = softmax(scores.clone(), 2).matmul(memory);
        Decoded {
            states: self.output.forward(states) + read,
            scores,
        }
    }
}

/// The decoder's output: final states [batch, length, d] and locate scores [batch, length, M].
#[derive(Debug, Clone)]
pub struct Decoded {
    /// States, each plus its pointed read of the memory.
    pub states: Tensor<3>,
    /// Locate scores of every memory position from every decoder position (padding -1e9).
    pub scores: Tensor<3>,
}

impl Decoded {
    /// The locate scores [n, M] at flat decoder positions `at`.
    pub fn scores_at(&self, at: Tensor<1, Int>) -> Tensor<2> {
        let [b, t, m] = self.scores.dims();
        self.scores.clone().reshape([b * t, m]).select(0, at)
    }
}
