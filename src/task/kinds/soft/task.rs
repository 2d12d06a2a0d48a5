//! The `soft-compression` task: soft context compression for QA. A context window (paragraphs
//! of one article, up to `window_tokens` tokens) is encoded by a frozen teacher, compressed into
//! `target_length` (M) memory vectors, and the teacher's decoder generates the answer from
//! [memory; question]. Quality: F1/EM and retention = F1 / the same decoder's F1 reading the
//! uncompressed encoding, paired over the same questions. See `models::soft` and docs/tasks/soft-compression.md.
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

use crate::artifacts::ArtifactRequest;
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::models::soft::unpack::DecoderSide;
use crate::task::builtin::{ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::params::ParamError;

use super::params::{Method, Packing, SoftParams};
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

    fn needs_for(&self, p: &SoftParams) -> Vec<crate::task::need::Need> {
        vec![crate::task::need::data("dataset", &p.split.dataset)]
    }

    fn artifacts_for(&self, p: &SoftParams, _seed: u64) -> Vec<ArtifactRequest> {
        let mut needed = vec![
            ArtifactRequest::Tokenizer(p.tokenizer()),
            ArtifactRequest::SoftTeacher(p.teacher()),
        ];
        if p.architecture == Method::Llmlingua2 {
            needed.push(ArtifactRequest::TokenClassifier(super::run::classifier(p)));
        }
        needed
    }

    fn run(&self, p: &SoftParams, ctx: &ExecContext) -> Result<RunOutput> {
        super::run::run(p, ctx)
    }
}
