//! Where and when a number came from: host, time, runner version, git commit.

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

/// The runner version compiled into this binary.
pub const RUNNER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The machine's host name.
pub fn hostname() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// The current time as RFC 3339 (UTC).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The git state of a working tree.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GitState {
    /// Commit hash of HEAD.
    pub commit: String,
    /// Whether tracked files differ from HEAD.
    pub dirty: bool,
}

/// The git commit of the working tree containing `dir`, if it is one.
pub fn git_state(dir: &Path) -> Option<GitState> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dirty = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    Some(GitState { commit, dirty })
}

/// Peak resident memory of this process (VmHWM from /proc), in MB; NaN where unknown.
pub fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
