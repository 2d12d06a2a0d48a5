//! The `qa-reader` task: answers questions of an evaluation split of SQuAD-format data with a
//! reader and scores them (F1/EM ×100 with bootstrap intervals, overall and per question type).
//! Readers: `neural` (a burn model trained from scratch on the training articles, with its own
//! WordPiece tokenizer artifact; see `models::reader`) and the two non-neural references,
//! `sliding_window` and `random_span`.
//!
//! ```toml
//! [experiment]
//! task = "qa-reader"
//! [params]
//! dataset = "squad-dev"
//! train_articles = 38
//! eval_articles = 10
//! [grid]
//! reader = ["sliding_window", "random_span"]
//! ```

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};

use super::builtin::{int_param, str_param, ExecContext};
use super::schema::{self, Kind, Param};
use super::Task;
use crate::data::qa::{sample, split, QaExample, Split};
use crate::metrics::qa_eval::{evaluate, Evaluation};
use crate::models::baselines::{RandomSpan, SlidingWindow};
use crate::spec::{Spec, SpecError};

/// Readers this task knows.
pub const READERS: &[&str] = &["sliding_window", "random_span", "neural"];

/// Parameters of the qa-reader task (besides the split parameters).
pub const PARAMS: &[Param] = &[
    Param {
        name: "reader",
        kind: Kind::Str,
        required: true,
        doc: "sliding_window or random_span",
    },
    Param {
        name: "eval_questions",
        kind: Kind::Int,
        required: false,
        doc: "evaluate a seeded sample of this many questions (default: all)",
    },
    Param {
        name: "sample_predictions",
        kind: Kind::Int,
        required: false,
        doc: "records written to sample_predictions.json (default: all)",
    },
    Param {
        name: "bootstrap",
        kind: Kind::Int,
        required: false,
        doc: "bootstrap resamples for intervals (default 2000)",
    },
    Param {
        name: "max_answer_words",
        kind: Kind::Int,
        required: false,
        doc: "longest answer of the baselines, in words (default 3)",
    },
    Param {
        name: "tokenizer_model",
        kind: Kind::Str,
        required: false,
        doc: "neural: bpe or wordpiece (default wordpiece)",
    },
    Param {
        name: "vocab_size",
        kind: Kind::Int,
        required: false,
        doc: "neural: tokenizer vocabulary (default 8000)",
    },
    Param {
        name: "d_model",
        kind: Kind::Int,
        required: false,
        doc: "neural: layer width (default 96)",
    },
    Param {
        name: "conv_layers",
        kind: Kind::Int,
        required: false,
        doc: "neural: residual convolution blocks (default 3)",
    },
    Param {
        name: "epochs",
        kind: Kind::Int,
        required: false,
        doc: "neural: passes over the training articles (default 6)",
    },
    Param {
        name: "batch_size",
        kind: Kind::Int,
        required: false,
        doc: "neural: examples per step (default 32)",
    },
    Param {
        name: "learning_rate",
        kind: Kind::Number,
        required: false,
        doc: "neural: Adam learning rate (default 0.002)",
    },
    Param {
        name: "max_context",
        kind: Kind::Int,
        required: false,
        doc: "neural: context tokens kept (default 320)",
    },
    Param {
        name: "dropout",
        kind: Kind::Number,
        required: false,
        doc: "neural: dropout while training (default 0.2)",
    },
    Param {
        name: "reader_seed",
        kind: Kind::Int,
        required: false,
        doc: "neural: seed of the reader's training (default: the run's seed); fix it to share one reader across seeds",
    },
];

/// The `qa-reader` task kind.
pub struct QaReaderTask;

