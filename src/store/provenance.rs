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

/// The CPU this process computes on: its model (from /proc/cpuinfo) and the instruction-set
/// level its vector kernels can use, e.g. `AMD EPYC 9654 96-Core Processor (x86-64-v4)`.
/// burn's CPU kernels pick their instructions at run time (matrix products up to AVX2 and FMA,
/// element-wise and reduction kernels up to AVX-512), so two CPUs of different levels can
/// round differently.
pub fn cpu_label() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name") || l.starts_with("Model"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{model} ({})", isa_level())
}

/// The instruction-set level of this CPU (x86-64-v2/v3/v4; the architecture elsewhere).
pub fn isa_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f")
            && has!("avx512bw")
            && has!("avx512cd")
            && has!("avx512dq")
            && has!("avx512vl")
        {
            return "x86-64-v4";
        }
        if has!("avx2") && has!("fma") && has!("bmi1") && has!("bmi2") && has!("f16c") {
            return "x86-64-v3";
        }
        if has!("sse4.2") && has!("popcnt") && has!("ssse3") {
            return "x86-64-v2";
        }
        "x86-64"
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH
    }
}
