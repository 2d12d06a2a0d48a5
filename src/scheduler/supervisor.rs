//! The run's supervisor: `runner-supervise --parent PID --run-dir DIR --grace SECS -- PROGRAM
//! ARGS...` (or `runner supervise` with the same arguments) is what the launcher starts for an
//! external command. It runs in the run's own process group,
//! starts the command there, and
//! - records how the command ended in exit.json the moment it ends, so a run that finished
//!   while its launcher was dead is found finished by the next launch, never run twice;
//! - passes a stop (SIGTERM, SIGINT, SIGHUP — also the one it gets when the launcher dies) on
//!   to every process of the group, and kills them after the grace period, so no process of a
//!   run outlives its launcher;
//! - kills what the command left running in the group, and exits as the command did.
//!
//! Built-in tasks need no supervisor: `runner exec` records its own exit.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::processes::signal_my_group;

/// The supervisor's command line (`[--parent PID] --run-dir DIR --grace SECS -- PROGRAM ARGS...`, what follows
/// the program name) run to its end: the exit code when it returns (2: a bad command line;
/// 127: the command could not be started or its exit recorded), else it exits as the command did.
pub fn main(args: &[String]) -> i32 {
    let (mut run_dir, mut grace, mut parent) = (None, 10.0f64, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--run-dir" => run_dir = rest.next().map(std::path::PathBuf::from),
            "--grace" => match rest.next().and_then(|g| g.parse::<f64>().ok()) {
                Some(g) if g.is_finite() => grace = g,
                _ => return usage("--grace takes seconds"),
            },
            "--parent" => match rest.next().and_then(|p| p.parse::<libc::pid_t>().ok()) {
                Some(p) if p > 0 => parent = Some(p),
                _ => return usage("--parent takes a process id"),
            },
            "--" => break,
            other => return usage(&format!("unexpected `{other}`")),
        }
    }
    let command: Vec<String> = rest.cloned().collect();
    let (Some(run_dir), Some((program, args))) = (run_dir, command.split_first()) else {
        return usage("a run directory and a command are needed");
    };
    if let Some(parent) = parent {
        stop_with_parent(parent);
    }
    let grace = Duration::from_secs_f64(grace.clamp(0.0, 86_400.0));
    match supervise(&run_dir, grace, program, args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A command that cannot start is a failed run, as a shell reports it.
            127
        }
    }
}

/// Asks to be told to stop (SIGTERM) when the launcher `parent` dies; ends at once if it died
/// before the request was made.
fn stop_with_parent(parent: libc::pid_t) {
    // SAFETY: plain syscalls on this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
        if libc::getppid() != parent {
            libc::_exit(1);
        }
    }
}

fn usage(problem: &str) -> i32 {
    eprintln!(
        "error: {problem}\nusage: runner-supervise --parent PID --run-dir DIR --grace SECS -- PROGRAM ARGS..."
    );
    2
}

/// Runs `program` under supervision; returns only if the command could not be started or its
/// exit could not be recorded (otherwise the process exits as the command did).
pub fn supervise(run_dir: &Path, grace: Duration, program: &str, args: &[String]) -> Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP])?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // If the supervisor dies, the command is told to stop.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start `{program}`"))?;
    let pid = child.id() as i32;
    std::thread::Builder::new()
        .name("stop".into())
        .spawn(move || {
            for signal in signals.forever() {
                super::processes::signal(pid, signal);
                signal_my_group(signal);
                std::thread::spawn(move || {
                    std::thread::sleep(grace);
                    signal_my_group(libc::SIGKILL);
                });
            }
        })
        .context("cannot start the signal thread")?;
    let status = child.wait().context("lost track of the command")?;
    // The signal thread keeps its handlers to the end (a handler whose reader were gone would
    // end this process with SIGPIPE).
    crate::store::exit_record::write(run_dir, &status)?;
    // Whatever the command left running in the run's group ends with it.
    kill_rest_of_group();
    exit_as(&status)
}

/// Kills every other process of the run's group (which this process leads). Quick where it can
/// be: this process moves into its parent's group (the launcher's, in the same session) and
/// the run's group is killed whole; where that is refused, the process table is searched.
fn kill_rest_of_group() {
    // SAFETY: plain syscalls on our own process and group.
    unsafe {
        let (me, group) = (libc::getpid(), libc::getpgrp());
        if me != group {
            return;
        }
        let parent_group = libc::getpgid(libc::getppid());
        if parent_group > 0 && parent_group != group && libc::setpgid(0, parent_group) == 0 {
            // The old group's id is this process's pid: no other group can take it meanwhile.
            libc::kill(-group, libc::SIGKILL);
            return;
        }
    }
    signal_my_group(libc::SIGKILL);
}

/// Ends this process the way `status` says the command ended.
fn exit_as(status: &ExitStatus) -> ! {
    use std::os::unix::process::ExitStatusExt;
    if let Some(signal) = status.signal() {
        // SAFETY: resetting a disposition and raising a signal on ourselves.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
    std::process::exit(status.code().unwrap_or(1))
}
