//! `status.json` of one run: its state, attempts, where and when it ran, how it ended.

use serde::{Deserialize, Serialize};

/// The life-cycle state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Not started yet.
    Pending,
    /// Started by a launcher (or left so by one that died).
    Running,
    /// Finished with exit code 0 and a metrics.json.
    Completed,
    /// Exited non-zero, was killed by a signal, or wrote no metrics.
    Failed,
    /// Killed after its time limit.
    TimedOut,
    /// Stopped by Ctrl-C, or found running after its launcher died.
    Interrupted,
}

impl RunState {
    /// Lower-case word used in tables.
    pub fn word(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Completed => "done",
            RunState::Failed => "failed",
            RunState::TimedOut => "timed out",
            RunState::Interrupted => "interrupted",
        }
    }
}

/// Contents of `status.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunStatus {
    /// Current state.
    pub state: RunState,
    /// Attempts started so far, over all launches.
    pub attempts: u32,
    /// Id of the config this directory belongs to (checked on resume).
    pub config_hash: String,
    /// Device the last attempt ran on (`cpu`, `cuda:0`, ...).
    #[serde(default)]
    pub device: Option<String>,
    /// Host of the last attempt.
    #[serde(default)]
    pub host: Option<String>,
    /// Process id (and process group) of the last attempt's child.
    #[serde(default)]
    pub pid: Option<u32>,
    /// RFC 3339 start of the last attempt.
    #[serde(default)]
    pub started_at: Option<String>,
    /// RFC 3339 end of the last attempt.
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Wall-clock seconds of the last attempt.
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// Exit code of the last attempt.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Signal that ended the last attempt.
    #[serde(default)]
    pub signal: Option<i32>,
    /// What went wrong (with the tail of stderr for failed commands).
    #[serde(default)]
    pub error: Option<String>,
}

impl RunStatus {
    /// A fresh status for a run that has not started.
    pub fn new(config_hash: &str) -> RunStatus {
        RunStatus {
            state: RunState::Pending,
            attempts: 0,
            config_hash: config_hash.to_string(),
            device: None,
            host: None,
            pid: None,
            started_at: None,
            ended_at: None,
            duration_s: None,
            exit_code: None,
            signal: None,
            error: None,
        }
    }
}