impl Task for QaReaderTask {
    fn name(&self) -> &'static str {
        "qa-reader"
    }

    fn summary(&self) -> &'static str {
        "extractive question answering on a SQuAD split: F1/EM overall and per question type"
    }

    fn placement(&self) -> super::Placement {
        super::Placement::Burn
    }

    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError> {
        let mut params = PARAMS.to_vec();
        params.extend(super::tokenizer::SPLIT_PARAMS);
        schema::check(spec, self.name(), &params)?;
        schema::check_names(spec, "reader", READERS, "readers")?;
        Ok(())
    }

    fn artifacts(&self, config: &Map<String, Value>) -> Vec<crate::artifacts::ArtifactRequest> {
        reader_artifacts(config)
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<Value> {
        let (spec, parts, eval) = evaluation_set(config, ctx.seed)?;
        let reader = str_param(config, "reader").context("no `reader`")?;
        let start = std::time::Instant::now();
        let mut extra = Map::new();
        let predictions = answer(config, ctx, &eval, &mut extra)?;
        let seconds = start.elapsed().as_secs_f64();
        let (scores, mut metrics) = score(config, ctx, &eval, &predictions, spec, &parts)?;
        println!(
            "{reader}: F1 {:.2} [{:.2}, {:.2}], EM {:.2} on {} questions from {} held-out articles",
            scores.overall.f1,
            scores.overall.f1_ci.0,
            scores.overall.f1_ci.1,
            scores.overall.em,
            scores.overall.n,
            parts.eval_titles.len()
        );
        metrics.insert(
            "seconds_per_question".into(),
            json!(seconds / eval.len().max(1) as f64),
        );
        metrics.extend(extra);
        Ok(Value::Object(metrics))
    }
}

/// A run's split and its evaluation questions (a seeded sample of `eval_questions` of them).
pub fn evaluation_set(
    config: &Map<String, Value>,
    seed: u64,
) -> Result<(crate::data::qa::SplitSpec, Split, Vec<QaExample>)> {
    let (dataset, spec) = super::tokenizer::split_of(config);
    let file = crate::data::squad::load(&crate::data::resolve(&dataset))?;
    let parts = split(&file, spec)?;
    let eval = match int_param(config, "eval_questions") {
        Some(n) => sample(&parts.eval, n as usize, seed),
        None => parts.eval.clone(),
    };
    Ok((spec, parts, eval))
}

/// Scores predictions (F1/EM with bootstrap intervals, overall and per type), writes
/// sample_predictions.json, and returns the scores with their metrics.
pub fn score(
    config: &Map<String, Value>,
    ctx: &ExecContext,
    examples: &[QaExample],
    predictions: &HashMap<String, String>,
    spec: crate::data::qa::SplitSpec,
    parts: &Split,
) -> Result<(Evaluation, Map<String, Value>)> {
    let resamples = int_param(config, "bootstrap").unwrap_or(2000).max(1) as usize;
    let (records, scores) = evaluate(examples, predictions, resamples, ctx.seed);
    let keep = int_param(config, "sample_predictions").map_or(records.len(), |n| n.max(0) as usize);
    let text = serde_json::to_vec_pretty(&records[..keep.min(records.len())])?;
    crate::store::atomic::write_atomic(&ctx.out("sample_predictions.json"), &text)?;
    let metrics = json!({
        "f1": scores.overall.f1,
        "em": scores.overall.em,
        "f1_ci_low": scores.overall.f1_ci.0,
        "f1_ci_high": scores.overall.f1_ci.1,
        "em_ci_low": scores.overall.em_ci.0,
        "em_ci_high": scores.overall.em_ci.1,
        "questions": scores.overall.n,
        "by_type": scores.by_type,
        "split": {"seed": spec.seed, "train_articles": parts.train_titles, "eval_articles": parts.eval_titles},
    });
    let Value::Object(metrics) = metrics else {
        unreachable!("a JSON object literal")
    };
    Ok((scores, metrics))
}

/// The artifacts a reader config needs: a tokenizer and a trained reader for `neural`.
pub fn reader_artifacts(config: &Map<String, Value>) -> Vec<crate::artifacts::ArtifactRequest> {
    if str_param(config, "reader") != Some("neural") {
        return Vec::new();
    }
    let seed = config.get("seed").and_then(Value::as_i64).unwrap_or(0) as u64;
    let tokenizer = serde_json::to_value(tokenizer_config(config)).unwrap_or_default();
    let reader = serde_json::to_value(reader_config(config, seed)).unwrap_or_default();
    vec![
        crate::artifacts::ArtifactRequest {
            kind: "tokenizer".into(),
            config: tokenizer,
        },
        crate::artifacts::ArtifactRequest {
            kind: "reader".into(),
            config: reader,
        },
    ]
}

