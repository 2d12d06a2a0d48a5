//! The `prompt-compression` task: compresses the contexts of an evaluation split by token
//! selection at a `ratio` (fraction of tokens kept), lets a reader answer from the compressed
//! contexts, and scores the answers (F1/EM with bootstrap intervals, overall and per question
//! type). Every run records the requested ratio, the achieved kept fraction, the compression
//! factor (original / kept tokens) and the algorithm's time per context.
//!
//! ```toml
//! [experiment]
//! task = "prompt-compression"
//! [params]
//! dataset = "squad-dev"
//! reader = "neural"
//! [grid]
//! algorithm = ["random"]
//! ratio = [0.5, 0.7, 1.0]
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};

use super::builtin::{int_param, str_param, ExecContext};
use super::schema::{self, Kind, Param};
use super::Task;
use crate::data::qa::QaExample;
use crate::prompt::ALGORITHMS;
use crate::spec::{Spec, SpecError};

/// Parameters of its own (the reader's and the split's come from `qa-reader`).
pub const PARAMS: &[Param] = &[
    Param {
        name: "algorithm",
        kind: Kind::Str,
        required: true,
        doc: "token selection: random, selective_context, llmlingua or llmlingua2",
    },
    Param {
        name: "question_aware",
        kind: Kind::Bool,
        required: false,
        doc: "llmlingua: rank tokens by how much the question makes them expected (LongLLMLingua); compresses per question (default false)",
    },
    Param {
        name: "ratio",
        kind: Kind::Number,
        required: true,
        doc: "fraction of tokens kept, in (0, 1]; 1.0 = uncompressed",
    },
    Param {
        name: "lm_hidden",
        kind: Kind::Int,
        required: false,
        doc: "selective_context, llmlingua: width of the byte-level GRU trained on the training articles (default 128)",
    },
    Param {
        name: "lm_steps",
        kind: Kind::Int,
        required: false,
        doc: "selective_context: its training steps (default 400)",
    },
    Param {
        name: "lm_batch_size",
        kind: Kind::Int,
        required: false,
        doc: "selective_context: streams per training step (default 32)",
    },
    Param {
        name: "lm_seq_len",
        kind: Kind::Int,
        required: false,
        doc: "selective_context: bytes per stream per training step (default 128)",
    },
    Param {
        name: "classifier_d_model",
        kind: Kind::Int,
        required: false,
        doc: "llmlingua2: width of the token classifier (default 64)",
    },
    Param {
        name: "classifier_layers",
        kind: Kind::Int,
        required: false,
        doc: "llmlingua2: its transformer encoder layers (default 2)",
    },
    Param {
        name: "classifier_epochs",
        kind: Kind::Int,
        required: false,
        doc: "llmlingua2: its training epochs over the training articles' contexts (default 6)",
    },
    Param {
        name: "classifier_learning_rate",
        kind: Kind::Number,
        required: false,
        doc: "llmlingua2: its Adam learning rate (default 0.002)",
    },
];

/// The scoring language model a `selective_context` config needs: a byte-level GRU trained
/// on the training articles' contexts of the same split.
pub fn lm_config(config: &Map<String, Value>, seed: u64) -> crate::artifacts::lm::LmArtifactConfig {
    let (dataset, split) = super::tokenizer::split_of(config);
    crate::artifacts::lm::LmArtifactConfig {
        code_version: crate::artifacts::lm::LM_CODE_VERSION,
        model: crate::models::lm::LmConfig {
            arch: crate::models::lm::Arch::Gru,
            hidden: int_param(config, "lm_hidden").unwrap_or(128).max(1) as usize,
            layers: 1,
            heads: 4,
            window: 128,
            vocab: crate::models::lm::BYTES,
        },
        corpus: vec![crate::artifacts::lm::split_corpus(&dataset, &split)],
        train: crate::models::lm::train::PretrainConfig {
            steps: int_param(config, "lm_steps").unwrap_or(400).max(1) as usize,
            batch_size: int_param(config, "lm_batch_size").unwrap_or(32).max(1) as usize,
            seq_len: int_param(config, "lm_seq_len").unwrap_or(128).max(1) as usize,
            learning_rate: 3e-3,
            seed,
        },
        tokenizer_vocab: None,
    }
}

