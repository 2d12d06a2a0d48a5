//! The `soft-compression` task: soft context compression for QA. A context window (paragraphs
//! of one article, up to `window_tokens` tokens) is encoded by a frozen teacher, compressed into
//! `target_length` (M) memory vectors, and the teacher's decoder generates the answer from
//! [memory; question]. Quality: F1/EM and retention = F1 / the same decoder's F1 reading the
//! uncompressed encoding, paired over the same questions. See `models::soft` and README.
//!
//! ```toml
//! [experiment]
//! task = "soft-compression"
//! [grid]
//! architecture = ["cross_attention", "conv", "pooling", "gist", "select"]
//! target_length = [32, 64, 128]
//! loss_weights = ["balanced", "supervised"]   # presets of configs/loss_weights.toml
//! ```

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::builtin::{ExecContext, RunOutput};
use super::params::define::params;
use super::params::value::{choice_param, Choice, Invalid, ParamValue};
use super::params::ParamError;
use super::qa_split::SplitParams;
use super::{BuiltinTask, Placement};
use crate::artifacts::soft_teacher::{TeacherArtifactConfig, SOFT_CODE_VERSION};
use crate::artifacts::tokenizer::{TokenizerConfig, TokenizerModel};
use crate::artifacts::ArtifactRequest;
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::models::soft::compressor::Architecture;
use crate::models::soft::train::{CompressorTraining, LossWeights, TeacherTraining};
use crate::models::soft::unpack::DecoderSide;

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
            min_frequency: super::tokenizer::TokenizerParams::default().min_frequency,
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

const METRICS: &[MetricDef] = &[
    MetricDef::headline("f1", "F1 (%)", Better::Higher).with_interval("f1_ci_low", "f1_ci_high"),
    MetricDef::headline("em", "EM (%)", Better::Higher).with_interval("em_ci_low", "em_ci_high"),
    MetricDef::headline("retention", "retention (F1 / teacher F1)", Better::Higher)
        .with_interval("retention_ci_low", "retention_ci_high"),
    MetricDef::outcome("factor", "compression factor (context tokens / M)"),
    MetricDef::detail("teacher_f1", "teacher F1 (%)", Better::Higher),
    MetricDef::count("questions", "questions"),
    MetricDef::count("compressor_parameters", "compressor parameters"),
    MetricDef::detail(
        "compress_seconds_per_context",
        "compression time (s per context)",
        Better::Lower,
    ),
    MetricDef::detail(
        "answer_seconds_per_question",
        "answer time (s per question)",
        Better::Lower,
    ),
    MetricDef::detail(
        "train_seconds",
        "compressor training time (s)",
        Better::Lower,
    ),
];

/// The `soft-compression` task kind.
pub struct SoftCompressionTask;

impl BuiltinTask for SoftCompressionTask {
    type Params = SoftParams;
    const NAME: &'static str = "soft-compression";
    const SUMMARY: &'static str =
        "soft context compression for QA: compressors x target length x loss weights, F1/EM and retention against the uncompressed teacher";
    const PLACEMENT: Placement = Placement::Burn;

    fn metrics(&self) -> &'static [MetricDef] {
        METRICS
    }

    fn check_params(&self, p: &SoftParams) -> Result<(), ParamError> {
        let error = |key: &str, message: String| Err(ParamError::new(key, message));
        if p.target_length == 0 && p.architecture != Method::QuestionOnly {
            return error(
                "target_length",
                "must be at least 1 (question_only is the M = 0 control)".into(),
            );
        }
        if p.teacher_heads == 0 || !p.teacher_d_model.is_multiple_of(p.teacher_heads) {
            return error(
                "teacher_heads",
                format!(
                    "teacher_d_model {} must be a multiple of teacher_heads {}",
                    p.teacher_d_model, p.teacher_heads
                ),
            );
        }
        let packs = p.architecture == Method::Conv && p.decoder == DecoderSide::Unpack;
        if p.packing == Packing::Principal && !packs {
            return error(
                "packing",
                "principal packing needs architecture = \"conv\" and decoder = \"unpack\"".into(),
            );
        }
        if p.architecture == Method::Select && p.decoder == DecoderSide::Unpack {
            return error(
                "decoder",
                "select keeps states as they are: its memory has no slots to unpack (use decoder = \"frozen\")".into(),
            );
        }
        if p.loss_weights.keep > 0.0 && p.architecture != Method::Select {
            return error(
                "loss_weights",
                "the keep loss trains the scorer of architecture = \"select\" only".into(),
            );
        }
        for (key, value) in [
            ("teacher_pooled", p.teacher_pooled),
            ("teacher_dropout", p.teacher_dropout),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return error(key, format!("{value} is not a fraction between 0 and 1"));
            }
        }
        Ok(())
    }

    fn needs_for(&self, p: &SoftParams) -> Vec<super::preflight::Need> {
        vec![super::preflight::data("dataset", &p.split.dataset)]
    }

    fn artifacts_for(&self, p: &SoftParams, _seed: u64) -> Vec<ArtifactRequest> {
        let mut needed = vec![
            ArtifactRequest::Tokenizer(p.tokenizer()),
            ArtifactRequest::SoftTeacher(p.teacher()),
        ];
        if p.architecture == Method::Llmlingua2 {
            needed.push(ArtifactRequest::TokenClassifier(
                super::soft_run::classifier(p),
            ));
        }
        needed
    }

    fn run(&self, p: &SoftParams, ctx: &ExecContext) -> Result<RunOutput> {
        super::soft_run::run(p, ctx)
    }
}
