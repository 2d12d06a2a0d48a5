//! Running a built-in task inside a run's child process: `runner exec --task KIND RUN_DIR`
//! reads config.json, runs the task, and writes metrics.json last and atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use super::{Invocation, RunContext};

/// What a built-in task gets besides its config.
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// The run directory (outputs go here).
    pub run_dir: PathBuf,
    /// The run's seed.
    pub seed: u64,
    /// CPU threads the run may use.
    pub threads: usize,
}

impl ExecContext {
    /// Reports progress (`current/total message`) for the launcher's display.
    pub fn progress(&self, current: usize, total: usize, message: &str) {
        let _ = std::fs::write(
            self.run_dir.join("progress"),
            format!("{current}/{total} {message}\n"),
        );
    }

    /// A path inside the run directory.
    pub fn out(&self, name: &str) -> PathBuf {
        self.run_dir.join(name)
    }
}

/// The invocation that runs built-in task `kind` in the run directory.
pub fn invocation(kind: &str, ctx: &RunContext<'_>) -> Result<Invocation> {
    let exe = std::env::current_exe().context("cannot find the runner executable")?;
    // After a rebuild during a long launch, the running binary's file is replaced; Linux then
    // reports its path with " (deleted)": start the new binary at the same path.
    let exe = match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
        Some(path) => std::path::PathBuf::from(path),
        None => exe,
    };
    Ok(Invocation {
        program: exe.display().to_string(),
        args: vec![
            "exec".into(),
            "--task".into(),
            kind.into(),
            ctx.run_dir.display().to_string(),
        ],
        env: Vec::new(),
        cwd: ctx.workdir.to_path_buf(),
    })
}

/// Runs built-in task `kind` on the run directory; writes metrics.json on success.
pub fn exec(kind: &str, run_dir: &Path) -> Result<()> {
    let task = super::lookup(kind).with_context(|| format!("unknown task kind `{kind}`"))?;
    let config: Map<String, Value> = crate::store::read_json(&run_dir.join("config.json"))?;
    let seed = config.get("seed").and_then(Value::as_i64).unwrap_or(0) as u64;
    let threads = std::env::var("RUNNER_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let ctx = ExecContext {
        run_dir: run_dir.to_path_buf(),
        seed,
        threads,
    };
    let metrics = task.execute(&config, &ctx)?;
    // Each run records the ids of the artifacts it used.
    if let Some(ids) = metrics.get("artifacts") {
        crate::store::atomic::write_json(&run_dir.join("artifacts.json"), ids)?;
    }
    let mut text = serde_json::to_vec_pretty(&metrics)?;
    text.push(b'\n');
    crate::store::atomic::write_durable(&run_dir.join("metrics.json"), &text)
}

/// Reads a string parameter.
pub fn str_param<'c>(config: &'c Map<String, Value>, key: &str) -> Option<&'c str> {
    config.get(key).and_then(Value::as_str)
}

/// Reads an integer parameter.
pub fn int_param(config: &Map<String, Value>, key: &str) -> Option<i64> {
    config.get(key).and_then(Value::as_i64)
}

/// Reads a duration parameter ("5ms", or seconds).
pub fn duration_param(
    config: &Map<String, Value>,
    key: &str,
) -> Result<Option<std::time::Duration>> {
    match config.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            Ok(Some(humantime::parse_duration(s).with_context(|| {
                format!("`{key}`: invalid duration `{s}`")
            })?))
        }
        Some(v) => Ok(v.as_f64().map(std::time::Duration::from_secs_f64)),
    }
}
