//! Command-line interface: argument parsing and dispatch to the library. No logic lives here
//! beyond turning arguments into calls and results into exit codes.
//!
//! Exit codes: 0 every run complete; 1 some run failed or is missing; 2 bad input (spec,
//! arguments, a locked directory); 130 stopped by Ctrl-C.

mod analyze;
mod artifacts;
mod codec;
mod data;
mod dry_run;
mod launch;
mod lm_codec;
mod report;
mod status;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Exit code for bad input.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code when some run did not complete.
pub const EXIT_INCOMPLETE: i32 = 1;
/// Exit code after Ctrl-C.
pub const EXIT_INTERRUPTED: i32 = 130;

#[derive(Parser, Debug)]
#[command(
    name = "runner",
    version,
    about = "Run compression-research grids from a TOML spec: launch, resume, status, report."
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand, Debug)]
enum Commands {
    /// Expand a spec into runs and execute them (or show them with --dry-run).
    Launch(launch::LaunchArgs),
    /// Finish an experiment: run only what is missing, failed or interrupted.
    Resume(launch::ResumeArgs),
    /// Tables, figures and report.md for one or several experiments.
    Report(report::ReportArgs),
    /// Statistics of an experiment: `thresholds` (where quality collapses under compression).
    #[command(subcommand)]
    Analyze(analyze::AnalyzeCommand),
    /// Cancel an experiment's Slurm jobs (pending and running).
    Cancel {
        /// The experiment directory.
        dir: PathBuf,
    },
    /// Run one Slurm array task (used by the Slurm backend's scripts; not for direct use).
    #[command(hide = true, name = "slurm-task")]
    SlurmTask {
        /// The experiment directory the run belongs to.
        #[arg(long)]
        dir: PathBuf,
        /// The submission's run list (line i = array index i).
        #[arg(long)]
        list: PathBuf,
    },
    /// Show the state of every run of an experiment.
    Status(status::StatusArgs),
    /// List the task kinds runner knows.
    Tasks,
    /// Compress files or responses with classical codecs and print statistics.
    Codec(codec::CodecArgs),
    /// Compress or decompress files with a learned language model; pretrain one.
    #[command(subcommand, name = "lm-codec")]
    LmCodec(lm_codec::LmCodecCommand),
    /// List the shared artifacts (tokenizers, trained models) and what they were built from.
    Artifacts,
    /// List, verify or download the public data sets.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Run one run of a built-in task (used by the scheduler; not for direct use).
    #[command(hide = true)]
    Exec {
        /// Task kind.
        #[arg(long)]
        task: String,
        /// The run directory.
        run_dir: PathBuf,
    },
}

/// Options shared by launch and resume.
#[derive(clap::Args, Debug, Clone)]
pub struct RunOptions {
    /// Stop starting runs after the first run that fails (running runs finish).
    #[arg(long)]
    pub fail_fast: bool,
    /// Number of CPU slots (overrides resources.runs_per_device for the CPU).
    #[arg(short = 'j', long)]
    pub jobs: Option<u32>,
    /// Print only failures and the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Where experiments are written by default.
pub fn default_runs_root() -> PathBuf {
    PathBuf::from("runs")
}

/// Parses arguments and runs the command; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::Launch(args) => launch::launch(args),
        Commands::Resume(args) => launch::resume(args),
        Commands::Status(args) => status::status(args),
        Commands::Report(args) => report::report(args),
        Commands::Analyze(cmd) => analyze::run(cmd),
        Commands::Cancel { dir } => crate::scheduler::slurm::backend::cancel(&dir).map(|jobs| {
            if jobs.is_empty() {
                println!("no job of {} is pending or running", dir.display());
            } else {
                println!("cancelled jobs {}", jobs.join(", "));
            }
            0
        }),
        Commands::SlurmTask { dir, list } => {
            match crate::scheduler::slurm::array_task::run(&dir, &list) {
                Ok(code) => Ok(code),
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return 1;
                }
            }
        }
        Commands::Codec(args) => codec::codec(args),
        Commands::Data(cmd) => data::data(cmd),
        Commands::LmCodec(cmd) => lm_codec::run(cmd),
        Commands::Artifacts => artifacts::list(),
        Commands::Exec { task, run_dir } => match {
            // A bug in a built-in task ends its run with one readable line in stderr.log (the
            // panic message and where it happened), not a backtrace whose tail hides the cause.
            std::panic::set_hook(Box::new(|info| {
                eprintln!("error: internal error in runner: {info}")
            }));
            crate::task::builtin::exec(&task, &run_dir)
        } {
            Ok(()) => Ok(0),
            Err(e) => {
                eprintln!("error: {e:#}");
                return 1;
            }
        },
        Commands::Tasks => {
            for t in crate::task::registry()
                .into_iter()
                .filter(|t| t.name() != "artifact")
            {
                println!("{:<20} {}", t.name(), t.summary());
            }
            Ok(0)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if let Some(spec_error) = e.downcast_ref::<crate::spec::SpecError>() {
                eprintln!("error: {spec_error}");
            } else {
                eprintln!("error: {e:#}");
            }
            EXIT_BAD_INPUT
        }
    }
}
