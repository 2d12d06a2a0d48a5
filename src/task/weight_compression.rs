//! The `weight-compression` task: compress a trained model's weights (every parameter,
//! embeddings included), write the checksummed file, read it back, and measure what the model
//! still does. The subject is the neural reader of `qa-reader` (the same artifact); the
//! strategy picks the configuration on a validation part of the held-out articles and the
//! figures reported come from the remaining, untouched evaluation part.
//!
//! ```toml
//! [experiment]
//! task = "weight-compression"
//! [params]
//! reader = "neural"
//! [grid]
//! method = ["rtn", "seedlm", "vq"]
//! bits = [4, 3]
//! ```

use anyhow::Result;
use serde::Serialize;
use serde_json::{json, Value};

use super::builtin::{ExecContext, RunOutput};
use super::params::define::params;
use super::params::value::{choice_param, Choice};
use super::params::ParamError;
use super::qa_reader::{ReaderKind, ReaderParams};
use super::weight_ladder::{rungs, walk, Strategy};
use super::weight_subject::{retention, Part, ReaderSubject};
use super::{BuiltinTask, Placement};
use crate::artifacts::ArtifactRequest;
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::weights::codec::{validate, Codec};
use crate::weights::method::Method;

/// The method families a run can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// Round to nearest (`bits`, `group`).
    Rtn,
    /// BitNet b1.58 ternary.
    Ternary,
    /// SeedLM (`bits` 4: C = 8, P = 3; 3: C = 12, P = 4).
    Seedlm,
    /// Vector quantisation (`bits` per weight of index, vectors of `vq_dim`).
    Vq,
}

impl Choice for MethodKind {
    const WHAT: &'static str = "methods";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("rtn", MethodKind::Rtn),
            ("ternary", MethodKind::Ternary),
            ("seedlm", MethodKind::Seedlm),
            ("vq", MethodKind::Vq),
        ]
    }
}

choice_param!(MethodKind);

params! {
    /// Parameters of the `weight-compression` task.
    pub struct WeightParams {
        include reading: ReaderParams;
        /// rtn, ternary, seedlm or vq (strategy fixed; the others walk their ladder)
        pub method: MethodKind = MethodKind::Rtn;
        /// rtn: bits per weight; seedlm: 4 (C 8, P 3) or 3 (C 12, P 4); vq: index bits per weight
        pub bits: u32 = 4;
        /// rtn: weights per scale and minimum (0: one per row)
        pub group: usize = 64;
        /// vq: weights per vector
        pub vq_dim: usize = 4;
        /// vq: index bits per weight of a residual codebook (0: none)
        pub vq_residual_bits: u32 = 0;
        /// fixed, simple, mobile, advanced or auto
        pub strategy: Strategy = Strategy::Fixed;
        /// fallback: F1 retention to keep on the validation articles
        pub threshold: f64 = 0.95;
        /// mobile (and auto): the file's byte budget
        pub target_bytes: Option<usize> = None;
        /// held-out articles used to choose (the rest report)
        pub validation_articles: usize = 3;
        /// ternary: epochs of quantisation-aware fine-tuning on the reader's training articles (0: post-training)
        pub qat_epochs: usize = 0;
        /// ternary: Adam learning rate of that fine-tuning
        pub qat_learning_rate: f64 = 0.001;
    }
}

impl WeightParams {
    /// The method the parameters name.
    pub fn method(&self) -> Result<Method, String> {
        method_of(
            self.method,
            self.bits,
            self.group,
            self.vq_dim,
            self.vq_residual_bits,
        )
    }
}