/// The token classifier an `llmlingua2` config needs: distilled from oracle labels on the
/// training articles of the same split.
pub fn classifier_config(
    config: &Map<String, Value>,
    seed: u64,
) -> crate::artifacts::token_classifier::ClassifierArtifactConfig {
    use crate::models::token_classifier::TokenClassifierConfig;
    let (dataset, split) = super::tokenizer::split_of(config);
    crate::artifacts::token_classifier::ClassifierArtifactConfig {
        code_version: crate::artifacts::token_classifier::CLASSIFIER_CODE_VERSION,
        dataset,
        split,
        labels: crate::prompt::llmlingua2::ORACLE_LABELS.into(),
        model: TokenClassifierConfig::new()
            .with_d_model(int_param(config, "classifier_d_model").unwrap_or(64).max(1) as usize)
            .with_layers(int_param(config, "classifier_layers").unwrap_or(2).max(1) as usize),
        train: crate::models::token_classifier::train::TrainConfig {
            epochs: int_param(config, "classifier_epochs").unwrap_or(6).max(1) as usize,
            batch_size: 16,
            learning_rate: config
                .get("classifier_learning_rate")
                .and_then(Value::as_f64)
                .unwrap_or(0.002),
            seed,
        },
    }
}

/// The `prompt-compression` task kind.
pub struct PromptCompressionTask;

fn all_params() -> Vec<Param> {
    let mut params = PARAMS.to_vec();
    params.extend(super::qa_reader::PARAMS);
    params.extend(super::tokenizer::SPLIT_PARAMS);
    params
}

