//! The `qa-reader` task: answers questions of an evaluation split of SQuAD-format data with a
//! reader and scores them (F1/EM ×100 with bootstrap intervals, overall and per question type).
//! Readers now: the two non-neural references, `sliding_window` and `random_span`; the trained
//! neural reader joins them with the burn models.
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
use crate::data::qa::{sample, split, SplitSpec};
use crate::metrics::qa_eval::evaluate;
use crate::models::baselines::{RandomSpan, SlidingWindow};
use crate::spec::{Spec, SpecError};

/// Readers this task knows.
pub const READERS: &[&str] = &["sliding_window", "random_span"];

/// Parameters of the qa-reader task.
pub const PARAMS: &[Param] = &[
    Param {
        name: "reader",
        kind: Kind::Str,
        required: true,
        doc: "sliding_window or random_span",
    },
    Param {
        name: "dataset",
        kind: Kind::Str,
        required: false,
        doc: "SQuAD-format data: squad-dev (default), xquad-en, or a path",
    },
    Param {
        name: "split_seed",
        kind: Kind::Int,
        required: false,
        doc: "seed of the article split (default 0)",
    },
    Param {
        name: "train_articles",
        kind: Kind::Int,
        required: false,
        doc: "articles for training (default 38)",
    },
    Param {
        name: "eval_articles",
        kind: Kind::Int,
        required: false,
        doc: "articles for evaluation (default 10)",
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

    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError> {
        schema::check(spec, self.name(), PARAMS)?;
        for node in schema::values_of(spec, "reader") {
            let name = node.as_str("reader")?;
            if !READERS.contains(&name) {
                return Err(
                    SpecError::at(&node.loc, "reader", format!("unknown reader `{name}`"))
                        .help(crate::spec::suggest::help_for(name, READERS, "readers")),
                );
            }
        }
        Ok(())
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<Value> {
        let dataset = str_param(config, "dataset").unwrap_or("squad-dev");
        let file = crate::data::squad::load(&crate::data::resolve(dataset))?;
        let spec = SplitSpec {
            seed: int_param(config, "split_seed").unwrap_or(0) as u64,
            train_articles: int_param(config, "train_articles").unwrap_or(38) as usize,
            eval_articles: int_param(config, "eval_articles").unwrap_or(10) as usize,
        };
        let parts = split(&file, spec)?;
        let eval = match int_param(config, "eval_questions") {
            Some(n) => sample(&parts.eval, n as usize, ctx.seed),
            None => parts.eval.clone(),
        };
        let max_len = int_param(config, "max_answer_words").unwrap_or(3).max(1) as usize;
        let reader = str_param(config, "reader").context("no `reader`")?;
        let start = std::time::Instant::now();
        let predictions: HashMap<String, String> = match reader {
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
        };
        let seconds = start.elapsed().as_secs_f64();
        let resamples = int_param(config, "bootstrap").unwrap_or(2000).max(1) as usize;
        let (records, scores) = evaluate(&eval, &predictions, resamples, ctx.seed);
        let keep =
            int_param(config, "sample_predictions").map_or(records.len(), |n| n.max(0) as usize);
        let text = serde_json::to_vec_pretty(&records[..keep.min(records.len())])?;
        crate::store::atomic::write_atomic(&ctx.out("sample_predictions.json"), &text)?;
        println!(
            "{reader}: F1 {:.2} [{:.2}, {:.2}], EM {:.2} on {} questions from {} held-out articles",
            scores.overall.f1,
            scores.overall.f1_ci.0,
            scores.overall.f1_ci.1,
            scores.overall.em,
            scores.overall.n,
            parts.eval_titles.len()
        );
        Ok(json!({
            "f1": scores.overall.f1,
            "em": scores.overall.em,
            "f1_ci_low": scores.overall.f1_ci.0,
            "f1_ci_high": scores.overall.f1_ci.1,
            "em_ci_low": scores.overall.em_ci.0,
            "em_ci_high": scores.overall.em_ci.1,
            "questions": scores.overall.n,
            "seconds_per_question": seconds / eval.len().max(1) as f64,
            "by_type": scores.by_type,
            "split": {"seed": spec.seed, "train_articles": parts.train_titles, "eval_articles": parts.eval_titles},
        }))
    }
}
