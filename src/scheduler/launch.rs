//! A launch, the same for every backend: take the experiment's lock, record the launch (or the
//! resume), reconcile the plan with the run store, stop and recover runs a dead launcher left
//! `running`, repair results.jsonl, and find the shared artifacts the remaining runs need. Then
//! a [`Backend`] runs the rest: this machine's slots ([`super::local`]) or Slurm job arrays
//! ([`super::slurm`]). The CLI only parses arguments and calls [`launch`] or [`resume`].

use std::collections::HashSet;
use std::path::Path;

use anyhow::Result;

use super::recovery::recover_dead_runs;
use super::reporter::{Note, Reporter};
use crate::artifacts::ArtifactStore;
use crate::error::{bad_input, ExitCode};
use crate::grid::Grid;
use crate::spec::Spec;
use crate::store::lock::ExperimentLock;
use crate::store::reconcile::{self, Reconciled};
use crate::store::{ExperimentDir, ExperimentMeta};
use crate::task::artifact::missing_units;
use crate::task::Task;

/// An experiment being launched or resumed (its lock is held).
pub struct Launch<'a> {
    /// The experiment directory.
    pub store: &'a ExperimentDir,
    /// Its metadata.
    pub meta: &'a ExperimentMeta,
    /// Its plan.
    pub grid: &'a Grid,
    /// Its task kind.
    pub task: &'static dyn Task,
}

/// What preparation leaves to the backend.
#[derive(Debug)]
pub struct Prepared {
    /// Every planned run's state after recovery.
    pub states: Reconciled,
    /// Runs to execute now (not complete, not alive in the backend), in plan order.
    pub todo: Vec<usize>,
    /// Runs the backend still holds (queued or running there).
    pub queued: Vec<usize>,
    /// Builds of the shared artifacts that the runs to execute need and the store lacks.
    pub units: Grid,
}

/// How a launch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every run of the plan is complete.
    Complete,
    /// Some run failed or did not run.
    Incomplete,
    /// Stopped by Ctrl-C (or SIGTERM).
    Interrupted,
    /// Handed to a cluster's queue, not waited for.
    Submitted,
}

impl Outcome {
    /// The exit code of the command that ended so.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Complete | Outcome::Submitted => ExitCode::Complete,
            Outcome::Incomplete => ExitCode::Incomplete,
            Outcome::Interrupted => ExitCode::Interrupted,
        }
    }
}

