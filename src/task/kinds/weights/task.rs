//! The `weight-compression` task: compress a trained model's weights (every parameter,
//! embeddings included), write the checksummed file, read it back, and measure what the model
//! still does. The subject is one of runner's trained models, the same artifacts the other
//! tasks use: the neural reader of `qa-reader` (F1), the byte-level GRU of prompt compression
//! (bits per character; the lm-codec's file with its model), the llmlingua2 token classifier
//! (keep-recall; the reader's F1 at ratio 0.5), or the soft-compression teacher (F1 of its
//! generated answers). The strategy picks the
//! configuration on a validation part of the held-out articles and the figures reported come
//! from the remaining, untouched evaluation part.
//!
//! ```toml
//! [experiment]
//! task = "weight-compression"
//! [params]
//! reader = "neural"
//! [grid]
//! subject = ["reader", "lm", "classifier"]
//! method = ["rtn", "seedlm", "vq"]
//! bits = [4, 3]
//! ```

use anyhow::Result;
use serde_json::json;

use super::classifier::ClassifierSubject;
use super::ladder::{rungs, walk, Strategy};
use super::lm::LmSubject;
use super::reader::ReaderSubject;
use super::subject::{Part, Subject, SubjectKind};
use super::teacher::TeacherSubject;
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::metrics::intervals::paired_difference_interval;
use crate::task::builtin::{object, ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::kinds::qa_reader::ReaderKind;
use crate::task::params::ParamError;
use crate::weights::codec::Codec;

use super::params::WeightParams;
const METRICS: &[MetricDef] = &[
    MetricDef::headline(
        "retention",
        "retention (F1; bpc original / compressed; keep-recall)",
        Better::Higher,
    )
    .with_interval("retention_ci_low", "retention_ci_high"),
    MetricDef::headline("bpw", "bits per weight (all-in, file)", Better::Lower),
    MetricDef::detail("f1", "reader: F1 (%)", Better::Higher),
    MetricDef::detail("em", "reader: EM (%)", Better::Higher),
    MetricDef::detail("original_f1", "reader: uncompressed F1 (%)", Better::Higher),
    MetricDef::detail("bpc", "lm: bits per character", Better::Lower),
    MetricDef::detail(
        "original_bpc",
        "lm: uncompressed bits per character",
        Better::Lower,
    ),
    MetricDef::detail("delta_bpc", "lm: bits per character added", Better::Lower)
        .with_interval("delta_bpc_ci_low", "delta_bpc_ci_high"),
    MetricDef::count(
        "codec_total_bytes",
        "lm: lm-codec file + compressed model (bytes)",
    ),
    MetricDef::count(
        "original_codec_total_bytes",
        "lm: lm-codec file + fp32 model (bytes)",
    ),
    MetricDef::detail(
        "keep_recall",
        "classifier: keep-recall at half",
        Better::Higher,
    ),
    MetricDef::detail(
        "downstream_f1",
        "classifier: reader F1 at ratio 0.5 (%)",
        Better::Higher,
    ),
    MetricDef::detail(
        "original_downstream_f1",
        "classifier: reader F1 at ratio 0.5, original classifier (%)",
        Better::Higher,
    ),
    MetricDef::detail(
        "downstream_retention",
        "classifier: reader F1 retention at ratio 0.5",
        Better::Higher,
    ),
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
        "retention on validation",
        Better::Higher,
    ),
    MetricDef::count("tried", "configurations tried"),
    MetricDef::count("parameters", "parameters"),
    MetricDef::count(
        "evaluation_items",
        "evaluation items (questions, text blocks, sequences)",
    ),
];

/// The `weight-compression` task kind.
pub struct WeightCompressionTask;

impl BuiltinTask for WeightCompressionTask {
    type Params = WeightParams;
    const NAME: &'static str = "weight-compression";
    const SUMMARY: &'static str =
        "compress a trained model's weights (reader, language model, token classifier; rtn, ternary, seedlm, vq; strategies with fallback): bits per weight and quality retained";
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
                format!("a fraction of quality to keep, 0 to 1, not {}", p.threshold),
            );
        }
        if p.qat_epochs > 0 && p.subject != SubjectKind::Reader {
            return error(
                "qat_epochs",
                "quantisation-aware fine-tuning is built for the reader: set qat_epochs = 0 for the lm and classifier subjects".into(),
            );
        }
        if p.strategy == Strategy::Mobile && p.target_bytes.is_none() {
            return error("target_bytes", "strategy mobile needs a byte budget".into());
        }
        Ok(())
    }

    fn needs_for(&self, p: &WeightParams) -> Vec<crate::task::need::Need> {
        vec![crate::task::need::data("dataset", &p.reading.split.dataset)]
    }

    fn artifacts_for(&self, p: &WeightParams, seed: u64) -> Vec<ArtifactRequest> {
        match p.subject {
            SubjectKind::Reader => p.reading.artifacts(seed),
            SubjectKind::Lm => vec![ArtifactRequest::Lm(p.scoring().lm(seed))],
            SubjectKind::Classifier => {
                let mut needed = p.reading.artifacts(seed);
                needed.push(ArtifactRequest::TokenClassifier(
                    p.scoring().classifier(seed),
                ));
                needed
            }
            SubjectKind::Teacher => vec![
                ArtifactRequest::Tokenizer(p.soft().tokenizer()),
                ArtifactRequest::SoftTeacher(p.soft().teacher()),
            ],
        }
    }

    fn run(&self, p: &WeightParams, ctx: &ExecContext) -> Result<RunOutput> {
        run(p, ctx)
    }
}

