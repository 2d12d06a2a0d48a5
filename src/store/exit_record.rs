//! `exit.json` of a run: how its process ended, written by the run's own supervisor (or by
//! `runner exec`) the moment it ends, before anything else. A launcher that dies before it
//! records the exit leaves this behind, so the next launch finds a finished run finished.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;

use anyhow::Result;
use serde::{Deserialize, Serialize};

/// Contents of exit.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitRecord {
    /// The wait status as the kernel gave it.
    pub raw: i32,
    /// Exit code, if it exited.
    pub code: Option<i32>,
    /// Signal that ended it, if one did.
    pub signal: Option<i32>,
    /// When it ended (RFC 3339).
    pub ended_at: String,
}

impl ExitRecord {
    /// The record of an exit status.
    pub fn of(status: &ExitStatus) -> ExitRecord {
        ExitRecord {
            raw: status.into_raw(),
            code: status.code(),
            signal: status.signal(),
            ended_at: super::provenance::now_rfc3339(),
        }
    }

    /// The exit status back.
    pub fn status(&self) -> ExitStatus {
        ExitStatus::from_raw(self.raw)
    }
}

/// Writes `run_dir/exit.json` durably.
pub fn write(run_dir: &Path, status: &ExitStatus) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(&ExitRecord::of(status))?;
    text.push(b'\n');
    super::atomic::write_durable(&run_dir.join("exit.json"), &text)
}

/// Reads `run_dir/exit.json`, if the run's process left one.
pub fn read(run_dir: &Path) -> Option<ExitRecord> {
    let bytes = std::fs::read(run_dir.join("exit.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exit_status_survives_the_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        for raw in [0, 1 << 8, 9] {
            let status = ExitStatus::from_raw(raw);
            write(dir.path(), &status).unwrap();
            let back = read(dir.path()).unwrap();
            assert_eq!(back.status(), status);
            assert_eq!((back.code, back.signal), (status.code(), status.signal()));
        }
    }
}
