//! Reconciling a plan with what is on disk: which runs are done, which must (re)run, which
//! were left running by a launcher that died, and which directories are no longer in the grid.

use std::collections::HashSet;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Deserialize;

use super::atomic;
use super::experiment_dir::{ExperimentDir, Observed};
use super::meta::ExperimentMeta;
use super::provenance::RUNNER_VERSION;
use super::results::{self, ResultLine};
use super::run_status::{RunState, RunStatus};
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
    result_line(store, meta, plan, run, store.read_status(&run.id).as_ref())
}

/// The results line of a completed run: its metrics.json and artifacts.json with its config,
/// `status` (attempts, time, device) and provenance.
pub fn result_line(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    plan: &Grid,
    run: &crate::grid::PlannedRun,
    status: Option<&RunStatus>,
) -> Result<ResultLine> {
    Ok(ResultLine {
        id: run.id.clone(),
        name: run.name.clone(),
        task: plan.task.clone(),
        config: run.config.to_map(),
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
/// are missing (a crash between completion and append) are added; duplicates, torn or damaged
/// lines and lines of planned runs that are not completed (a run whose status was lost runs
/// again) are dropped, the file as it was kept beside it as `results.jsonl.damaged` when a
/// damaged line goes. Lines of runs no longer in the grid are kept. A completed run whose
/// metrics.json cannot be read is marked failed, to run again. Rewrites only when needed.
pub fn repair_results(
    store: &ExperimentDir,
    plan: &Grid,
    meta: &ExperimentMeta,
    rec: &mut Reconciled,
) -> Result<bool> {
    let path = store.file("results.jsonl");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let text = String::from_utf8_lossy(&bytes);
    let completed: HashSet<String> = plan
        .runs
        .iter()
        .zip(&rec.states)
        .filter(|(_, s)| **s == Observed::State(RunState::Completed))
        .map(|(r, _)| r.id.clone())
        .collect();
    let planned: HashSet<&str> = plan.runs.iter().map(|r| r.id.as_str()).collect();
    // A line belongs when it is whole, its id is new, and its run is completed (or no longer
    // in the grid: kept, never deleted).
    let belongs = |id: &str| !planned.contains(id) || completed.contains(id);
    if is_clean(&text, &belongs, &completed) {
        return Ok(false);
    }
    let mut lines: Vec<ResultLine> = Vec::new();
    let mut kept = HashSet::new();
    let mut damaged = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<ResultLine>(line) {
            Ok(l) if belongs(&l.id) && kept.insert(l.id.clone()) => lines.push(l),
            Ok(_) => {}
            Err(_) => damaged = true,
        }
    }
    if damaged {
        atomic::write_atomic(&store.file("results.jsonl.damaged"), &bytes)?;
    }
    for (i, run) in plan.runs.iter().enumerate() {
        if !completed.contains(&run.id) || kept.contains(&run.id) {
            continue;
        }
        match line_from_store(store, plan, meta, run) {
            Ok(line) => lines.push(line),
            Err(e) => rec.states[i] = Observed::State(mark_unreadable(store, run, &e)?),
        }
    }
    results::rewrite(&path, &lines)?;
    Ok(true)
}

/// Whether results.jsonl already holds exactly one whole line per completed run and nothing
/// that does not belong.
fn is_clean(text: &str, belongs: &dyn Fn(&str) -> bool, completed: &HashSet<String>) -> bool {
    let mut seen = HashSet::new();
    let mut clean = text.is_empty() || text.ends_with('\n');
    for line in text.lines() {
        match serde_json::from_str::<IdOnly>(line) {
            Ok(l) if belongs(&l.id) && seen.insert(l.id.clone()) => {}
            _ => clean = false,
        }
    }
    clean && completed.iter().all(|id| seen.contains(id))
}

/// Marks a completed run whose outputs cannot be read (metrics.json damaged) as failed, with
/// the reason, so that it runs again.
fn mark_unreadable(
    store: &ExperimentDir,
    run: &crate::grid::PlannedRun,
    error: &anyhow::Error,
) -> Result<RunState> {
    let mut status = store
        .read_status(&run.id)
        .unwrap_or_else(|| RunStatus::new(&run.id));
    status.state = RunState::Failed;
    status.error = Some(format!(
        "its outputs cannot be read, so it runs again: {error:#}"
    ));
    store.write_status(&run.id, &status)?;
    Ok(RunState::Failed)
}