/// The model the run compresses, loaded (trained first if the store lacks it).
fn subject(p: &WeightParams, ctx: &ExecContext) -> Result<Box<dyn Subject>> {
    let store = ArtifactStore::default_location();
    let va = p.validation_articles;
    Ok(match p.subject {
        SubjectKind::Reader => {
            Box::new(ReaderSubject::load(&p.reading, ctx.seed, va, &ctx.device)?)
        }
        SubjectKind::Lm => Box::new(LmSubject::from_artifact(
            &store,
            &p.scoring().lm(ctx.seed),
            va,
            &ctx.device,
        )?),
        SubjectKind::Classifier => {
            let reader =
                crate::artifacts::reader::load(&store, &p.reading.artifact(ctx.seed), &ctx.device)?;
            Box::new(ClassifierSubject::from_artifact(
                &store,
                &p.scoring().classifier(ctx.seed),
                va,
                Some(reader),
                &ctx.device,
            )?)
        }
        SubjectKind::Teacher => Box::new(TeacherSubject::from_artifact(
            &store,
            &p.soft().teacher(),
            va,
            &ctx.device,
        )?),
    })
}

fn run(p: &WeightParams, ctx: &ExecContext) -> Result<RunOutput> {
    let mut subject = subject(p, ctx)?;
    if p.vq_importance {
        subject.weigh_rows()?;
    }
    let qat_seconds = if p.qat_epochs > 0 {
        Some(subject.finetune_ternary(p.qat_epochs, p.qat_learning_rate, ctx.seed)?)
    } else {
        None
    };
    let codec = Codec::default();
    let original_validation = subject.score(None, Part::Validation, &codec)?;
    let budget = match p.strategy {
        Strategy::Mobile | Strategy::Auto => p.target_bytes,
        _ => None,
    };
    let fixed = p.method().map_err(anyhow::Error::msg)?;
    let decision = walk(
        &*subject,
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
    let what = path.display().to_string();
    let eval = subject.evaluate(&bytes, &what, &codec, Some(&ctx.run_dir))?;
    let resamples = p.reading.bootstrap.max(1);
    let chosen_validation = decision
        .tried
        .iter()
        .rev()
        .find(|t| t.method == method)
        .and_then(|t| t.validation_retention);
    let a = &compressed.accounting;
    let kept = eval.quality.retention(&eval.original);
    let kept_ci = eval
        .quality
        .retention_interval(&eval.original, resamples, ctx.seed);
    println!(
        "{method:?}: {:.3} bits/weight all-in ({} bytes, {:.1}x); {}: retention {kept:.4} [{:.4}, {:.4}]",
        a.bpw_file(), a.file_bytes, a.ratio(), eval.summary, kept_ci.0, kept_ci.1
    );
    let measure = subject.measure();
    let (q, o) = (&eval.quality, &eval.original);
    let delta_ci = paired_difference_interval(&q.items, &o.items, &q.weights, resamples, ctx.seed);
    let mut metrics = object(json!({
        "retention": kept, "retention_ci_low": kept_ci.0, "retention_ci_high": kept_ci.1,
        "bpw": a.bpw_file(), "bpw_packed": a.bpw_all(), "bpw_quantised": a.bpw_quantised(),
        "file_bytes": a.file_bytes, "packed_file_bytes": a.packed_file_bytes, "fp32_bytes": a.fp32_bytes,
        "ratio": a.ratio(), "lossless_saving": a.lossless_saving(),
        "code_bits": a.code_bits, "side_bits": a.side_bits,
        "compress_seconds": compressed.seconds, "decompress_seconds": eval.decompress_seconds,
        "validation_retention": chosen_validation, "threshold_met": decision.threshold_met,
        "chosen": method, "tried": decision.tried.len(), "qat_seconds": qat_seconds,
        "parameters": subject.parameters(), "evaluation_items": q.items.len(),
        "validation_size": subject.sizes().0, "evaluation_size": subject.sizes().1,
    }));
    for (key, value) in [
        (measure.to_string(), q.value()),
        (format!("original_{measure}"), o.value()),
        (format!("delta_{measure}"), q.value() - o.value()),
        (format!("delta_{measure}_ci_low"), delta_ci.0),
        (format!("delta_{measure}_ci_high"), delta_ci.1),
    ] {
        metrics.insert(key, json!(value));
    }
    metrics.extend(eval.metrics);
    let artifacts = WeightCompressionTask
        .artifacts_for(p, ctx.seed)
        .iter()
        .map(ArtifactRequest::id)
        .collect::<Vec<_>>();
    Ok(RunOutput { metrics, artifacts })
}