/// Where runs execute.
pub trait Backend {
    /// Ids of the experiment's runs (and artifact builds) the backend still holds, queued or
    /// running there; preparation leaves them alone. Fails when the backend cannot take the
    /// experiment now.
    fn alive(&mut self, launch: &Launch<'_>) -> Result<HashSet<String>>;
    /// Whether runs use this machine's devices (only then does the preflight look for the
    /// GPUs a spec names here; a cluster's nodes have their own).
    fn runs_here(&self) -> bool {
        true
    }
    /// Runs (or submits) the prepared work.
    fn execute(
        &mut self,
        launch: &Launch<'_>,
        work: Prepared,
        reporter: &mut dyn Reporter,
    ) -> Result<Outcome>;
}

/// Settings of a launch beyond its spec.
#[derive(Debug, Clone, Copy, Default)]
pub struct LaunchOptions {
    /// Download nothing: a missing data set is an error (`--offline`, `RUNNER_OFFLINE=1`).
    pub offline: bool,
}

/// `runner launch`: checks what the spec needs (the preflight; nothing is created when it
/// fails), records the launch of `spec` in `dir` and runs what is missing.
pub fn launch(
    spec: &Spec,
    grid: &Grid,
    dir: &Path,
    options: LaunchOptions,
    backend: &mut dyn Backend,
    reporter: &mut dyn Reporter,
) -> Result<Outcome> {
    let store = ExperimentDir::new(dir);
    let cwd = std::env::current_dir()?;
    preflight(
        &store,
        grid,
        &spec.resources,
        &cwd,
        options,
        backend.runs_here(),
    )?;
    store.create()?;
    let _lock = ExperimentLock::acquire(dir)?;
    let meta = store.record_launch(spec, grid)?;
    run(&store, &meta, grid, backend, reporter)
}

/// `runner resume`: runs what is missing, failed or interrupted in an experiment directory
/// (after the same preflight as a launch).
pub fn resume(
    dir: &Path,
    options: LaunchOptions,
    backend: &mut dyn Backend,
    reporter: &mut dyn Reporter,
) -> Result<Outcome> {
    let store = ExperimentDir::open(dir)?;
    let grid = store.read_plan()?;
    let meta = store.read_meta()?;
    let here = backend.runs_here();
    preflight(&store, &grid, &meta.resources, &meta.workdir, options, here)?;
    let _lock = ExperimentLock::acquire(dir)?;
    let meta = store.record_resume()?;
    run(&store, &meta, &grid, backend, reporter)
}

/// The preflight of the runs of `grid` that are not complete yet.
fn preflight(
    store: &ExperimentDir,
    grid: &Grid,
    resources: &crate::spec::Resources,
    workdir: &Path,
    options: LaunchOptions,
    runs_here: bool,
) -> Result<()> {
    let task = crate::task::lookup(&grid.task)
        .ok_or_else(|| bad_input(format!("unknown task kind `{}` in the plan", grid.task)))?;
    let todo = reconcile::observe(store, grid).todo();
    let gpus = runs_here.then_some(resources);
    crate::task::preflight::check(task, grid, &todo, gpus, workdir, options.offline)
}

fn run(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    grid: &Grid,
    backend: &mut dyn Backend,
    reporter: &mut dyn Reporter,
) -> Result<Outcome> {
    let task = crate::task::lookup(&grid.task)
        .ok_or_else(|| bad_input(format!("unknown task kind `{}` in the plan", grid.task)))?;
    super::devices::plan_with_first_slot(&meta.resources, task.placement());
    let launch = Launch {
        store,
        meta,
        grid,
        task,
    };
    let alive = backend.alive(&launch)?;
    let work = prepare(&launch, &alive, reporter)?;
    backend.execute(&launch, work, reporter)
}

/// Reconciles the store with the plan (runs in `alive` are left alone), recovers dead runs,
/// repairs results.jsonl and lists the artifact builds the remaining runs need.
pub fn prepare(
    launch: &Launch<'_>,
    alive: &HashSet<String>,
    reporter: &mut dyn Reporter,
) -> Result<Prepared> {
    let (store, grid) = (launch.store, launch.grid);
    let strays =
        super::processes::kill_runs_under(&store.root.join("runs"), &|id| alive.contains(id));
    if strays > 0 {
        reporter.note(Note::Text(format!(
            "Stopped {strays} processes of runs left by a launcher that stopped"
        )));
    }
    let mut states = reconcile::observe(store, grid);
    let recovered = recover_dead_runs(store, grid, &mut states, &|id| alive.contains(id))?;
    if recovered > 0 {
        reporter.note(Note::Recovered(recovered));
    }
    if reconcile::repair_results(store, grid, launch.meta, &mut states)? {
        reporter.note(Note::RepairedResults);
    }
    if !states.not_in_grid.is_empty() {
        reporter.note(Note::NotInGrid {
            count: states.not_in_grid.len(),
            dir: store.root.clone(),
        });
    }
    let (queued, todo): (Vec<usize>, Vec<usize>) = states
        .todo()
        .into_iter()
        .partition(|&i| alive.contains(&grid.runs[i].id));
    let artifacts = ArtifactStore::for_workdir(&launch.meta.workdir);
    let units = missing_units(launch.task, grid, &todo, &artifacts);
    Ok(Prepared {
        states,
        todo,
        queued,
        units,
    })
}
