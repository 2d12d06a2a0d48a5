//! One attempt of one run: preparing its directory and starting its child, deciding how the
//! attempt ended (completed, failed, timed out, interrupted), and recording the outcome in the
//! run store (status.json, the results line). The dispatcher calls these; they never print.

use std::time::Duration;

use anyhow::Result;

use super::devices::Slot;
use super::events::Event;
use super::executor::{self, ChildEnv};
use crate::grid::{Grid, PlannedRun};
use crate::store::provenance::now_rfc3339;
use crate::store::results::{self, ResultLine};
use crate::store::{atomic, ExperimentDir, ExperimentMeta, RunState, RunStatus};
use crate::task::{RunContext, Task};

/// Prepares the run directory, records the attempt and starts the child.
pub fn start(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    task: &dyn Task,
    run: &PlannedRun,
    slot: &Slot,
    tx: &std::sync::mpsc::Sender<Event>,
    host: &str,
) -> Result<(u32, u32)> {
    let dir = store.run_dir(&run.id);
    // A directory made now holds nothing of an earlier attempt to clear or read.
    let fresh = match std::fs::create_dir(&dir) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(_) => {
            std::fs::create_dir_all(&dir)?;
            true
        }
    };
    let dir = std::fs::canonicalize(&dir)?;
    let config_path = dir.join("config.json");
    if fresh || !config_path.is_file() {
        atomic::write_json(&config_path, &run.config)?;
    }
    store.link_name(run);
    let previous = if fresh {
        None
    } else {
        for stale in [
            "metrics.json",
            "artifacts.json",
            "params.json",
            "exit.json",
            "progress",
            "curves.jsonl",
        ] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        store.read_status(&run.id)
    };
    let mut status = previous
        .filter(|s| s.config_hash == run.id)
        .unwrap_or_else(|| RunStatus::new(&run.id));
    status.attempts += 1;
    let invocation = task.invocation(
        run,
        &RunContext {
            run_dir: &dir,
            workdir: &meta.workdir,
        },
    )?;
    let env = ChildEnv {
        run_dir: &dir,
        run_id: &run.id,
        run_name: &run.name,
        seed: run.seed(),
        threads: meta.resources.threads,
        attempt: status.attempts,
        grace: meta
            .resources
            .kill_grace
            .unwrap_or(std::time::Duration::from_secs(10)),
    };
    let pid = executor::spawn(&invocation, &env, slot, tx.clone())?;
    super::faults::point("after-spawn");
    status.state = RunState::Running;
    status.device = Some(slot.device.clone());
    status.host = Some(host.to_string());
    status.pid = Some(pid);
    status.started_at = Some(now_rfc3339());
    status.ended_at = None;
    status.exit_code = None;
    status.signal = None;
    status.error = None;
    store.write_status(&run.id, &status)?;
    Ok((pid, status.attempts))
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    /// The run's state after it.
    pub state: RunState,
    /// What went wrong (with the tail of stderr for failed commands).
    pub error: Option<String>,
    /// The child's exit code.
    pub exit_code: Option<i32>,
    /// The signal that ended the child.
    pub signal: Option<i32>,
}

