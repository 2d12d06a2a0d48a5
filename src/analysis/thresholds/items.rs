//! Item-level data of a prompt-compression study: every completed run's per-question scores
//! (from its `sample_predictions.json`), arranged by condition (the algorithm and any other
//! varying setting except the ratio and the seed), ratio and item. An item is a question: its
//! scores under several seeds (other trained scorers, other random selections) are averaged,
//! so the bootstrap resamples questions, never copies of one question under several seeds.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::analysis::experiment_data::ExperimentData;

/// Per-question scores of one experiment.
#[derive(Debug, Clone, Default)]
pub struct StudyData {
    /// Condition names, in plan order.
    pub conditions: Vec<String>,
    /// The algorithm of each condition.
    pub algorithms: Vec<String>,
    /// Items: question ids.
    pub items: Vec<String>,
    /// Question type of each item.
    pub types: Vec<String>,
    /// `scores[condition][ratio]`: item index → score (F1 or EM ×100, mean over seeds).
    pub scores: Vec<BTreeMap<Ratio, BTreeMap<usize, f64>>>,
}

/// Per item: the sum of its scores over seeds and how many seeds scored it.
type SeedSums = BTreeMap<usize, (f64, usize)>;

/// A ratio as an ordered key (its bits; ratios are positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ratio(u64);

impl Ratio {
    /// The key of a ratio.
    pub fn of(r: f64) -> Ratio {
        Ratio(r.to_bits())
    }

    /// The ratio.
    pub fn value(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl StudyData {
    /// Loads the completed runs of a prompt-compression experiment; `metric` is `f1` or `em`.
    pub fn load(dir: &Path, metric: &str) -> Result<StudyData> {
        let data = ExperimentData::load(dir)?;
        if data.plan.task != "prompt-compression" {
            bail!(
                "{}: threshold analysis needs a prompt-compression experiment (this one runs `{}`)",
                dir.display(),
                data.plan.task
            );
        }
        if !matches!(metric, "f1" | "em") {
            bail!("--metric {metric}: use f1 or em");
        }
        let mut study = StudyData::default();
        let mut item_index: BTreeMap<String, usize> = BTreeMap::new();
        // Sums and counts over seeds, per condition, ratio and item.
        let mut sums: Vec<BTreeMap<Ratio, SeedSums>> = Vec::new();
        for row in &data.rows {
            let run = data
                .plan
                .runs
                .iter()
                .find(|r| r.id == row.id)
                .context("a completed run missing from the plan")?;
            let ratio = run
                .config
                .get("ratio")
                .and_then(|v| v.as_f64())
                .with_context(|| format!("run {}: no numeric `ratio`", row.name))?;
            let condition = condition_name(&data.plan.varying, &row.labels);
            let c = match study.conditions.iter().position(|n| *n == condition) {
                Some(c) => c,
                None => {
                    study.conditions.push(condition);
                    study
                        .algorithms
                        .push(row.labels.get("algorithm").cloned().unwrap_or_default());
                    sums.push(BTreeMap::new());
                    study.conditions.len() - 1
                }
            };
            let records = row.predictions()?;
            let cell = sums[c].entry(Ratio::of(ratio)).or_default();
            for r in records {
                let i = *item_index.entry(r.id.clone()).or_insert_with(|| {
                    study.items.push(r.id.clone());
                    study.types.push(r.question_type.clone());
                    study.items.len() - 1
                });
                let sum = cell.entry(i).or_insert((0.0, 0));
                sum.0 += if metric == "f1" { r.f1 } else { r.em };
                sum.1 += 1;
            }
        }
        study.scores = sums
            .into_iter()
            .map(|by_ratio| {
                by_ratio
                    .into_iter()
                    .map(|(r, cell)| {
                        let means = cell
                            .into_iter()
                            .map(|(i, (s, n))| (i, s / n as f64))
                            .collect();
                        (r, means)
                    })
                    .collect()
            })
            .collect();
        if study.conditions.is_empty() {
            bail!("{}: no completed run to analyse", dir.display());
        }
        Ok(study)
    }

    /// Ratios of a condition, ascending.
    pub fn ratios(&self, c: usize) -> Vec<f64> {
        self.scores[c].keys().map(|r| r.value()).collect()
    }

    /// Items scored at every one of `ratios` in every condition of `conditions`, optionally
    /// only those of one question type.
    pub fn complete_items(
        &self,
        conditions: &[usize],
        ratios: &[f64],
        qtype: Option<&str>,
    ) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| qtype.is_none_or(|t| self.types[i] == t))
            .filter(|&i| {
                conditions.iter().all(|&c| {
                    ratios.iter().all(|&r| {
                        self.scores[c]
                            .get(&Ratio::of(r))
                            .is_some_and(|cell| cell.contains_key(&i))
                    })
                })
            })
            .collect()
    }

    /// Score of item `i` under condition `c` at ratio `r` (NaN when missing).
    pub fn score(&self, c: usize, r: f64, i: usize) -> f64 {
        self.scores[c]
            .get(&Ratio::of(r))
            .and_then(|cell| cell.get(&i))
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// Question types present, sorted.
    pub fn type_names(&self) -> Vec<String> {
        let mut t = self.types.clone();
        t.sort();
        t.dedup();
        t
    }
}

/// A condition's name: its algorithm, then every other varying setting but ratio and seed.
fn condition_name(varying: &[String], labels: &BTreeMap<String, String>) -> String {
    let mut parts = vec![labels.get("algorithm").cloned().unwrap_or_default()];
    for key in varying {
        if !matches!(key.as_str(), "algorithm" | "ratio" | "seed") {
            parts.push(format!(
                "{key}={}",
                labels.get(key).map_or("-", |v| v.as_str())
            ));
        }
    }
    parts.join(", ")
}
