//! `runner reproduce DIR [RUN...]`: reruns completed runs of an experiment in a scratch
//! directory, with their artifacts rebuilt in a fresh store there (unless asked to reuse the
//! store), and compares every metric and every artifact's content with what was recorded.
//!
//! ```text
//! <scratch>/artifacts/        the rebuilt artifacts ($RUNNER_ARTIFACTS of the rerun)
//! <scratch>/<experiment>/     an experiment directory: the chosen runs of the plan, rerun
//! <scratch>/reproduce.json    the comparison, run by run
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use super::launch::{LaunchOptions, Outcome};
use super::{Backend, Reporter};
use crate::analysis::reproduction::{compare, RunCheck};
use crate::error::bad_input;
use crate::grid::Grid;
use crate::store::results::{self, ResultLine};
use crate::store::ExperimentDir;

/// What to reproduce and where.
#[derive(Debug, Clone)]
pub struct Reproduction {
    /// The experiment directory.
    pub dir: PathBuf,
    /// Runs by name or id (empty: every completed run).
    pub runs: Vec<String>,
    /// The scratch directory.
    pub into: PathBuf,
    /// Use the existing artifact store instead of rebuilding the artifacts.
    pub reuse_artifacts: bool,
    /// Settings of the rerun's launch.
    pub options: LaunchOptions,
}

/// The comparison, as reproduce.json holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The experiment directory.
    pub experiment: PathBuf,
    /// The scratch directory.
    pub scratch: PathBuf,
    /// Whether the artifacts were rebuilt (false: the existing store was used).
    pub rebuilt_artifacts: bool,
    /// Git commits of the recorded results.
    pub recorded_commits: Vec<String>,
    /// Git commit of the rerun.
    pub rerun_commit: Option<String>,
    /// CPUs (model and instruction-set level) the recorded runs computed on.
    pub recorded_cpus: Vec<String>,
    /// The CPU of the rerun.
    pub rerun_cpu: String,
    /// Every run.
    pub runs: Vec<RunCheck>,
}

impl Comparison {
    /// Whether every run reproduced.
    pub fn reproduced(&self) -> bool {
        self.runs.iter().all(RunCheck::reproduced)
    }
}

/// Reruns and compares; `outcome` tells whether every rerun completed.
pub fn reproduce(
    job: &Reproduction,
    backend: &mut dyn Backend,
    reporter: &mut dyn Reporter,
) -> Result<(Comparison, Outcome)> {
    let source = ExperimentDir::open(&job.dir)?;
    let (meta, plan) = (source.read_meta()?, source.read_plan()?);
    let recorded = results::read(&source.file("results.jsonl"))?;
    let chosen = choose(&plan, &recorded, &job.runs, &job.dir)?;
    if !job.reuse_artifacts {
        // Inherited by every run and artifact build this process starts.
        std::env::set_var("RUNNER_ARTIFACTS", job.into.join("artifacts"));
    }
    let copy = ExperimentDir::new(job.into.join(&meta.name));
    if copy.has_plan() {
        return Err(bad_input(format!(
            "{} holds an earlier reproduction; choose another directory with --into",
            job.into.display()
        )));
    }
    let grid = Grid {
        runs: chosen.iter().map(|(run, _)| (*run).clone()).collect(),
        ..plan.clone()
    };
    let spec_text = std::fs::read_to_string(source.file("spec.toml")).unwrap_or_default();
    copy.record_copy(&meta, &spec_text, &grid)?;
    let outcome = super::launch::resume(&copy.root, job.options, backend, reporter)?;
    let rerun = results::read(&copy.file("results.jsonl"))?;
    let runs = chosen
        .iter()
        .map(|(run, line)| compare(line, rerun.iter().find(|l| l.id == run.id)))
        .collect();
    let mut commits: Vec<String> = Vec::new();
    for line in chosen.iter().filter_map(|(_, l)| l.git.as_ref()) {
        let c = format!("{}{}", line.commit, if line.dirty { "+dirty" } else { "" });
        if !commits.contains(&c) {
            commits.push(c);
        }
    }
    let comparison = Comparison {
        experiment: job.dir.clone(),
        scratch: job.into.clone(),
        rebuilt_artifacts: !job.reuse_artifacts,
        recorded_commits: commits,
        rerun_commit: rerun.iter().find_map(|l| {
            l.git
                .as_ref()
                .map(|g| format!("{}{}", g.commit, if g.dirty { "+dirty" } else { "" }))
        }),
        recorded_cpus: cpus(chosen.iter().map(|(_, l)| *l)),
        rerun_cpu: crate::store::provenance::cpu_label(),
        runs,
    };
    crate::store::atomic::write_json(&job.into.join("reproduce.json"), &comparison)?;
    Ok((comparison, outcome))
}

/// The distinct CPUs recorded runs name in their metrics (built-in tasks record theirs).
fn cpus<'a>(lines: impl Iterator<Item = &'a ResultLine>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cpu in lines.filter_map(|l| l.metrics["cpu"].as_str()) {
        if !out.iter().any(|c| c == cpu) {
            out.push(cpu.to_string());
        }
    }
    out
}

/// The planned runs to reproduce with their recorded lines: those named (by name or id), or
/// every run with a recorded result.
fn choose<'a>(
    plan: &'a Grid,
    recorded: &'a [ResultLine],
    names: &[String],
    dir: &Path,
) -> Result<Vec<(&'a crate::grid::PlannedRun, &'a ResultLine)>> {
    let line_of = |id: &str| recorded.iter().rev().find(|l| l.id == id);
    if names.is_empty() {
        let all: Vec<_> = plan
            .runs
            .iter()
            .filter_map(|r| line_of(&r.id).map(|l| (r, l)))
            .collect();
        if all.is_empty() {
            return Err(bad_input(format!(
                "{}: no completed run to reproduce (results.jsonl has none)",
                dir.display()
            )));
        }
        return Ok(all);
    }
    names
        .iter()
        .map(|n| {
            let run = plan
                .runs
                .iter()
                .find(|r| &r.name == n || &r.id == n)
                .ok_or_else(|| {
                    bad_input(format!("{}: no run named `{n}` in the plan", dir.display()))
                })?;
            let line = line_of(&run.id).ok_or_else(|| {
                bad_input(format!(
                    "run `{n}` has no recorded result to compare with (not completed)"
                ))
            })?;
            Ok((run, line))
        })
        .collect::<Result<Vec<_>>>()
        .context("choosing the runs to reproduce")
}

/// The default scratch directory: `<experiment>/reproduce/<UTC time>`.
pub fn default_scratch(dir: &Path) -> PathBuf {
    let now = crate::store::provenance::now_rfc3339();
    let seconds = now.split(['.', 'Z', '+']).next().unwrap_or(&now);
    dir.join("reproduce")
        .join(seconds.replace([':', '-'], "").replace('T', "-"))
}
