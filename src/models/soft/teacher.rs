//! The teacher of soft context compression: a small encoder–decoder trained from scratch. The
//! encoder reads a context window into states H (L×d); the decoder generates an answer over the
//! vocabulary from a memory (H itself, or the M vectors a compressor made of it) with the
//! question as its prefix: `question [SEP] answer [SEP]`. It has no copy or pointer into the
//! context, so whatever the answer needs must pass through the memory. The output projection is
//! the input embedding (tied), scaled by 1/√d. A bilinear locate head, used only as an auxiliary
//! loss while the teacher trains, scores the memory positions against the decoder's state where
//! the answer begins (where in the context the answer is): the decoder learns where to read; at
//! inference answers are still generated over the vocabulary only.

use burn::config::Config;
use burn::module::Module;
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::transformer::{
    TransformerDecoder, TransformerDecoderConfig, TransformerDecoderInput, TransformerEncoder,
    TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

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
    locate: Linear,
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
            lengths,
        }
    }
}

fn positions(batch: usize, len: usize, device: &Device) -> Tensor<2, Int> {
    let p: Vec<i64> = (0..batch).flat_map(|_| 0..len as i64).collect();
    Tensor::from_data(TensorData::new(p, [batch, len]), device)
}

impl TeacherConfig {
    /// A freshly initialised teacher on `device`.
    pub fn init(&self, device: &Device) -> Teacher {
        let d = self.d_model;
        Teacher {
            embed: EmbeddingConfig::new(self.vocab, d).init(device),
            context_position: EmbeddingConfig::new(self.max_context.max(1), d).init(device),
            decoder_position: EmbeddingConfig::new(self.max_decoder.max(1), d).init(device),
            encoder: TransformerEncoderConfig::new(d, 2 * d, self.heads, self.encoder_layers)
                .with_dropout(0.0)
                .with_norm_first(true)
                .init(device),
            encoder_norm: LayerNormConfig::new(d).init(device),
            decoder: TransformerDecoderConfig::new(d, 2 * d, self.heads, self.decoder_layers)
                .with_dropout(0.0)
                .with_norm_first(true)
                .init(device),
            decoder_norm: LayerNormConfig::new(d).init(device),
            locate: LinearConfig::new(d, d).with_bias(false).init(device),
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
        let x = self.embed.forward(context.ids.clone())
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
        self.vocabulary_at(self.decoder_states(memory, memory_pad, sequence), positions)
    }

    /// Logits [n, vocab] of decoder states [batch, length, d] at flat `positions`.
    pub fn vocabulary_at(&self, states: Tensor<3>, positions: Tensor<1, Int>) -> Tensor<2> {
        let [b, t, d] = states.dims();
        self.vocabulary(states.reshape([b * t, d]).select(0, positions))
    }

    /// Scores [batch, M] of each memory position from the decoder state at flat position
    /// `at[i]` of row i (the locate head; padding gets -1e9).
    pub fn locate(
        &self,
        states: Tensor<3>,
        at: Tensor<1, Int>,
        memory: Tensor<3>,
        memory_pad: Tensor<2, Bool>,
    ) -> Tensor<2> {
        let [b, t, d] = states.dims();
        let m = memory.dims()[1];
        let query = self
            .locate
            .forward(states.reshape([b * t, d]).select(0, at))
            .reshape([b, 1, d]);
        let scores = query.matmul(memory.transpose()).reshape([b, m]) / (d as f64).sqrt();
        scores.mask_fill(memory_pad, -1e9)
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

    /// The decoder's final states [batch, length, d].
    pub fn decoder_states(
        &self,
        memory: Tensor<3>,
        memory_pad: Option<Tensor<2, Bool>>,
        sequence: &Tokens,
    ) -> Tensor<3> {
        let [b, t] = sequence.ids.dims();
        let device = sequence.ids.device();
        let x = self.embed.forward(sequence.ids.clone())
            + self.decoder_position.forward(positions(b, t, &device));
        let mut input = TransformerDecoderInput::new(x, memory)
            .target_mask_attn(generate_autoregressive_mask(b, t, &device))
            .target_mask_pad(sequence.pad.clone());
        if let Some(pad) = memory_pad {
            input = input.memory_mask_pad(pad);
        }
        self.decoder_norm.forward(self.decoder.forward(input))
    }
}
