//! One experiment's data for analysis: its plan, its completed runs as flat rows (axis labels
//! and numeric metrics), and what is missing or failed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::grid::{Grid, PlannedRun};
use crate::metrics::flatten::flatten;
use crate::store::reconcile::{self, Reconciled};
use crate::store::{results, ExperimentDir, ExperimentMeta, Observed, RunState};

/// A completed run, flattened.
#[derive(Debug, Clone)]
pub struct RunRow {
    /// Experiment name.
    pub experiment: String,
    /// Run id.
    pub id: String,
    /// Run name.
    pub name: String,
    /// Label of every config key (preset names for presets), plus `experiment`.
    pub labels: BTreeMap<String, String>,
    /// Numeric metrics, nested keys joined by dots.
    pub metrics: BTreeMap<String, f64>,
    /// Wall-clock seconds.
    pub duration_s: f64,
    /// The run's directory.
    pub run_dir: PathBuf,
    /// The shared artifacts it used, with their content hashes.
    pub artifacts: Vec<results::ArtifactUse>,
    /// The CPU a built-in run computed on (model and instruction-set level), when recorded.
    pub cpu: Option<String>,
}

/// An experiment loaded for analysis.
#[derive(Debug)]
pub struct ExperimentData {
    /// Its directory.
    pub dir: ExperimentDir,
    /// Its metadata.
    pub meta: ExperimentMeta,
    /// Its plan.
    pub plan: Grid,
    /// Completed runs of the plan.
    pub rows: Vec<RunRow>,
    /// State of every planned run.
    pub states: Reconciled,
    /// The frozen spec text.
    pub spec_text: String,
    /// Git commits the results were produced at (with "+dirty" marks).
    pub commits: Vec<String>,
    /// runner versions the results were produced by.
    pub versions: Vec<String>,
}

impl RunRow {
    /// The run's per-question records (`sample_predictions.json` of QA tasks).
    pub fn predictions(&self) -> Result<Vec<crate::metrics::qa_eval::PredictionRecord>> {
        let path = self.run_dir.join("sample_predictions.json");
        crate::store::read_json(&path)
            .with_context(|| format!("run {}: per-question records", self.name))
    }
}

impl ExperimentData {
    /// Loads an experiment directory (finished, partial or still running).
    pub fn load(path: &Path) -> Result<ExperimentData> {
        let dir = ExperimentDir::new(path);
        if !dir.has_plan() {
            bail!(
                "{} is not an experiment directory (no plan.json)",
                path.display()
            );
        }
        let meta = dir.read_meta()?;
        let plan = dir.read_plan()?;
        let states = reconcile::observe(&dir, &plan);
        let lines = results::read(&dir.file("results.jsonl"))?;
        let by_id: BTreeMap<&str, &results::ResultLine> =
            lines.iter().map(|l| (l.id.as_str(), l)).collect();
        let mut rows = Vec::new();
        let mut commits = Vec::new();
        let mut versions = Vec::new();
        for (run, state) in plan.runs.iter().zip(&states.states) {
            if *state != Observed::State(RunState::Completed) {
                continue;
            }
            let (metrics, duration, artifacts) = match by_id.get(run.id.as_str()) {
                Some(line) => {
                    if let Some(g) = &line.git {
                        push_unique(
                            &mut commits,
                            format!("{}{}", g.commit, if g.dirty { "+dirty" } else { "" }),
                        );
                    }
                    push_unique(&mut versions, line.runner_version.clone());
                    (
                        line.metrics.clone(),
                        line.duration_s,
                        line.artifacts.clone(),
                    )
                }
                None => (
                    dir.read_metrics(&run.id)?,
                    dir.read_status(&run.id)
                        .and_then(|s| s.duration_s)
                        .unwrap_or(0.0),
                    dir.read_artifacts(&run.id),
                ),
            };
            let mut row = row_of(&meta.name, run, &metrics, duration, dir.run_dir(&run.id));
            row.artifacts = artifacts;
            rows.push(row);
        }
        let spec_text = std::fs::read_to_string(dir.file("spec.toml")).unwrap_or_default();
        Ok(ExperimentData {
            dir,
            meta,
            plan,
            rows,
            states,
            spec_text,
            commits,
            versions,
        })
    }

    /// Planned runs that are not complete, with their state word.
    pub fn incomplete(&self) -> Vec<(&PlannedRun, &'static str)> {
        self.plan
            .runs
            .iter()
            .zip(&self.states.states)
            .filter_map(|(r, s)| match s {
                Observed::State(RunState::Completed) => None,
                Observed::New => Some((r, "not run")),
                Observed::State(st) => Some((r, st.word())),
            })
            .collect()
    }

    /// Total compute time of the completed runs, in seconds.
    pub fn compute_seconds(&self) -> f64 {
        self.rows.iter().map(|r| r.duration_s).sum()
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Labels of a planned run: every config key's label, plus `experiment`.
pub fn labels_of(experiment: &str, run: &PlannedRun) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = run
        .config
        .keys()
        .into_iter()
        .map(|k| (k.to_string(), run.label(k)))
        .collect();
    labels.insert("experiment".into(), experiment.to_string());
    labels
}

fn row_of(
    experiment: &str,
    run: &PlannedRun,
    metrics: &Value,
    duration_s: f64,
    run_dir: PathBuf,
) -> RunRow {
    let mut flat = BTreeMap::new();
    flatten(metrics, "", &mut flat);
    RunRow {
        experiment: experiment.to_string(),
        id: run.id.clone(),
        name: run.name.clone(),
        labels: labels_of(experiment, run),
        metrics: flat,
        duration_s,
        run_dir,
        artifacts: Vec::new(),
        cpu: metrics["cpu"].as_str().map(str::to_string),
    }
}