impl Task for PromptCompressionTask {
    fn name(&self) -> &'static str {
        "prompt-compression"
    }

    fn summary(&self) -> &'static str {
        "question answering from contexts compressed by token selection at a ratio: F1/EM, kept fraction, compression factor"
    }

    fn placement(&self) -> super::Placement {
        super::Placement::Burn
    }

    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError> {
        schema::check(spec, self.name(), &all_params())?;
        schema::check_names(spec, "algorithm", ALGORITHMS, "algorithms")?;
        schema::check_names(spec, "reader", super::qa_reader::READERS, "readers")
    }

    fn check_run(&self, config: &Map<String, Value>) -> Result<(), (String, String)> {
        match config.get("ratio").and_then(Value::as_f64) {
            Some(r) if r > 0.0 && r <= 1.0 => Ok(()),
            Some(r) => Err((
                "ratio".into(),
                format!("{r} is not a fraction of tokens kept: use a value in (0, 1]"),
            )),
            None => Err(("ratio".into(), "`ratio` must be a number".into())),
        }
    }

    fn artifacts(&self, config: &Map<String, Value>) -> Vec<crate::artifacts::ArtifactRequest> {
        let mut needed = super::qa_reader::reader_artifacts(config);
        let seed = config.get("seed").and_then(Value::as_i64).unwrap_or(0) as u64;
        match str_param(config, "algorithm") {
            Some("selective_context" | "llmlingua") => {
                needed.push(crate::artifacts::ArtifactRequest {
                    kind: "lm".into(),
                    config: serde_json::to_value(lm_config(config, seed)).unwrap_or_default(),
                });
            }
            Some("llmlingua2") => needed.push(crate::artifacts::ArtifactRequest {
                kind: "token-classifier".into(),
                config: serde_json::to_value(classifier_config(config, seed)).unwrap_or_default(),
            }),
            _ => {}
        }
        needed
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<Value> {
        let (spec, parts, eval) = super::qa_reader::evaluation_set(config, ctx.seed)?;
        let algorithm = str_param(config, "algorithm").context("no `algorithm`")?;
        let ratio = config
            .get("ratio")
            .and_then(Value::as_f64)
            .context("no `ratio`")?;
        let mut extra = Map::new();
        let store = crate::artifacts::ArtifactStore::default_location();
        let lm = match algorithm {
            "selective_context" | "llmlingua" => {
                let lm = crate::artifacts::lm::load(&store, &lm_config(config, ctx.seed))?;
                extra.insert("scorer_artifact".into(), json!(lm.artifact.id));
                extra.insert(
                    "lm_heldout_bpc".into(),
                    json!(lm.curve.last().and_then(|c| c.heldout_bpc)),
                );
                Some(lm)
            }
            _ => None,
        };
        let classifier = match algorithm {
            "llmlingua2" => {
                let c = crate::artifacts::token_classifier::load(
                    &store,
                    &classifier_config(config, ctx.seed),
                )?;
                extra.insert("scorer_artifact".into(), json!(c.artifact.id));
                extra.insert(
                    "classifier_heldout_recall_at_half".into(),
                    json!(c.history.last().map(|h| h.heldout_recall_at_half)),
                );
                Some(c)
            }
            _ => None,
        };
        let scorer = match (&lm, &classifier) {
            (Some(lm), _) => crate::prompt::Scorer::Lm(&lm.model),
            (_, Some(c)) => crate::prompt::Scorer::Classifier(&c.model, &c.config),
            _ => crate::prompt::Scorer::None,
        };
        // Each context is compressed once, whatever the number of its questions (once per
        // question when the compression is question-aware).
        let question_aware = algorithm == "llmlingua"
            && config
                .get("question_aware")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let started = Instant::now();
        let mut done: HashMap<(Arc<str>, Option<String>), Arc<str>> = HashMap::new();
        let (mut kept, mut total) = (0usize, 0usize);
        let mut compressed = Vec::with_capacity(eval.len());
        for ex in &eval {
            let key = (
                ex.context.clone(),
                question_aware.then(|| ex.question.clone()),
            );
            let context = match done.get(&key) {
                Some(c) => c.clone(),
                None => {
                    let c = crate::prompt::compress(
                        algorithm,
                        &ex.context,
                        ratio,
                        ctx.seed,
                        scorer,
                        key.1.as_deref(),
                    )?;
                    kept += c.kept;
                    total += c.total;
                    let text: Arc<str> = c.text.into();
                    done.insert(key, text.clone());
                    text
                }
            };
            compressed.push(QaExample {
                context,
                ..ex.clone()
            });
        }
        let compress_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let predictions = super::qa_reader::answer(config, ctx, &compressed, &mut extra)?;
        let answer_seconds = started.elapsed().as_secs_f64();
        let (scores, mut metrics) =
            super::qa_reader::score(config, ctx, &compressed, &predictions, spec, &parts)?;
        let kept_fraction = kept as f64 / total.max(1) as f64;
        println!(
            "{algorithm} at ratio {ratio}: kept {:.3} of {total} tokens; F1 {:.2} [{:.2}, {:.2}], EM {:.2} on {} questions",
            kept_fraction,
            scores.overall.f1,
            scores.overall.f1_ci.0,
            scores.overall.f1_ci.1,
            scores.overall.em,
            scores.overall.n,
        );
        metrics.extend(
            json!({
                "contexts_compressed": done.len(),
                "requested_ratio": ratio,
                "kept_fraction": kept_fraction,
                "compression_factor": total as f64 / kept.max(1) as f64,
                "original_tokens": total,
                "kept_tokens": kept,
                "compress_seconds_per_context": compress_seconds / done.len().max(1) as f64,
                "question_aware": question_aware,
                "seconds_per_question": answer_seconds / eval.len().max(1) as f64,
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        // The run used both the reader's and the language model's artifacts.
        let mut ids: Vec<Value> = extra
            .remove("artifacts")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        ids.extend(extra.get("scorer_artifact").cloned());
        if !ids.is_empty() {
            metrics.insert("artifacts".into(), Value::Array(ids));
        }
        metrics.extend(extra);
        Ok(Value::Object(metrics))
    }
}
