//! The small supervisor executable (`runner-supervise`) as the launcher starts it: in a process
//! group of its own, told the launcher's pid.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

fn supervise(parent: u32, dir: &std::path::Path, script: &str) -> std::process::ExitStatus {
    Command::new(env!("CARGO_BIN_EXE_runner-supervise"))
        .args(["--parent", &parent.to_string(), "--run-dir"])
        .arg(dir)
        .args(["--grace", "1", "--", "sh", "-c", script])
        .process_group(0)
        .status()
        .unwrap()
}

fn alive(pid: i32) -> bool {
    // Zombies are gone for this purpose: only a running process counts.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.starts_with(" Z"))
    })
}

#[test]
fn records_the_exit_and_leaves_nothing_of_the_group_running() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!("sleep 30 & echo $! > {}/bg; exit 3", dir.path().display());
    let status = supervise(std::process::id(), dir.path(), &script);
    assert_eq!(status.code(), Some(3));
    let exit = std::fs::read_to_string(dir.path().join("exit.json")).unwrap();
    assert!(exit.contains("\"code\": 3"), "{exit}");
    let bg: i32 = std::fs::read_to_string(dir.path().join("bg"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let start = Instant::now();
    while alive(bg) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(bg),
        "the command's background process {bg} outlived its run"
    );
}

#[test]
fn does_not_start_the_command_when_its_launcher_is_already_gone() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("started");
    // A parent pid that is not the supervisor's parent: as if the launcher had died between
    // the spawn and the supervisor's request to be stopped with it.
    let status = supervise(1, dir.path(), &format!("touch {}", marker.display()));
    assert_eq!(status.code(), Some(1));
    assert!(!marker.exists());
    assert!(!dir.path().join("exit.json").exists());
}

#[test]
fn a_bad_command_line_is_a_usage_error() {
    let status = Command::new(env!("CARGO_BIN_EXE_runner-supervise"))
        .args(["--grace", "NaN", "--", "true"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn runner_supervise_takes_the_same_command_line() {
    // The launcher's fallback where runner-supervise is missing: the arguments it passes.
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_runner"))
        .args(["supervise", "--parent", &std::process::id().to_string()])
        .arg("--run-dir")
        .arg(dir.path())
        .args(["--grace", "1", "--", "sh", "-c", "exit 4"])
        .process_group(0)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(4));
    let exit = std::fs::read_to_string(dir.path().join("exit.json")).unwrap();
    assert!(exit.contains("\"code\": 4"), "{exit}");
}
