//! `runner data`: the known public data sets, where runner looks for them, their checksums.

use crate::error::ExitCode;
use anyhow::{bail, Result};

use crate::data::{data_dir, registry};

/// What to do.
#[derive(clap::Subcommand, Debug)]
pub enum DataCommand {
    /// List the data sets and whether they are present.
    List,
    /// Check the SHA-256 of every file present.
    Verify,
    /// Download a data set from its official source and check it.
    Fetch {
        /// Data set name (see `runner data list`).
        name: String,
    },
}

/// `runner data`.
pub fn data(cmd: DataCommand) -> Result<ExitCode> {
    let dir = data_dir();
    match cmd {
        DataCommand::List => {
            println!(
                "data directory: {} (set RUNNER_DATA to change it)",
                dir.display()
            );
            for e in registry::ENTRIES {
                let here = if dir.join(e.path).exists() {
                    "present"
                } else {
                    "missing"
                };
                println!(
                    "  {:<12} {:<8} {:<30} {}",
                    e.name, here, e.path, e.description
                );
            }
            Ok(ExitCode::Complete)
        }
        DataCommand::Verify => {
            for e in registry::ENTRIES {
                for line in registry::verify(e, &dir)? {
                    println!("{:<12} {line}", e.name);
                }
            }
            Ok(ExitCode::Complete)
        }
        DataCommand::Fetch { name } => {
            let Some(entry) = registry::find(&name) else {
                let names: Vec<&str> = registry::ENTRIES.iter().map(|e| e.name).collect();
                bail!("unknown data set `{name}`; known: {}", names.join(", "));
            };
            registry::fetch(entry, &dir)?;
            println!("{} verified in {}", entry.name, dir.display());
            Ok(ExitCode::Complete)
        }
    }
}
