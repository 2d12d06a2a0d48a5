//! `runner reproduce DIR [RUN...]`: arguments and one call into `scheduler::reproduce`.

use std::path::PathBuf;

use anyhow::Result;

use super::options::RunOptions;
use crate::console::terminal::TerminalReporter;
use crate::error::ExitCode;
use crate::scheduler::local::LocalBackend;
use crate::scheduler::reproduce::{default_scratch, reproduce, Reproduction};

/// Arguments of `runner reproduce`.
#[derive(clap::Args, Debug)]
pub struct ReproduceArgs {
    /// The experiment directory (e.g. runs/phase1).
    pub dir: PathBuf,
    /// Runs to reproduce, by name or id (default: every completed run).
    pub runs: Vec<String>,
    /// Scratch directory (default: <DIR>/reproduce/<UTC time>).
    #[arg(long)]
    pub into: Option<PathBuf>,
    /// Use the existing artifact store instead of rebuilding every artifact from scratch.
    #[arg(long)]
    pub reuse_artifacts: bool,
    #[command(flatten)]
    pub options: RunOptions,
}

/// `runner reproduce`: exit 0 when every run reproduced, 1 when something differs or a rerun
/// did not complete.
pub fn run(args: ReproduceArgs) -> Result<ExitCode> {
    let job = Reproduction {
        into: args
            .into
            .clone()
            .unwrap_or_else(|| default_scratch(&args.dir)),
        dir: args.dir,
        runs: args.runs,
        reuse_artifacts: args.reuse_artifacts,
        options: args.options.launch_options(),
    };
    let mut reporter = TerminalReporter::new(args.options.quiet);
    let mut backend = LocalBackend {
        jobs: args.options.jobs,
        fail_fast: args.options.fail_fast,
    };
    let (comparison, outcome) = reproduce(&job, &mut backend, &mut reporter)?;
    print!("{}", crate::console::reproduce::render(&comparison));
    Ok(match outcome.exit_code() {
        ExitCode::Complete if comparison.reproduced() => ExitCode::Complete,
        ExitCode::Interrupted => ExitCode::Interrupted,
        _ => ExitCode::Incomplete,
    })
}
