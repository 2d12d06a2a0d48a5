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

use anyhow::Result;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::artifacts::reader::{ReaderArtifactConfig, READER_CODE_VERSION};
use crate::artifacts::tokenizer::{TokenizerConfig, TokenizerModel};
use crate::artifacts::ArtifactRequest;
use crate::data::qa::{QaExample, Split};
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::metrics::qa_eval::{evaluate, Evaluation};
use crate::models::baselines::{RandomSpan, SlidingWindow};
use crate::task::builtin::{ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::kinds::split::SplitParams;
use crate::task::params::define::params;
use crate::task::params::value::{choice_param, Choice};

/// The readers a QA run can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderKind {
    /// The trained burn reader.
    Neural,
    /// The lexical baseline of Rajpurkar et al. (2016).
    SlidingWindow,
    /// A seeded random span.
    RandomSpan,
}

impl Choice for ReaderKind {
    const WHAT: &'static str = "readers";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("sliding_window", ReaderKind::SlidingWindow),
            ("random_span", ReaderKind::RandomSpan),
            ("neural", ReaderKind::Neural),
        ]
    }
}

choice_param!(ReaderKind);

params! {
    /// The reader of a QA run and how its answers are scored (shared with prompt-compression).
    pub struct ReaderParams {
        include split: SplitParams;
        /// the reader: neural (trained here), sliding_window or random_span
        pub reader: ReaderKind = ReaderKind::Neural, required;
        /// evaluate a seeded sample of this many questions (none: all)
        pub eval_questions: Option<usize> = None;
        /// records written to sample_predictions.json (none: all)
        pub sample_predictions: Option<usize> = None;
        /// bootstrap resamples of the F1/EM intervals
        pub bootstrap: usize = 2000;
        /// longest answer of the baselines, in words
        pub max_answer_words: usize = 3;
        /// neural: the tokenizer's subword model
        pub tokenizer_model: TokenizerModel = TokenizerModel::WordPiece;
        /// neural: tokenizer vocabulary
        pub vocab_size: usize = 8000;
        /// neural: layer width
        pub d_model: usize = 96;
        /// neural: residual convolution blocks
        pub conv_layers: usize = 3;
        /// neural: passes over the training articles
        pub epochs: usize = 6;
        /// neural: examples per step
        pub batch_size: usize = 32;
        /// neural: Adam learning rate
        pub learning_rate: f64 = 0.002;
        /// neural: context tokens kept
        pub max_context: usize = 320;
        /// neural: dropout while training
        pub dropout: f64 = 0.2;
        /// neural: seed of the reader's training (none: the run's seed); fix it to share one reader across seeds
        pub reader_seed: Option<u64> = None;
        /// neural: answer with the weights of a compressed model file (from weight-compression or compress-model)
        pub weights: Option<String> = None;
    }
}

impl ReaderParams {
    /// The tokenizer a neural reader uses: learned from the same training articles.
    pub fn tokenizer(&self) -> TokenizerConfig {
        TokenizerConfig {
            dataset: self.split.dataset.clone(),
            split: self.split.spec(),
            model: self.tokenizer_model,
            vocab_size: self.vocab_size,
            // The tokenizer task's default: a reader's tokenizer is that task's artifact.
            min_frequency: crate::task::kinds::tokenizer::TokenizerParams::default().min_frequency,
            trainer: crate::models::tokenizer::TRAINER_VERSION,
        }
    }

    /// The reader artifact of a run with `seed`.
    pub fn artifact(&self, seed: u64) -> ReaderArtifactConfig {
        ReaderArtifactConfig {
            code_version: READER_CODE_VERSION,
            tokenizer: self.tokenizer(),
            d_model: self.d_model,
            conv_layers: self.conv_layers,
            max_context: self.max_context,
            dropout: self.dropout,
            train: crate::models::reader::train::TrainConfig {
                epochs: self.epochs,
                batch_size: self.batch_size,
                learning_rate: self.learning_rate,
                seed: self.reader_seed.unwrap_or(seed),
                max_answer_tokens: 20,
            },
        }
    }

    /// The artifacts a run needs: a tokenizer and a trained reader for `neural`.
    pub fn artifacts(&self, seed: u64) -> Vec<ArtifactRequest> {
        if self.reader != ReaderKind::Neural {
            return Vec::new();
        }
        vec![
            ArtifactRequest::Tokenizer(self.tokenizer()),
            ArtifactRequest::Reader(self.artifact(seed)),
        ]
    }

    /// The split and the evaluation questions.
    pub fn evaluation_set(&self, seed: u64) -> Result<(Split, Vec<QaExample>)> {
        self.split.evaluation_set(self.eval_questions, seed)
    }
}

/// The metrics of QA runs (shared with prompt-compression).
pub const QA_METRICS: &[MetricDef] = &[
    MetricDef::headline("f1", "F1 (%)", Better::Higher).with_interval("f1_ci_low", "f1_ci_high"),
    MetricDef::headline("em", "EM (%)", Better::Higher).with_interval("em_ci_low", "em_ci_high"),
    MetricDef::count("questions", "questions"),
    MetricDef::detail(
        "seconds_per_question",
        "answer time (s per question)",
        Better::Lower,
    ),
    MetricDef::detail(
        "train_tokens_per_s",
        "reader training (tokens/s)",
        Better::Higher,
    ),
    MetricDef::detail("train_seconds", "reader training time (s)", Better::Lower),
    MetricDef::count("parameters", "reader parameters"),
    MetricDef::count("epochs", "reader epochs"),
    MetricDef::detail("peak_memory_mb", "peak memory (MB)", Better::Lower),
];