/// The method of a family at `bits` (with rtn's `group`, vq's vector length and residual
/// bits), checked.
pub fn method_of(
    kind: MethodKind,
    bits: u32,
    group: usize,
    vq_dim: usize,
    vq_residual_bits: u32,
) -> Result<Method, String> {
    let method = match kind {
        MethodKind::Rtn => Method::Rtn { bits, group },
        MethodKind::Ternary => Method::Ternary,
        MethodKind::Seedlm => match bits {
            4 => Method::SeedLm {
                block: 8,
                coefficients: 3,
            },
            3 => Method::SeedLm {
                block: 12,
                coefficients: 4,
            },
            b => return Err(format!("seedlm has 4 or 3 bits per weight, not {b}")),
        },
        MethodKind::Vq => {
            let entries = |bits: u32| -> Result<usize, String> {
                let total = bits as usize * vq_dim;
                if total > 16 {
                    return Err(format!(
                        "{bits} bits × vq_dim {vq_dim} is a codebook of 2^{total} entries (at most 2^16)"
                    ));
                }
                Ok(if bits == 0 { 0 } else { 1 << total })
            };
            Method::Vq {
                dim: vq_dim,
                entries: entries(bits)?,
                residual: entries(vq_residual_bits)?,
            }
        }
    };
    validate(method).map_err(|e| e.to_string())?;
    Ok(method)
}

const METRICS: &[MetricDef] = &[
    MetricDef::headline("retention", "F1 retention", Better::Higher)
        .with_interval("retention_ci_low", "retention_ci_high"),
    MetricDef::headline("bpw", "bits per weight (all-in, file)", Better::Lower),
    MetricDef::headline("f1", "F1 (%)", Better::Higher),
    MetricDef::detail("em", "EM (%)", Better::Higher),
    MetricDef::detail("original_f1", "uncompressed F1 (%)", Better::Higher),
    MetricDef::detail("em_retention", "EM retention", Better::Higher),
    MetricDef::detail(
        "same_answer",
        "identical answers (fraction)",
        Better::Higher,
    ),
    MetricDef::detail(
        "bpw_packed",
        "bits per weight before the lossless stage",
        Better::Lower,
    ),
    MetricDef::detail(
        "bpw_quantised",
        "bits per weight of the quantised tensors (papers)",
        Better::Lower,
    ),
    MetricDef::count("file_bytes", "file bytes"),
    MetricDef::detail("ratio", "fp32 bytes / file bytes", Better::Higher),
    MetricDef::detail(
        "lossless_saving",
        "saving of the lossless stage (fraction)",
        Better::Higher,
    ),
    MetricDef::detail("compress_seconds", "compression time (s)", Better::Lower),
    MetricDef::detail(
        "decompress_seconds",
        "decompression time (s)",
        Better::Lower,
    ),
    MetricDef::detail(
        "validation_retention",
        "F1 retention on validation",
        Better::Higher,
    ),
    MetricDef::count("tried", "configurations tried"),
    MetricDef::count("parameters", "parameters"),
    MetricDef::count("questions", "evaluation questions"),
];

/// The `weight-compression` task kind.
pub struct WeightCompressionTask;

impl BuiltinTask for WeightCompressionTask {
    type Params = WeightParams;
    const NAME: &'static str = "weight-compression";
    const SUMMARY: &'static str =
        "compress a trained reader's weights (rtn, ternary, seedlm, vq; strategies with fallback): bits per weight and F1 retained";
    const PLACEMENT: Placement = Placement::Burn;

    fn metrics(&self) -> &'static [MetricDef] {
        METRICS
    }

    fn check_params(&self, p: &WeightParams) -> Result<(), ParamError> {
        let error = |key: &str, message: String| Err(ParamError::new(key, message));
        if p.reading.reader != ReaderKind::Neural {
            return error(
                "reader",
                "weight-compression compresses the neural reader: write reader = \"neural\"".into(),
            );
        }
        if p.reading.weights.is_some() {
            return error(
                "weights",
                "weight-compression compresses the trained reader itself; leave weights unset"
                    .into(),
            );
        }
        if let Err(m) = p.method() {
            return error("bits", m);
        }
        if !(0.0..=1.0).contains(&p.threshold) {
            return error(
                "threshold",
                format!("a fraction of F1 to keep, 0 to 1, not {}", p.threshold),
            );
        }
        if p.strategy == Strategy::Mobile && p.target_bytes.is_none() {
            return error("target_bytes", "strategy mobile needs a byte budget".into());
        }
        Ok(())
    }

    fn needs_for(&self, p: &WeightParams) -> Vec<super::preflight::Need> {
        vec![super::preflight::data("dataset", &p.reading.split.dataset)]
    }

    fn artifacts_for(&self, p: &WeightParams, seed: u64) -> Vec<ArtifactRequest> {
        p.reading.artifacts(seed)
    }

    fn run(&self, p: &WeightParams, ctx: &ExecContext) -> Result<RunOutput> {
        run(p, ctx)
    }
}

