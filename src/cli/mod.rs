//! Command-line interface: argument parsing and dispatch to the library. No logic lives here
//! beyond turning arguments into calls and results into exit codes ([`exit`]).

mod analyze;
mod artifacts;
mod codec;
mod compress_model;
mod data;
mod devices;
mod exit;
mod export;
mod launch;
mod llm;
mod lm_codec;
mod lm_codec_bench;
mod options;
mod report;
mod reproduce;
mod status;
mod tasks;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::error::ExitCode;

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
    /// Rerun completed runs (artifacts rebuilt) in a scratch directory and compare every
    /// metric and artifact with what was recorded.
    Reproduce(reproduce::ReproduceArgs),
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
    /// Export an experiment's runs to another tool: `mlflow`.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// The burn backends compiled in, the devices each sees, and where a spec's runs would go.
    Devices(devices::DevicesArgs),
    /// List the task kinds runner knows, or one kind's parameters and metrics.
    Tasks(tasks::TasksArgs),
    /// Compress files or responses with classical codecs and print statistics.
    Codec(codec::CodecArgs),
    /// Compress or decompress files with a learned language model; pretrain one.
    #[command(subcommand, name = "lm-codec")]
    LmCodec(lm_codec::LmCodecCommand),
    /// A pretrained language model: its shape, bits per byte of files, generation.
    #[command(subcommand)]
    Llm(llm::LlmCommand),
    /// Compress a trained reader artifact's weights into a file and measure what it keeps.
    #[command(name = "compress-model")]
    CompressModel(compress_model::CompressModelArgs),
    /// List the shared artifacts (tokenizers, trained models) and what they were built from.
    Artifacts {
        /// Digest every artifact's files again and compare with the digests recorded when it
        /// was built (exit 1 when one changed).
        #[arg(long)]
        verify: bool,
    },
    /// List, verify or download the public data sets and pretrained models.
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

/// Parses arguments and runs the command; returns the process exit code.
pub fn main() -> i32 {
    // `runner supervise ARGS` (hidden; used by the scheduler where runner-supervise is missing)
    // takes the supervisor's own command line, parsed by the supervisor itself.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "supervise") {
        return crate::scheduler::supervisor::main(&args[2..]);
    }
    let cli = Cli::parse();
    if let Commands::Exec { task, run_dir } = &cli.command {
        return exit::exec(task, run_dir);
    }
    match run(cli.command) {
        Ok(code) => code.code(),
        Err(e) => exit::report_error(&e).code(),
    }
}

fn run(command: Commands) -> Result<ExitCode> {
    match command {
        Commands::Launch(args) => launch::launch(args),
        Commands::Resume(args) => launch::resume(args),
        Commands::Status(args) => status::status(args),
        Commands::Export(cmd) => export::run(cmd),
        Commands::Report(args) => report::report(args),
        Commands::Reproduce(args) => reproduce::run(args),
        Commands::Analyze(cmd) => analyze::run(cmd),
        Commands::Cancel { dir } => {
            let jobs = crate::scheduler::slurm::backend::cancel(&dir)?;
            if jobs.is_empty() {
                println!("no job of {} is pending or running", dir.display());
            } else {
                println!("cancelled jobs {}", jobs.join(", "));
            }
            Ok(ExitCode::Complete)
        }
        Commands::SlurmTask { dir, list } => {
            let mut reporter = crate::console::terminal::TerminalReporter::new(true);
            crate::scheduler::slurm::array_task::run(&dir, &list, &mut reporter)
        }
        Commands::Codec(args) => codec::codec(args),
        Commands::Data(cmd) => data::data(cmd),
        Commands::LmCodec(cmd) => lm_codec::run(cmd),
        Commands::Llm(cmd) => llm::run(cmd),
        Commands::Artifacts { verify } => artifacts::list(verify),
        Commands::CompressModel(args) => compress_model::compress_model(args),
        Commands::Tasks(args) => tasks::tasks(args),
        Commands::Devices(args) => devices::devices(args),
        Commands::Exec { .. } => unreachable!("handled before"),
    }
}
