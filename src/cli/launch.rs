//! `runner launch SPEC` and `runner resume DIR`: arguments, the dry run, and one call into
//! `scheduler::launch` with the chosen backend.

use std::path::PathBuf;

use anyhow::Result;

use super::options::RunOptions;
use crate::console::dry_run;
use crate::console::terminal::TerminalReporter;
use crate::error::ExitCode;
use crate::scheduler::local::LocalBackend;
use crate::scheduler::slurm::backend::SlurmBackend;
use crate::scheduler::slurm::SlurmOptions;
use crate::scheduler::Backend;
use crate::store::ExperimentDir;

/// Arguments of `runner launch`.
#[derive(clap::Args, Debug)]
pub struct LaunchArgs {
    /// The experiment spec (TOML).
    pub spec: PathBuf,
    /// Overrides of the spec, KEY=VALUE: params.X=V, grid.X=V1,V2 (an axis), experiment.seeds=1,2,3,
    /// resources.X=V, tracking.X=V. Values are TOML or words (strings).
    #[arg(value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
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
    fn slurm(&self) -> Option<SlurmOptions> {
        (self.backend == "slurm").then(|| SlurmOptions {
            partition: self.partition.clone(),
            account: self.account.clone(),
            qos: self.qos.clone(),
            array_limit: self.array_limit,
        })
    }

    fn backend(&self, options: &RunOptions) -> Box<dyn Backend> {
        match self.slurm() {
            Some(opts) => Box::new(SlurmBackend::new(opts, self.wait)),
            None => Box::new(LocalBackend {
                jobs: options.jobs,
                fail_fast: options.fail_fast,
            }),
        }
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
pub fn launch(args: LaunchArgs) -> Result<ExitCode> {
    let (spec, grid) = crate::task::planning::plan(&args.spec, &args.overrides)?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| args.runs_root.join(&spec.experiment.name));
    if args.dry_run {
        print!(
            "{}",
            dry_run::render(&spec, &grid, &ExperimentDir::new(&dir), args.all)
        );
        if let Some(slurm) = args.backend.slurm() {
            print!("{}", dry_run::slurm_directives(&spec.resources, &slurm));
        }
        return Ok(ExitCode::Complete);
    }
    let mut reporter = TerminalReporter::new(args.options.quiet);
    let mut backend = args.backend.backend(&args.options);
    let options = args.options.launch_options();
    let outcome = crate::scheduler::launch::launch(
        &spec,
        &grid,
        &dir,
        options,
        backend.as_mut(),
        &mut reporter,
    )?;
    Ok(outcome.exit_code())
}

/// `runner resume`.
pub fn resume(args: ResumeArgs) -> Result<ExitCode> {
    if args.dry_run {
        let store = ExperimentDir::open(&args.dir)?;
        let (meta, grid) = (store.read_meta()?, store.read_plan()?);
        print!("{}", dry_run::render_resume(&meta, &grid, &store));
        return Ok(ExitCode::Complete);
    }
    let mut reporter = TerminalReporter::new(args.options.quiet);
    let mut backend = args.backend.backend(&args.options);
    let options = args.options.launch_options();
    let outcome =
        crate::scheduler::launch::resume(&args.dir, options, backend.as_mut(), &mut reporter)?;
    Ok(outcome.exit_code())
}