fn run(p: &WeightParams, ctx: &ExecContext) -> Result<RunOutput> {
    let mut subject =
        ReaderSubject::load(&p.reading, ctx.seed, p.validation_articles, &ctx.device)?;
    let qat_seconds = if p.qat_epochs > 0 {
        Some(subject.finetune_ternary(p.qat_epochs, p.qat_learning_rate, ctx.seed)?)
    } else {
        None
    };
    let codec = Codec::default();
    let original_validation = subject.score(subject.original(), Part::Validation)?;
    let budget = match p.strategy {
        Strategy::Mobile | Strategy::Auto => p.target_bytes,
        _ => None,
    };
    let fixed = p.method().map_err(anyhow::Error::msg)?;
    let decision = walk(
        &subject,
        &original_validation,
        &rungs(p.strategy, fixed),
        p.threshold,
        budget,
        ctx.seed,
        &codec,
    )?;
    crate::store::atomic::write_json(&ctx.out("tried.json"), &decision.tried)?;
    let Some((method, compressed)) = decision.chosen else {
        anyhow::bail!("no configuration could be compressed and read back; see tried.json");
    };
    let path = ctx.out("model.rwc");
    crate::weights::file::write(&path, &compressed.bytes)?;
    let bytes = std::fs::read(&path)?;
    let (model, decompress_seconds) =
        subject.restore(&bytes, &path.display().to_string(), &codec)?;
    let original = subject.score(subject.original(), Part::Evaluation)?;
    let scored = subject.score(&model, Part::Evaluation)?;
    let resamples = p.reading.bootstrap.max(1);
    let kept = retention(&scored, &original, resamples, ctx.seed);
    let chosen_validation = decision
        .tried
        .iter()
        .rev()
        .find(|t| t.method == method)
        .and_then(|t| t.validation_retention);
    let a = &compressed.accounting;
    println!(
        "{method:?}: {:.3} bits/weight all-in ({} bytes, {:.1}x), F1 {:.2} of {:.2}: retention {:.4} [{:.4}, {:.4}], identical answers {:.3}",
        a.bpw_file(), a.file_bytes, a.ratio(), scored.f1(), original.f1(), kept.f1, kept.f1_ci.0, kept.f1_ci.1, kept.same_answer
    );
    write_predictions(ctx, &scored)?;
    let metrics = json!({
        "retention": kept.f1, "retention_ci_low": kept.f1_ci.0, "retention_ci_high": kept.f1_ci.1,
        "em_retention": kept.em, "same_answer": kept.same_answer,
        "f1": scored.f1(), "em": scored.em(), "original_f1": original.f1(), "original_em": original.em(),
        "bpw": a.bpw_file(), "bpw_packed": a.bpw_all(), "bpw_quantised": a.bpw_quantised(),
        "file_bytes": a.file_bytes, "packed_file_bytes": a.packed_file_bytes, "fp32_bytes": a.fp32_bytes,
        "ratio": a.ratio(), "lossless_saving": a.lossless_saving(),
        "code_bits": a.code_bits, "side_bits": a.side_bits,
        "compress_seconds": compressed.seconds, "decompress_seconds": decompress_seconds,
        "validation_retention": chosen_validation, "threshold_met": decision.threshold_met,
        "chosen": method, "tried": decision.tried.len(), "qat_seconds": qat_seconds,
        "parameters": subject.parameters(), "questions": scored.records.len(),
        "validation_questions": subject.sizes().0,
    });
    let Value::Object(metrics) = metrics else {
        unreachable!("a JSON object literal")
    };
    let artifacts = p
        .reading
        .artifacts(ctx.seed)
        .iter()
        .map(ArtifactRequest::id)
        .collect::<Vec<_>>();
    Ok(RunOutput { metrics, artifacts })
}

fn write_predictions(ctx: &ExecContext, scored: &super::weight_subject::Scored) -> Result<()> {
    let text = serde_json::to_vec_pretty(&scored.records)?;
    crate::store::atomic::write_atomic(&ctx.out("sample_predictions.json"), &text)
}