/// The `qa-reader` task kind.
pub struct QaReaderTask;

impl BuiltinTask for QaReaderTask {
    type Params = ReaderParams;
    const NAME: &'static str = "qa-reader";
    const SUMMARY: &'static str =
        "extractive question answering on a SQuAD split: F1/EM overall and per question type";
    const PLACEMENT: Placement = Placement::Burn;

    fn metrics(&self) -> &'static [MetricDef] {
        QA_METRICS
    }

    fn needs_for(&self, p: &ReaderParams) -> Vec<crate::task::need::Need> {
        vec![crate::task::need::data("dataset", &p.split.dataset)]
    }

    fn artifacts_for(&self, p: &ReaderParams, seed: u64) -> Vec<ArtifactRequest> {
        p.artifacts(seed)
    }

    fn run(&self, p: &ReaderParams, ctx: &ExecContext) -> Result<RunOutput> {
        let (parts, eval) = p.evaluation_set(ctx.seed)?;
        let start = std::time::Instant::now();
        let answered = answer(p, ctx, &eval)?;
        let seconds = start.elapsed().as_secs_f64();
        let (scores, mut metrics) = score(p, ctx, &eval, &answered.answers, &parts)?;
        println!(
            "{}: F1 {:.2} [{:.2}, {:.2}], EM {:.2} on {} questions from {} held-out articles",
            p.reader.choice_name(),
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
        metrics.extend(answered.metrics);
        Ok(RunOutput {
            metrics,
            artifacts: answered.artifacts,
        })
    }
}

/// Scores predictions (F1/EM with bootstrap intervals, overall and per type), writes
/// sample_predictions.json, and returns the scores with their metrics.
pub fn score(
    p: &ReaderParams,
    ctx: &ExecContext,
    examples: &[QaExample],
    predictions: &HashMap<String, String>,
    parts: &Split,
) -> Result<(Evaluation, Map<String, Value>)> {
    let (records, scores) = evaluate(examples, predictions, p.bootstrap.max(1), ctx.seed);
    let keep = p
        .sample_predictions
        .unwrap_or(records.len())
        .min(records.len());
    let text = serde_json::to_vec_pretty(&records[..keep])?;
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
        "split": {"seed": p.split.split_seed, "train_articles": parts.train_titles, "eval_articles": parts.eval_titles},
        "data_issues": parts.issues,
    });
    let Value::Object(metrics) = metrics else {
        unreachable!("a JSON object literal")
    };
    Ok((scores, metrics))
}

/// A reader's answers, with the metrics of its training and the artifacts it used.
pub struct Answered {
    /// Question id → answer text.
    pub answers: HashMap<String, String>,
    /// The trained reader's figures (neural only).
    pub metrics: Map<String, Value>,
    /// Artifacts used (neural only).
    pub artifacts: Vec<String>,
}

/// Answers `examples` with the reader the parameters name (`neural` loads or trains its
/// artifact on the run's device).
pub fn answer(p: &ReaderParams, ctx: &ExecContext, eval: &[QaExample]) -> Result<Answered> {
    let max_len = p.max_answer_words.max(1);
    let answers = match p.reader {
        ReaderKind::Neural => return neural(p, ctx, eval),
        ReaderKind::SlidingWindow => {
            let r = SlidingWindow {
                max_len,
                ..SlidingWindow::default()
            };
            eval.iter()
                .map(|e| (e.id.clone(), r.predict(&e.question, &e.context)))
                .collect()
        }
        ReaderKind::RandomSpan => {
            let r = RandomSpan {
                max_len,
                seed: ctx.seed,
            };
            eval.iter()
                .map(|e| (e.id.clone(), r.predict(&e.id, &e.context)))
                .collect()
        }
    };
    Ok(Answered {
        answers,
        metrics: Map::new(),
        artifacts: Vec::new(),
    })
}

/// Answers with the trained reader artifact (trained first if the store lacks it), copies its
/// training curve into the run, and reports its training figures.
fn neural(p: &ReaderParams, ctx: &ExecContext, eval: &[QaExample]) -> Result<Answered> {
    let store = crate::artifacts::ArtifactStore::default_location();
    let mut reader = crate::artifacts::reader::load(&store, &p.artifact(ctx.seed), &ctx.device)?;
    let mut weights_sha256 = None;
    if let Some(path) = &p.weights {
        let (compressed, sha) = reader.with_weights(std::path::Path::new(path))?;
        reader = compressed;
        weights_sha256 = Some(sha);
    }
    let _ = std::fs::copy(
        reader.artifact.dir.join("curves.jsonl"),
        ctx.out("curves.jsonl"),
    );
    let history = &reader.history;
    let tokens_per_s =
        history.iter().map(|h| h.tokens_per_s).sum::<f64>() / history.len().max(1) as f64;
    let answers = reader.answer(eval)?;
    let metrics = json!({
        "train_tokens_per_s": tokens_per_s,
        "train_seconds": history.iter().map(|h| h.seconds).sum::<f64>(),
        "parameters": burn::module::Module::num_params(&reader.model),
        "epochs": history.len(),
        "peak_memory_mb": crate::store::provenance::peak_memory_mb(),
        "weights_sha256": weights_sha256,
    });
    let Value::Object(metrics) = metrics else {
        unreachable!("a JSON object literal")
    };
    let tokenizer = ArtifactRequest::Tokenizer(reader.config.tokenizer.clone()).id();
    Ok(Answered {
        answers,
        metrics,
        artifacts: vec![tokenizer, reader.artifact.id],
    })
}
