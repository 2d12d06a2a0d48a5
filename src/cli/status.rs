//! `runner status DIR`: every run's state, attempts, duration, device and error.

use std::path::PathBuf;

use anyhow::Result;

use crate::error::ExitCode;

/// Arguments of `runner status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The experiment directory (e.g. runs/phase1).
    pub dir: PathBuf,
    /// Print JSON (one object per run) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `runner status`.
pub fn status(args: StatusArgs) -> Result<ExitCode> {
    let view = crate::scheduler::status::view(&args.dir)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&crate::console::status::json(&view))?
        );
    } else {
        print!("{}", crate::console::status::render(&view));
    }
    Ok(ExitCode::Complete)
}
