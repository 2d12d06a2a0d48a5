//! Paired comparisons of conditions on the same questions: every candidate condition against
//! every baseline condition that agrees with it on the pairing axes (the same M, the same
//! factor), from the runs' per-question scores (`sample_predictions.json`). A condition is a
//! run's labels without the seed; a question's scores under several seeds are averaged, so the
//! bootstrap and the sign-flip test resample questions. The p-values of one comparison table
//! are Holm-corrected together.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::Serialize;

use super::aggregate::{matches, Filter};
use super::experiment_data::{ExperimentData, RunRow};
use super::thresholds::hypothesis::{holm, paired_permutation};
use crate::metrics::intervals::bootstrap_interval;

/// What to compare.
#[derive(Debug, Clone)]
pub struct PairedRequest<'a> {
    /// Per-question score: `f1` or `em`.
    pub metric: &'a str,
    /// Runs that are candidates.
    pub candidates: &'a Filter,
    /// Runs that are baselines.
    pub baselines: &'a Filter,
    /// Axes on which a candidate and its baseline must agree.
    pub pair_on: &'a [String],
    /// Bootstrap resamples of questions for the interval of the mean difference.
    pub resamples: usize,
    /// Random sign patterns of the permutation test.
    pub permutations: usize,
}

/// One candidate against one baseline.
#[derive(Debug, Clone, Serialize)]
pub struct PairedRow {
    /// The candidate condition (its labels on the varying axes, seed left out).
    pub candidate: String,
    /// The baseline condition.
    pub baseline: String,
    /// Questions scored under both.
    pub n: usize,
    /// Mean of candidate − baseline over those questions.
    pub mean_difference: f64,
    /// 95% percentile bootstrap interval of the mean difference.
    pub ci: (f64, f64),
    /// Two-sided sign-flip permutation p-value.
    pub p: f64,
    /// Holm-adjusted p over the rows of this comparison.
    pub p_holm: f64,
}

/// A condition: its name and its per-question scores (mean over seeds).
struct Condition {
    name: String,
    labels: BTreeMap<String, String>,
    scores: BTreeMap<String, f64>,
}

/// Every candidate against every baseline that agrees on `pair_on`, Holm over all the rows.
pub fn compare(data: &[ExperimentData], req: &PairedRequest<'_>) -> Result<Vec<PairedRow>> {
    if !matches!(req.metric, "f1" | "em") {
        bail!(
            "metric = \"{}\": paired comparisons use f1 or em",
            req.metric
        );
    }
    let candidates = conditions(data, req.candidates, req.metric)?;
    let baselines = conditions(data, req.baselines, req.metric)?;
    let mut rows = Vec::new();
    for c in &candidates {
        for b in &baselines {
            let agree = req
                .pair_on
                .iter()
                .all(|k| c.labels.get(k) == b.labels.get(k));
            if !agree || c.name == b.name {
                continue;
            }
            let d: Vec<f64> = c
                .scores
                .iter()
                .filter_map(|(q, s)| b.scores.get(q).map(|t| s - t))
                .collect();
            if d.is_empty() {
                continue;
            }
            let seed = crate::data::sampling::mix(rows.len() as u64, d.len() as u64);
            rows.push(PairedRow {
                candidate: c.name.clone(),
                baseline: b.name.clone(),
                n: d.len(),
                mean_difference: d.iter().sum::<f64>() / d.len() as f64,
                ci: bootstrap_interval(&d, req.resamples, seed),
                p: paired_permutation(&d, req.permutations, seed).p,
                p_holm: f64::NAN,
            });
        }
    }
    let adjusted = holm(&rows.iter().map(|r| r.p).collect::<Vec<_>>());
    for (r, p) in rows.iter_mut().zip(adjusted) {
        r.p_holm = p;
    }
    Ok(rows)
}

/// The conditions of the runs matching `filter`, in plan order.
fn conditions(data: &[ExperimentData], filter: &Filter, metric: &str) -> Result<Vec<Condition>> {
    let mut out: Vec<Condition> = Vec::new();
    let mut seeds: Vec<BTreeMap<String, usize>> = Vec::new();
    for e in data {
        for row in e.rows.iter().filter(|r| matches(&r.labels, filter)) {
            let name = condition_name(&e.plan.varying, row);
            let c = match out.iter().position(|c| c.name == name) {
                Some(c) => c,
                None => {
                    out.push(Condition {
                        name,
                        labels: row.labels.clone(),
                        scores: BTreeMap::new(),
                    });
                    seeds.push(BTreeMap::new());
                    out.len() - 1
                }
            };
            for (q, s) in per_question(row, metric)? {
                *out[c].scores.entry(q.clone()).or_default() += s;
                *seeds[c].entry(q).or_default() += 1;
            }
        }
    }
    for (c, counts) in out.iter_mut().zip(seeds) {
        for (q, s) in c.scores.iter_mut() {
            *s /= counts[q] as f64;
        }
    }
    Ok(out)
}

/// "architecture=gist, target_length=64": the run's labels on the varying axes, seed left out.
fn condition_name(varying: &[String], row: &RunRow) -> String {
    varying
        .iter()
        .filter(|k| k.as_str() != "seed")
        .map(|k| format!("{k}={}", row.labels.get(k).map_or("-", String::as_str)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A run's per-question scores (question id → F1 or EM ×100).
fn per_question(row: &RunRow, metric: &str) -> Result<Vec<(String, f64)>> {
    Ok(row
        .predictions()?
        .into_iter()
        .map(|r| (r.id, if metric == "f1" { r.f1 } else { r.em }))
        .collect())
}
