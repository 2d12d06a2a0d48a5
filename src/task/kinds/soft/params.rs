//! The parameters of a `soft-compression` run: what makes its memory (a compressor's
//! architecture or a control), the decoder side, the losses, the teacher's shape and the split.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use crate::artifacts::soft_teacher::{TeacherArtifactConfig, SOFT_CODE_VERSION};
use crate::artifacts::tokenizer::{TokenizerConfig, TokenizerModel};
use crate::models::soft::compressor::Architecture;
use crate::models::soft::train::{CompressorTraining, LossWeights, TeacherTraining};
use crate::models::soft::unpack::DecoderSide;
use crate::task::kinds::split::SplitParams;
use crate::task::params::define::params;
use crate::task::params::value::{choice_param, Choice, Invalid, ParamValue};

/// What makes a run's memory: a trained compressor or a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// M learned queries with cross-attention.
    CrossAttention,
    /// Strided depthwise convolution and adaptive pooling.
    Conv,
    /// Learned weights over fixed windows.
    Pooling,
    /// Gist vectors.
    Gist,
    /// The M best-scoring states.
    Select,
    /// Control: the average of M fixed windows, untrained.
    MeanPool,
    /// Control: the first M encoder states (truncation).
    FirstM,
    /// Control: no memory (the floor).
    QuestionOnly,
    /// Control: the whole encoding (the upper bound).
    Teacher,
    /// Control: hard compression (llmlingua2 token selection at the same factor), read whole.
    Llmlingua2,
}

impl Choice for Method {
    const WHAT: &'static str = "architectures";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("cross_attention", Method::CrossAttention),
            ("conv", Method::Conv),
            ("pooling", Method::Pooling),
            ("gist", Method::Gist),
            ("select", Method::Select),
            ("mean_pool", Method::MeanPool),
            ("first_m", Method::FirstM),
            ("question_only", Method::QuestionOnly),
            ("teacher", Method::Teacher),
            ("llmlingua2", Method::Llmlingua2),
        ]
    }
}

choice_param!(Method);

impl Method {
    /// The trained architecture, if the method is one.
    pub fn architecture(self) -> Option<Architecture> {
        match self {
            Method::CrossAttention => Some(Architecture::CrossAttention),
            Method::Conv => Some(Architecture::Conv),
            Method::Pooling => Some(Architecture::Pooling),
            Method::Gist => Some(Architecture::Gist),
            Method::Select => Some(Architecture::Select),
            _ => None,
        }
    }
}

impl Choice for DecoderSide {
    const WHAT: &'static str = "decoder sides";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("frozen", DecoderSide::Frozen),
            ("unpack", DecoderSide::Unpack),
        ]
    }
}

choice_param!(DecoderSide);

/// How `conv` packs its k states into one memory vector for the decoder's slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Packing {
    /// Each state keeps the channels c ≡ its offset (mod k).
    Interleave,
    /// Each state keeps its coordinates along the first d / k principal directions of the
    /// training windows' states.
    Principal,
}

impl Choice for Packing {
    const WHAT: &'static str = "packings";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("interleave", Packing::Interleave),
            ("principal", Packing::Principal),
        ]
    }
}

choice_param!(Packing);

impl ParamValue for LossWeights {
    fn type_name() -> String {
        "a preset name of configs/loss_weights.toml or a table {teacher_forcing, generation, contrastive, reconstruction, keep}".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        serde_json::from_value(value.clone()).map_err(|e| {
            Invalid::new(format!("not loss weights: {e}"))
                .help("write loss_weights = \"balanced\" (configs/loss_weights.toml) or a table of the weights (teacher_forcing, generation, contrastive, optional reconstruction and keep)")
        })
    }
}