/// Answers `examples` with the reader the config names (`neural` loads or trains its
/// artifact; its figures go into `extra`).
pub fn answer(
    config: &Map<String, Value>,
    ctx: &ExecContext,
    eval: &[crate::data::qa::QaExample],
    extra: &mut Map<String, Value>,
) -> Result<HashMap<String, String>> {
    let max_len = int_param(config, "max_answer_words").unwrap_or(3).max(1) as usize;
    Ok(match str_param(config, "reader").context("no `reader`")? {
        "neural" => neural(config, ctx, eval, extra)?,
        "sliding_window" => {
            let r = SlidingWindow {
                max_len,
                ..SlidingWindow::default()
            };
            eval.iter()
                .map(|e| (e.id.clone(), r.predict(&e.question, &e.context)))
                .collect()
        }
        "random_span" => {
            let r = RandomSpan {
                max_len,
                seed: ctx.seed,
            };
            eval.iter()
                .map(|e| (e.id.clone(), r.predict(&e.id, &e.context)))
                .collect()
        }
        other => bail!("unknown reader `{other}`"),
    })
}

/// The tokenizer a neural reader uses: learned from the same training articles.
fn tokenizer_config(config: &Map<String, Value>) -> crate::artifacts::tokenizer::TokenizerConfig {
    super::tokenizer::config_of(config, "tokenizer_model", "wordpiece")
}

/// The reader artifact a run's config describes.
pub fn reader_config(
    config: &Map<String, Value>,
    seed: u64,
) -> crate::artifacts::reader::ReaderArtifactConfig {
    let seed = int_param(config, "reader_seed").map_or(seed, |s| s.max(0) as u64);
    crate::artifacts::reader::ReaderArtifactConfig {
        code_version: crate::artifacts::reader::READER_CODE_VERSION,
        tokenizer: tokenizer_config(config),
        d_model: int_param(config, "d_model").unwrap_or(96) as usize,
        conv_layers: int_param(config, "conv_layers").unwrap_or(3) as usize,
        max_context: int_param(config, "max_context").unwrap_or(320) as usize,
        dropout: config.get("dropout").and_then(Value::as_f64).unwrap_or(0.2),
        train: crate::models::reader::train::TrainConfig {
            epochs: int_param(config, "epochs").unwrap_or(6) as usize,
            batch_size: int_param(config, "batch_size").unwrap_or(32) as usize,
            learning_rate: config
                .get("learning_rate")
                .and_then(Value::as_f64)
                .unwrap_or(0.002),
            seed,
            max_answer_tokens: 20,
        },
    }
}

/// Answers with the trained reader artifact (trained first if the store lacks it), copies its
/// training curve into the run, and adds its training figures to the metrics.
fn neural(
    config: &Map<String, Value>,
    ctx: &ExecContext,
    eval: &[crate::data::qa::QaExample],
    extra: &mut Map<String, Value>,
) -> Result<HashMap<String, String>> {
    let store = crate::artifacts::ArtifactStore::default_location();
    let reader = crate::artifacts::reader::load(&store, &reader_config(config, ctx.seed))?;
    let _ = std::fs::copy(
        reader.artifact.dir.join("curves.jsonl"),
        ctx.out("curves.jsonl"),
    );
    let history = &reader.history;
    let tokens_per_s =
        history.iter().map(|h| h.tokens_per_s).sum::<f64>() / history.len().max(1) as f64;
    extra.insert("train_tokens_per_s".into(), tokens_per_s.into());
    extra.insert(
        "train_seconds".into(),
        history.iter().map(|h| h.seconds).sum::<f64>().into(),
    );
    extra.insert(
        "parameters".into(),
        burn::module::Module::num_params(&reader.model).into(),
    );
    extra.insert("epochs".into(), history.len().into());
    let tokenizer_id = crate::artifacts::ArtifactStore::id(
        "tokenizer",
        &serde_json::to_value(&reader.config.tokenizer)?,
    );
    extra.insert(
        "artifacts".into(),
        json!([tokenizer_id, reader.artifact.id]),
    );
    let answers = reader.answer(eval)?;
    extra.insert(
        "peak_memory_mb".into(),
        crate::store::provenance::peak_memory_mb().into(),
    );
    Ok(answers)
}