/// Decides how an attempt ended. With `sigterm_is_stop`, a child ended by SIGTERM was stopped
/// by the scheduler around runner: interrupted, not failed.
pub fn judge(
    store: &ExperimentDir,
    run: &PlannedRun,
    status: &std::io::Result<std::process::ExitStatus>,
    timed_out: bool,
    stopping: bool,
    timeout: Option<Duration>,
    sigterm_is_stop: bool,
) -> Ending {
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            return ending(
                RunState::Failed,
                Some(format!("lost track of the child: {e}")),
                (None, None),
            )
        }
    };
    let exit = executor::describe_exit(status);
    if timed_out {
        let limit = timeout
            .map(|t| humantime::format_duration(t).to_string())
            .unwrap_or_default();
        return ending(
            RunState::TimedOut,
            Some(format!("killed after the {limit} time limit")),
            exit,
        );
    }
    if exit.0 == Some(0) {
        return match store.read_metrics(&run.id) {
            Ok(serde_json::Value::Object(_)) => ending(RunState::Completed, None, exit),
            Ok(_) => ending(
                RunState::Failed,
                Some("metrics.json is not a JSON object".into()),
                exit,
            ),
            Err(e) => ending(RunState::Failed, Some(format!("exited 0 but {e:#}")), exit),
        };
    }
    // A signal that came after the run wrote metrics.json (its last output) ended a finished
    // run: a stop arriving as it exits must not cost the work.
    if exit.0.is_none() && has_metrics(store, run) {
        return ending(RunState::Completed, None, exit);
    }
    let dir = store.run_dir(&run.id);
    if dir.join("metrics.json").is_file() {
        let _ = std::fs::rename(dir.join("metrics.json"), dir.join("metrics.failed.json"));
    }
    if !stopping && sigterm_is_stop && exit.1 == Some(libc::SIGTERM) {
        let why = "stopped by the cluster's scheduler (cancelled, preempted or out of time)";
        return ending(RunState::Interrupted, Some(why.into()), exit);
    }
    let what = match exit {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "ended abnormally".to_string(),
    };
    let tail = stderr_tail(&dir.join("stderr.log"));
    let error = if tail.is_empty() {
        what
    } else {
        format!("{what}; stderr ends with:\n{tail}")
    };
    let state = if stopping {
        RunState::Interrupted
    } else {
        RunState::Failed
    };
    ending(state, Some(error), exit)
}

/// Whether the run's metrics.json is there and a JSON object.
pub fn has_metrics(store: &ExperimentDir, run: &PlannedRun) -> bool {
    matches!(
        store.read_metrics(&run.id),
        Ok(serde_json::Value::Object(_))
    )
}

fn ending(
    state: RunState,
    error: Option<String>,
    (exit_code, signal): (Option<i32>, Option<i32>),
) -> Ending {
    Ending {
        state,
        error,
        exit_code,
        signal,
    }
}

/// The results line of a completed run (its metrics.json with its config and provenance).
pub fn result_line(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    plan: &Grid,
    run: &PlannedRun,
    st: &RunStatus,
) -> Result<ResultLine> {
    crate::store::reconcile::result_line(store, meta, plan, run, Some(st))
}

/// Records a completed attempt: status.json first, then the results line, so a crash between
/// the two leaves a completed run whose line the next launch's repair adds (never a line of a
/// run that then runs again).
pub fn record_completed(
    store: &ExperimentDir,
    run: &PlannedRun,
    st: &RunStatus,
    line: &ResultLine,
) -> Result<()> {
    store.write_status(&run.id, st)?;
    super::faults::point("after-status");
    results::append(&store.file("results.jsonl"), line)
}

pub fn record_failure(
    store: &ExperimentDir,
    run: &PlannedRun,
    state: RunState,
    error: &str,
    device: &str,
    host: &str,
) -> Result<()> {
    let _ = std::fs::create_dir_all(store.run_dir(&run.id));
    let mut st = store
        .read_status(&run.id)
        .unwrap_or_else(|| RunStatus::new(&run.id));
    st.state = state;
    st.error = Some(error.to_string());
    st.device = Some(device.to_string());
    st.host = Some(host.to_string());
    st.ended_at = Some(now_rfc3339());
    store.write_status(&run.id, &st)
}

/// The last lines of a log (at most 20 lines, 2 KB), without runner's own header lines.
pub fn stderr_tail(path: &std::path::Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    let start = bytes.len().saturating_sub(2048);
    let text = String::from_utf8_lossy(&bytes[start..]);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("=== runner:"))
        .collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A run's own progress: the first line of its progress file, e.g. `3/10 epoch 3`.
pub fn read_progress(dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("progress")).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.chars().take(60).collect())
}