params! {
    /// Parameters of the `soft-compression` task.
    pub struct SoftParams {
        include split: SplitParams;
        /// cross_attention, conv, pooling, gist, select; controls: mean_pool, first_m, question_only, teacher, llmlingua2
        pub architecture: Method = Method::MeanPool, required;
        /// M, the memory vectors a context window is compressed into
        pub target_length: usize = 64;
        /// what the frozen decoder reads: frozen (the M memory vectors) or unpack (a trained adapter gives each vector ⌈window_tokens / M⌉ slots; the teacher stays frozen)
        pub decoder: DecoderSide = DecoderSide::Frozen;
        /// conv with decoder = "unpack": how k states share a memory vector: interleave (each keeps d / k channels) or principal (each keeps its coordinates along the first d / k principal directions of the training windows' states)
        pub packing: Packing = Packing::Interleave;
        /// select: neighbours on each side whose scores a token's selection score averages, so the memory keeps stretches around likely answers (0: each token's own score)
        pub select_reach: usize = 4;
        /// weights of the teacher-forcing, generation (distillation), contrastive, reconstruction and keep losses
        pub loss_weights: LossWeights = LossWeights { teacher_forcing: 0.5, generation: 0.3, contrastive: 0.2, reconstruction: 0.0, keep: 0.0 };
        /// tokens of a context window (consecutive paragraphs of one article)
        pub window_tokens: usize = 512;
        /// evaluate a seeded sample of this many held-out windows (none: all)
        pub eval_windows: Option<usize> = None;
        /// compressor: passes over the training windows
        pub epochs: usize = 10;
        /// compressor: Adam learning rate
        pub learning_rate: f64 = 0.001;
        /// compressor and teacher: windows per step
        pub batch_windows: usize = 4;
        /// contrastive loss temperature
        pub temperature: f64 = 0.1;
        /// longest generated answer, in tokens
        pub max_answer_tokens: usize = 16;
        /// teacher: WordPiece vocabulary
        pub vocab_size: usize = 8000;
        /// teacher: layer width
        pub teacher_d_model: usize = 128;
        /// teacher: attention heads (also the compressors')
        pub teacher_heads: usize = 4;
        /// teacher: encoder layers
        pub teacher_encoder_layers: usize = 2;
        /// teacher: decoder layers
        pub teacher_decoder_layers: usize = 2;
        /// teacher: passes over the training windows
        pub teacher_epochs: usize = 8;
        /// teacher: Adam learning rate
        pub teacher_learning_rate: f64 = 0.004;
        /// teacher: spans reconstructed per window and step
        pub teacher_spans: usize = 8;
        /// teacher: weight of the locate loss (where each answer and span token sits in the
        /// context: an auxiliary loss of training only; 0 turns it off)
        pub teacher_locate: f64 = 1.0;
        /// teacher: cloze questions per window and step (a stretch of the window with a span of 1 to 3 tokens masked, answered by the span; 0: none)
        pub teacher_cloze: usize = 0;
        /// teacher: dropout of its layers while training
        pub teacher_dropout: f64 = 0.0;
        /// teacher: fraction of training steps that read the encoding mean-pooled into 32, 64 or 128 vectors (drawn per step) instead of all of it, so the decoder also reads compressed memories (0: none)
        pub teacher_pooled: f64 = 0.0;
        /// teacher: seed (fixed, so every run of a study shares one teacher)
        pub teacher_seed: u64 = 0;
        /// bootstrap resamples of the F1/EM and retention intervals
        pub bootstrap: usize = 1000;
        /// records written to sample_predictions.json (none: all)
        pub sample_predictions: Option<usize> = Some(200);
    }
}

impl SoftParams {
    /// The teacher's tokenizer: WordPiece learned from the training articles.
    pub fn tokenizer(&self) -> TokenizerConfig {
        TokenizerConfig {
            dataset: self.split.dataset.clone(),
            split: self.split.spec(),
            model: TokenizerModel::WordPiece,
            vocab_size: self.vocab_size,
            min_frequency: crate::task::kinds::tokenizer::TokenizerParams::default().min_frequency,
            trainer: crate::models::tokenizer::TRAINER_VERSION,
        }
    }

    /// The teacher artifact.
    pub fn teacher(&self) -> TeacherArtifactConfig {
        TeacherArtifactConfig {
            code_version: SOFT_CODE_VERSION,
            tokenizer: self.tokenizer(),
            window_tokens: self.window_tokens,
            d_model: self.teacher_d_model,
            heads: self.teacher_heads,
            encoder_layers: self.teacher_encoder_layers,
            decoder_layers: self.teacher_decoder_layers,
            dropout: self.teacher_dropout,
            training: TeacherTraining {
                epochs: self.teacher_epochs,
                batch_windows: self.batch_windows,
                learning_rate: self.teacher_learning_rate,
                seed: self.teacher_seed,
                max_answer: self.max_answer_tokens,
                spans_per_window: self.teacher_spans,
                span_tokens: 16,
                locate_weight: self.teacher_locate,
                cloze_per_window: self.teacher_cloze,
                pooled_fraction: self.teacher_pooled,
            },
        }
    }

    /// How the compressor of a run with `seed` trains.
    pub fn compressor_training(&self, seed: u64) -> CompressorTraining {
        CompressorTraining {
            epochs: self.epochs,
            batch_windows: self.batch_windows,
            learning_rate: self.learning_rate,
            seed,
            max_answer: self.max_answer_tokens,
            weights: self.loss_weights,
            temperature: self.temperature,
        }
    }
}
