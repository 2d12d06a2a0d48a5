//! The executor: starts one run's child process in its own process group and reports its exit
//! as an event. Stopping a run signals the whole group, so grandchildren stop too.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::Sender;
use std::time::Instant;

use anyhow::{Context, Result};

use super::devices::Slot;
use super::events::Event;
use crate::task::Invocation;

/// Environment a run's child gets besides the task's own.
pub struct ChildEnv<'a> {
    /// Run directory (absolute).
    pub run_dir: &'a Path,
    /// Run id.
    pub run_id: &'a str,
    /// Run name.
    pub run_name: &'a str,
    /// Seed, if any.
    pub seed: Option<i64>,
    /// CPU threads for the run.
    pub threads: u32,
    /// Attempt number (1-based).
    pub attempt: u32,
    /// Time between SIGTERM and SIGKILL when the run is stopped.
    pub grace: std::time::Duration,
}

/// The program and arguments to start: the invocation itself when it records its own exit,
/// else the invocation under the supervisor: `runner-supervise` beside the runner executable
/// (a small program, quick to start), or `runner supervise` where there is none.
fn command_line(inv: &Invocation, env: &ChildEnv<'_>) -> Result<(String, Vec<String>)> {
    if inv.records_exit {
        return Ok((inv.program.clone(), inv.args.clone()));
    }
    let (program, mut args) = match supervisor_exe() {
        Some(small) => (small, Vec::new()),
        None => (
            crate::task::invocation::runner_exe()?,
            vec!["supervise".to_string()],
        ),
    };
    args.extend([
        "--parent".to_string(),
        std::process::id().to_string(),
        "--run-dir".to_string(),
        env.run_dir.display().to_string(),
        "--grace".to_string(),
        format!("{}", env.grace.as_secs_f64()),
        "--".to_string(),
        inv.program.clone(),
    ]);
    args.extend(inv.args.iter().cloned());
    Ok((program.display().to_string(), args))
}

/// `runner-supervise` beside the runner executable, if it is there (looked up once).
fn supervisor_exe() -> Option<std::path::PathBuf> {
    static FOUND: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let runner = crate::task::invocation::runner_exe().ok()?;
            Some(runner.with_file_name("runner-supervise")).filter(|p| p.is_file())
        })
        .clone()
}

/// Starts the child; a thread waits for it and sends [`Event::Exited`] for `slot`.
pub fn spawn(
    inv: &Invocation,
    env: &ChildEnv<'_>,
    slot: &Slot,
    events: Sender<Event>,
) -> Result<u32> {
    let log = |name: &str| -> Result<std::fs::File> {
        let path = env.run_dir.join(name);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        // One write: the header must not cost a system call per piece.
        let header = format!(
            "=== runner: attempt {} on {} at {} ===\n",
            env.attempt,
            slot.device,
            crate::store::provenance::now_rfc3339()
        );
        f.write_all(header.as_bytes())?;
        Ok(f)
    };
    let (program, args) = command_line(inv, env)?;
    let mut cmd = Command::new(&program);
    cmd.args(&args)
        .current_dir(&inv.cwd)
        .stdin(Stdio::null())
        .stdout(log("stdout.log")?)
        .stderr(log("stderr.log")?)
        .env("RUNNER_RUN_DIR", env.run_dir)
        .env("RUNNER_RUN_ID", env.run_id)
        .env("RUNNER_RUN_NAME", env.run_name)
        .env("RUNNER_CONFIG", env.run_dir.join("config.json"))
        .env("RUNNER_PROGRESS_FILE", env.run_dir.join("progress"))
        .env("RUNNER_ATTEMPT", env.attempt.to_string())
        .env("RUNNER_DEVICE", &slot.device)
        .env("CUDA_VISIBLE_DEVICES", slot.gpus.join(","))
        .env("RUNNER_THREADS", env.threads.to_string())
        .env("OMP_NUM_THREADS", env.threads.to_string())
        .env("MKL_NUM_THREADS", env.threads.to_string())
        .env("RAYON_NUM_THREADS", env.threads.to_string())
        .envs(inv.env.iter().map(|(k, v)| (k, v)))
        .process_group(0);
    if let Some(seed) = env.seed {
        cmd.env("RUNNER_SEED", seed.to_string());
    }
    // If the launcher dies (even by SIGKILL), the child is told to stop. The supervisor asks
    // for that itself (`--parent`), which lets the spawn skip a fork of this whole process.
    if inv.records_exit {
        let launcher = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                if libc::getppid() != launcher {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start `{}`", inv.program))?;
    let pid = child.id();
    let slot_index = slot.index;
    std::thread::Builder::new()
        .name(format!("wait-{pid}"))
        .spawn(move || {
            let status = child.wait();
            let _ = events.send(Event::Exited {
                slot: slot_index,
                status,
                at: Instant::now(),
            });
        })
        .context("cannot start a waiter thread")?;
    Ok(pid)
}

/// Sends `signal` to a run's whole process group.
pub fn signal_group(pid: u32, signal: libc::c_int) {
    // SAFETY: plain syscall; a negative pid addresses the process group.
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
}

/// Exit code, or the signal that ended the process.
pub fn describe_exit(status: &ExitStatus) -> (Option<i32>, Option<i32>) {
    use std::os::unix::process::ExitStatusExt;
    (status.code(), status.signal())
}
