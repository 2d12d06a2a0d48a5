//! Reconciling a plan with what is on disk: which runs are done, which must (re)run, which
//! were left running by a launcher that died, and which directories are no longer in the grid.

use std::collections::HashSet;

use anyhow::Result;
use rayon::prelude::*;
use serde::Deserialize;

use super::provenance::RUNNER_VERSION;
use super::results::{self, ResultLine};
use super::{ExperimentDir, ExperimentMeta, Observed, RunState};
use crate::grid::Grid;

/// The plan's runs as the store sees them.
#[derive(Debug)]
pub struct Reconciled {
    /// State of each planned run, in plan order.
    pub states: Vec<Observed>,
    /// Run directories whose id is not in the plan (kept, never deleted).
    pub not_in_grid: Vec<String>,
}

impl Reconciled {
    /// Indices of runs that still have to run.
    pub fn todo(&self) -> Vec<usize> {
        (0..self.states.len())
            .filter(|&i| self.states[i] != Observed::State(RunState::Completed))
            .collect()
    }

    /// Number of completed runs.
    pub fn done(&self) -> usize {
        self.states.len() - self.todo().len()
    }

    /// How many runs are in a state (New counts as pending).
    pub fn count(&self, state: RunState) -> usize {
        self.states
            .iter()
            .filter(|o| match o {
                Observed::New => state == RunState::Pending,
                Observed::State(s) => *s == state,
            })
            .count()
    }
}

/// Looks at every planned run's files.
/// One directory listing first, so runs without a directory cost nothing; the status files
/// of the others are read in parallel.
pub fn observe(store: &ExperimentDir, plan: &Grid) -> Reconciled {
    let on_disk: HashSet<String> = store.ids_on_disk().into_iter().collect();
    let states = plan
        .runs
        .par_iter()
        .map(|r| {
            if on_disk.contains(&r.id) {
                store.observe(r)
            } else {
                Observed::New
            }
        })
        .collect();
    let planned: HashSet<&str> = plan.runs.iter().map(|r| r.id.as_str()).collect();
    let mut not_in_grid: Vec<String> = on_disk
        .into_iter()
        .filter(|id| !planned.contains(id.as_str()))
        .collect();
    not_in_grid.sort();
    Reconciled {
        states,
        not_in_grid,
    }
}

/// The results line of a completed run, rebuilt from its directory.
fn line_from_store(
    store: &ExperimentDir,
    plan: &Grid,
    meta: &ExperimentMeta,
    run: &crate::grid::PlannedRun,
) -> Result<ResultLine> {
    let status = store.read_status(&run.id);
    let status = status.as_ref();
    Ok(ResultLine {
        id: run.id.clone(),
        name: run.name.clone(),
        task: plan.task.clone(),
        config: run.config.clone(),
        metrics: store.read_metrics(&run.id)?,
        artifacts: store.read_artifacts(&run.id),
        duration_s: status.and_then(|s| s.duration_s).unwrap_or_default(),
        device: status.and_then(|s| s.device.clone()),
        host: status.and_then(|s| s.host.clone()),
        attempts: status.map_or(1, |s| s.attempts),
        finished_at: status.and_then(|s| s.ended_at.clone()),
        runner_version: RUNNER_VERSION.to_string(),
        git: meta.git.clone(),
    })
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// Makes results.jsonl hold exactly one line per completed run: lines of completed runs that
/// are missing (a crash between completion and append) are added; duplicates, torn lines and
/// lines of planned runs that are not completed (a run whose status was lost runs again) are
/// dropped. Lines of runs no longer in the grid are kept. Rewrites only when needed.
pub fn repair_results(
    store: &ExperimentDir,
    plan: &Grid,
    meta: &ExperimentMeta,
    rec: &Reconciled,
) -> Result<bool> {
    let path = store.file("results.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let completed: HashSet<&str> = plan
        .runs
        .iter()
        .zip(&rec.states)
        .filter(|(_, s)| **s == Observed::State(RunState::Completed))
        .map(|(r, _)| r.id.as_str())
        .collect();
    let planned: HashSet<&str> = plan.runs.iter().map(|r| r.id.as_str()).collect();
    // A line belongs when it is whole, its id is new, and its run is completed (or no longer
    // in the grid: kept, never deleted).
    let belongs = |id: &str| !planned.contains(id) || completed.contains(id);
    let mut seen = HashSet::new();
    let mut clean = text.is_empty() || text.ends_with('\n');
    for line in text.lines() {
        match serde_json::from_str::<IdOnly>(line) {
            Ok(l) if belongs(&l.id) && seen.insert(l.id.clone()) => {}
            _ => clean = false,
        }
    }
    if clean && completed.iter().all(|id| seen.contains(*id)) {
        return Ok(false);
    }
    let mut lines: Vec<ResultLine> = Vec::new();
    let mut kept = HashSet::new();
    for line in text.lines() {
        if let Ok(l) = serde_json::from_str::<ResultLine>(line) {
            if belongs(&l.id) && kept.insert(l.id.clone()) {
                lines.push(l);
            }
        }
    }
    for run in plan
        .runs
        .iter()
        .filter(|r| completed.contains(r.id.as_str()) && !kept.contains(&r.id))
    {
        lines.push(line_from_store(store, plan, meta, run)?);
    }
    results::rewrite(&path, &lines)?;
    Ok(true)
}
