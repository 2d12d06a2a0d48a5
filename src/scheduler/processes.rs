//! The process table (`/proc`): which processes belong to a process group or carry a run's
//! environment, and signalling them. Used to stop what a dead launcher left behind and by the
//! supervisor to take a run's whole group down; a reused pid is never touched because
//! processes are matched by their group or their environment, not by a remembered pid alone.

use std::path::Path;

/// A live process: its pid and its process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process {
    /// Process id.
    pub pid: i32,
    /// Process group id.
    pub pgrp: i32,
}

/// Every process this user can see.
pub fn all() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // Fields after the parenthesised command name: state ppid pgrp ...
            let after = stat.rsplit_once(')')?.1;
            let pgrp = after.split_whitespace().nth(2)?.parse().ok()?;
            Some(Process { pid, pgrp })
        })
        .collect()
}

/// The value of environment variable `name` in process `pid`, if readable.
pub fn environ_var(pid: i32, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{name}=");
    environ
        .split(|b| *b == 0)
        .find_map(|var| var.strip_prefix(prefix.as_bytes()))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Sends `signal` to process `pid`.
pub fn signal(pid: i32, signal: libc::c_int) {
    // SAFETY: plain syscall on a pid just read from /proc.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Sends `signal` to every other process of our own process group, if we lead it (a process
/// that does not lead its group never signals the group it shares); returns how many.
pub fn signal_my_group(signal_number: libc::c_int) -> usize {
    // SAFETY: plain syscalls.
    let (me, group) = unsafe { (libc::getpid(), libc::getpgrp()) };
    if me != group {
        return 0;
    }
    let members: Vec<Process> = all()
        .into_iter()
        .filter(|p| p.pgrp == group && p.pid != me)
        .collect();
    for p in &members {
        signal(p.pid, signal_number);
    }
    members.len()
}

/// Whether a process of the run in `run_dir` (its `RUNNER_RUN_DIR`) is alive.
pub fn runs_alive(run_dir: &Path) -> bool {
    let want = std::fs::canonicalize(run_dir).unwrap_or_else(|_| run_dir.to_path_buf());
    all().into_iter().any(|p| {
        environ_var(p.pid, "RUNNER_RUN_DIR").is_some_and(|d| {
            let d = Path::new(&d);
            std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()) == want
        })
    })
}

/// Kills (SIGKILL) every process whose `RUNNER_RUN_DIR` lies under `runs` (an experiment's
/// `runs/` directory) and whose run is not `spared`; returns how many.
pub fn kill_runs_under(runs: &Path, spared: &dyn Fn(&str) -> bool) -> usize {
    let runs = std::fs::canonicalize(runs).unwrap_or_else(|_| runs.to_path_buf());
    // SAFETY: plain syscall.
    let me = unsafe { libc::getpid() };
    let mut killed = 0;
    for p in all().into_iter().filter(|p| p.pid != me) {
        let Some(dir) = environ_var(p.pid, "RUNNER_RUN_DIR") else {
            continue;
        };
        let dir = Path::new(&dir);
        let Some(id) = dir.strip_prefix(&runs).ok().and_then(|rest| rest.to_str()) else {
            continue;
        };
        if !id.is_empty() && !id.contains('/') && !spared(id) {
            signal(p.pid, libc::SIGKILL);
            killed += 1;
        }
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_this_process_and_its_environment() {
        let me = std::process::id() as i32;
        let found = all()
            .into_iter()
            .find(|p| p.pid == me)
            .expect("this process");
        // SAFETY: plain syscall.
        assert_eq!(found.pgrp, unsafe { libc::getpgrp() });
        std::env::var("PATH").expect("tests run with a PATH");
        assert!(environ_var(me, "PATH").is_some());
    }
}
