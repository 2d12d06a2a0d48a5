//! `results.jsonl`: one line per completed run, the table every report starts from.
//! Lines are appended as runs complete (one write call each); at every launch the file is
//! rebuilt from the run directories, so a line lost or cut by a crash comes back exactly once.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::provenance::GitState;

/// One line of results.jsonl.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultLine {
    /// Run id.
    pub id: String,
    /// Run name.
    pub name: String,
    /// Task kind.
    pub task: String,
    /// Resolved config.
    pub config: Map<String, Value>,
    /// The run's metrics.json.
    pub metrics: Value,
    /// The shared artifacts the run used, with their content hashes (its artifacts.json).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<ArtifactUse>,
    /// Wall-clock seconds of the completing attempt.
    pub duration_s: f64,
    /// Device it ran on.
    pub device: Option<String>,
    /// Host it ran on.
    pub host: Option<String>,
    /// Attempts it took.
    pub attempts: u32,
    /// When it finished.
    pub finished_at: Option<String>,
    /// Version of runner that ran it.
    pub runner_version: String,
    /// Git commit of the working tree it ran from.
    pub git: Option<GitState>,
}

/// A shared artifact a run used: its id (kind and config hash) and the content hash of the
/// files it read (none in records written before runner recorded contents; read from a bare
/// id string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ArtifactUseForm")]
pub struct ArtifactUse {
    /// `<kind>-<hash of its config>`.
    pub id: String,
    /// SHA-256 over its files (`artifacts::content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The forms an [`ArtifactUse`] is read from: an object, or a bare id (older records).
#[derive(Deserialize)]
#[serde(untagged)]
enum ArtifactUseForm {
    Id(String),
    Use {
        id: String,
        #[serde(default)]
        sha256: Option<String>,
    },
}

impl From<ArtifactUseForm> for ArtifactUse {
    fn from(form: ArtifactUseForm) -> ArtifactUse {
        match form {
            ArtifactUseForm::Id(id) => ArtifactUse { id, sha256: None },
            ArtifactUseForm::Use { id, sha256 } => ArtifactUse { id, sha256 },
        }
    }
}

/// Appends one line to results.jsonl with a single write.
pub fn append(path: &Path, line: &ResultLine) -> Result<()> {
    let mut text = serde_json::to_string(line)?;
    text.push('\n');
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot append to {}", path.display()))?;
    Ok(())
}

/// Reads results.jsonl. Lines that cannot be read (a torn last line, bytes damaged) are left
/// out with a warning on stderr: callers fall back to the run directories, and `runner resume`
/// rewrites the file from them.
pub fn read(path: &Path) -> Result<Vec<ResultLine>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(l) => lines.push(l),
            Err(e) => eprintln!(
                "warning: {}: line {} cannot be read ({e}); its run is read from its directory \
                 (`runner resume` rewrites the file)",
                path.display(),
                i + 1
            ),
        }
    }
    Ok(lines)
}

/// Rewrites results.jsonl atomically with exactly `lines`.
pub fn rewrite(path: &Path, lines: &[ResultLine]) -> Result<()> {
    let mut text = String::new();
    for line in lines {
        text.push_str(&serde_json::to_string(line)?);
        text.push('\n');
    }
    super::atomic::write_atomic(path, text.as_bytes())
}
