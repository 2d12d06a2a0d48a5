//! `runner launch SPEC` and `runner resume DIR`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{dry_run, RunOptions, EXIT_INCOMPLETE, EXIT_INTERRUPTED};
use crate::artifacts::units::{missing_units, ArtifactTask};
use crate::artifacts::ArtifactStore;
use crate::grid::{self, Grid};
use crate::reporter::terminal::TerminalReporter;
use crate::scheduler::{devices, Dispatcher};
use crate::store::lock::ExperimentLock;
use crate::store::provenance::{git_state, now_rfc3339, RUNNER_VERSION};
use crate::store::{atomic, reconcile, ExperimentDir, ExperimentMeta};

/// Arguments of `runner launch`.
#[derive(clap::Args, Debug)]
pub struct LaunchArgs {
    /// The experiment spec (TOML).
    pub spec: PathBuf,
    /// Show the grid and what would run; execute nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// In a dry run, list every run even for large grids.
    #[arg(long)]
    pub all: bool,
    /// Directory holding experiment directories.
    #[arg(long, default_value = "runs")]
    pub runs_root: PathBuf,
    /// Experiment directory (default: <runs-root>/<experiment name>).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Where runs execute.
#[derive(clap::Args, Debug, Clone)]
pub struct BackendArgs {
    /// `local` (this machine's devices) or `slurm` (job arrays on a Slurm cluster).
    #[arg(long, default_value = "local", value_parser = ["local", "slurm"])]
    pub backend: String,
    /// Slurm: partition to submit to.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm: account to charge.
    #[arg(long)]
    pub account: Option<String>,
    /// Slurm: quality of service.
    #[arg(long)]
    pub qos: Option<String>,
    /// Slurm: at most this many array tasks running at once.
    #[arg(long)]
    pub array_limit: Option<u32>,
    /// Slurm: wait until the submitted jobs leave the queue (default: return after submitting).
    #[arg(long)]
    pub wait: bool,
}

impl BackendArgs {
    fn slurm(&self) -> Option<crate::scheduler::slurm::SlurmOptions> {
        (self.backend == "slurm").then(|| crate::scheduler::slurm::SlurmOptions {
            partition: self.partition.clone(),
            account: self.account.clone(),
            qos: self.qos.clone(),
            array_limit: self.array_limit,
        })
    }
}

/// Arguments of `runner resume`.
#[derive(clap::Args, Debug)]
pub struct ResumeArgs {
    /// The experiment directory (e.g. runs/phase1).
    pub dir: PathBuf,
    /// Show what would run; execute nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub options: RunOptions,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `runner launch`.
pub fn launch(args: LaunchArgs) -> Result<i32> {
    let (spec, grid) = grid::load(&args.spec)?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| args.runs_root.join(&spec.experiment.name));
    let store = ExperimentDir::new(&dir);
    if args.dry_run {
        print!("{}", dry_run::render(&spec, &grid, &store, args.all));
        if let Some(slurm) = args.backend.slurm() {
            let directives = crate::scheduler::slurm::submit::directives(&spec.resources, &slurm);
            println!(
                "\n  Slurm: one array task per run{}, each with {}",
                slurm
                    .array_limit
                    .map(|n| format!(", at most {n} at once"))
                    .unwrap_or_default(),
                directives.join(" ")
            );
        }
        return Ok(0);
    }
    store.create()?;
    let _lock = ExperimentLock::acquire(&dir)?;
    let previous = store.read_meta().ok();
    let workdir = std::env::current_dir().context("cannot read the current directory")?;
    let meta = ExperimentMeta {
        name: spec.experiment.name.clone(),
        description: spec.experiment.description.clone(),
        task: spec.experiment.task.clone(),
        spec_path: spec.path.clone(),
        workdir: workdir.clone(),
        resources: spec.resources.clone(),
        created_at: previous
            .as_ref()
            .map_or_else(now_rfc3339, |m| m.created_at.clone()),
        updated_at: now_rfc3339(),
        runner_version: RUNNER_VERSION.to_string(),
        git: git_state(
            spec.path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        ),
    };
    atomic::write_atomic(&store.file("spec.toml"), spec.frozen.as_bytes())?;
    atomic::write_json(&store.file("experiment.json"), &meta)?;
    atomic::write_json(&store.file("plan.json"), &grid)?;
    execute(&store, &meta, &grid, &args.options, &args.backend)
}

/// `runner resume`.
pub fn resume(args: ResumeArgs) -> Result<i32> {
    let store = ExperimentDir::new(&args.dir);
    if !store.has_plan() {
        anyhow::bail!(
            "{} is not an experiment directory (no plan.json)\n  = help: start one with `runner launch SPEC`",
            args.dir.display()
        );
    }
    let mut meta = store.read_meta()?;
    let grid = store.read_plan()?;
    if args.dry_run {
        print!("{}", dry_run::render_resume(&meta, &grid, &store));
        return Ok(0);
    }
    let _lock = ExperimentLock::acquire(&args.dir)?;
    meta.updated_at = now_rfc3339();
    meta.git = git_state(&meta.workdir).or(meta.git);
    atomic::write_json(&store.file("experiment.json"), &meta)?;
    execute(&store, &meta, &grid, &args.options, &args.backend)
}

/// Reconciles the store with the plan, then runs what is missing. Caller holds the lock.
fn execute(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    grid: &Grid,
    options: &RunOptions,
    backend: &BackendArgs,
) -> Result<i32> {
    let task = crate::task::lookup(&grid.task)
        .with_context(|| format!("unknown task kind `{}` in the plan", grid.task))?;
    if let Some(slurm) = backend.slurm() {
        return crate::scheduler::slurm::backend::submit_experiment(
            store,
            meta,
            grid,
            task,
            &slurm,
            backend.wait,
        );
    }
    let queued = crate::scheduler::slurm::backend::active_jobs(&store.root)?;
    if !queued.is_empty() {
        anyhow::bail!(
            "jobs {} of this experiment are still in the Slurm queue\n  = help: use `--backend slurm`, or `runner cancel {}` first",
            queued.join(", "),
            store.root.display()
        );
    }
    let mut rec = reconcile::observe(store, grid);
    let recovered = reconcile::recover_dead_runs(store, grid, &mut rec, &|_| false)?;
    if recovered > 0 {
        eprintln!("    Recovered {recovered} runs left running by a launcher that stopped; they run again");
    }
    if reconcile::repair_results(store, grid, meta, &rec)? {
        eprintln!("    Repaired results.jsonl from the run directories");
    }
    if !rec.not_in_grid.is_empty() {
        eprintln!(
            "    Note: {} run directories are no longer in the grid; they are kept (see `runner status {}`)",
            rec.not_in_grid.len(),
            store.root.display()
        );
    }
    let slots = devices::slots(&meta.resources, options.jobs);
    let mut reporter = TerminalReporter::new(options.quiet);
    let todo = rec.todo();
    let artifact_store = ArtifactStore::for_workdir(&meta.workdir);
    let units = missing_units(task, grid, &todo, &artifact_store);
    if !units.runs.is_empty() {
        eprintln!(
            "    Building {} shared artifacts first (logs in {}/artifact-builds)",
            units.runs.len(),
            store.root.display()
        );
        let builds = ExperimentDir::new(store.root.join("artifact-builds"));
        builds.create()?;
        let summary = Dispatcher {
            store: &builds,
            meta,
            plan: &units,
            task: &ArtifactTask,
            slots: slots.clone(),
            fail_fast: false,
            reporter: &mut reporter,
            sigterm_is_stop: false,
        }
        .run((0..units.runs.len()).collect(), 0)?;
        if summary.was_interrupted {
            return Ok(EXIT_INTERRUPTED);
        }
    }
    let summary = Dispatcher {
        store,
        meta,
        plan: grid,
        task,
        slots,
        fail_fast: options.fail_fast,
        reporter: &mut reporter,
        sigterm_is_stop: false,
    }
    .run(todo, rec.done())?;
    Ok(if summary.was_interrupted {
        EXIT_INTERRUPTED
    } else if summary.all_complete() {
        0
    } else {
        EXIT_INCOMPLETE
    })
}
