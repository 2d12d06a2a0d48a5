//! Exactly once under any kill: the launcher killed at the exact points between its writes
//! (`RUNNER_FAULT`), launchers and children killed at random moments, and a full disk. After
//! the final resume every run is complete once in results.jsonl, no run that had finished ran
//! again, and no process of the experiment is left.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use common::{text, Project};

/// A grid of `n` runs that log `start`, `metrics` (after writing metrics.json, their last
/// output) and `done` to `exec.log`; each sleeps `sleep` seconds first.
fn logged_spec(name: &str, n: usize, sleep: &str, extra: &str) -> String {
    let xs: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!(
        r#"[experiment]
name = "{name}"
task = "command"

[params]
command = '''
echo "start {{x}}" >> exec.log
{extra}
sleep {sleep}
echo '{{{{"x": {{x}}}}}}' > "$RUNNER_RUN_DIR/metrics.json"
echo "metrics {{x}}" >> exec.log
'''

[grid]
x = [{xs}]

[resources]
devices = "cpu"
kill_grace = "1s"
"#,
        xs = xs.join(", ")
    )
}

/// Per run: how often it started, and whether a start came after its metrics were written.
fn executions(p: &Project) -> (HashMap<String, usize>, Vec<String>) {
    let log = std::fs::read_to_string(p.path().join("exec.log")).unwrap_or_default();
    let mut starts: HashMap<String, usize> = HashMap::new();
    let mut finished: Vec<String> = Vec::new();
    let mut repeated = Vec::new();
    for line in log.lines() {
        let Some((what, x)) = line.split_once(' ') else {
            continue;
        };
        match what {
            "start" => {
                *starts.entry(x.to_string()).or_default() += 1;
                if finished.iter().any(|f| f == x) {
                    repeated.push(x.to_string());
                }
            }
            "metrics" => finished.push(x.to_string()),
            _ => {}
        }
    }
    (starts, repeated)
}

/// Every run once in results.jsonl.
fn each_once(p: &Project, exp: &str, n: usize) {
    let mut ids: Vec<String> = p
        .results(exp)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), n, "one line per run");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no run twice");
}

/// Processes (other than this test) whose run directory is under `dir`.
fn processes_under(dir: &Path) -> usize {
    let dir = std::fs::canonicalize(dir).unwrap().display().to_string();
    runner::scheduler::processes::all()
        .into_iter()
        .filter_map(|p| runner::scheduler::processes::environ_var(p.pid, "RUNNER_RUN_DIR"))
        .filter(|d| d.starts_with(&dir))
        .count()
}

fn launch_with_fault(p: &Project, spec: &str, fault: &str) -> std::process::Output {
    p.runner()
        .env("RUNNER_FAULT", fault)
        .args(["launch", spec, "-j", "1", "-q"])
        .output()
        .unwrap()
}

#[test]
fn a_run_that_finished_while_its_launcher_died_is_not_run_again() {
    let p = Project::new();
    p.write("exp.toml", &logged_spec("finished", 2, "0.1", ""));
    let out = launch_with_fault(&p, "exp.toml", "before-record:1");
    assert_eq!(
        out.status.signal_code(),
        Some(9),
        "the launcher died: {}",
        text(&out)
    );
    let out = p.run(&["resume", "runs/finished", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    let (starts, repeated) = executions(&p);
    assert_eq!(starts["0"], 1, "the finished run was found finished");
    assert!(repeated.is_empty(), "{repeated:?}");
    each_once(&p, "finished", 2);
}

#[test]
fn a_kill_between_the_status_and_the_results_line_leaves_one_line() {
    let p = Project::new();
    p.write("exp.toml", &logged_spec("between", 2, "0", ""));
    let out = launch_with_fault(&p, "exp.toml", "after-status:1");
    assert_eq!(out.status.signal_code(), Some(9), "{}", text(&out));
    let out = p.run(&["resume", "runs/between", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(executions(&p).0["0"], 1);
    each_once(&p, "between", 2);
}

#[test]
fn a_dying_launcher_takes_its_runs_grandchildren_with_it() {
    let p = Project::new();
    // The first attempt leaves a grandchild behind a shell and waits; later ones finish at once.
    let wait = r#"if [ ! -e first-{x} ]; then touch first-{x}; sleep 30 & sleep 30; fi"#;
    p.write("exp.toml", &logged_spec("orphans", 1, "0", wait));
    // Killed between starting the child and recording its pid.
    let out = launch_with_fault(&p, "exp.toml", "after-spawn:1:0.5");
    assert_eq!(out.status.signal_code(), Some(9), "{}", text(&out));
    let runs = p.path().join("runs/orphans/runs");
    common::wait_until(10, || processes_under(&runs) == 0);
    assert_eq!(
        processes_under(&runs),
        0,
        "the supervisor took its group down"
    );
    let out = p.run(&["resume", "runs/orphans", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    each_once(&p, "orphans", 1);
    assert_eq!(processes_under(&runs), 0);
}

#[test]
fn launchers_and_children_killed_at_random_lose_and_repeat_nothing() {
    let p = Project::new();
    let n = 24;
    p.write(
        "exp.toml",
        &logged_spec("chaos", n, "0.$((RANDOM % 5 + 2))", ""),
    );
    // Random moments: a seed from the clock, printed so that a failure can be replayed.
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("CRASH_SEED={seed}");
    let mut rng = seed;
    let mut next = move |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m
    };
    let (mut launcher_kills, mut child_kills) = (0, 0);
    for round in 0..16 {
        let args = if round == 0 {
            ["launch", "exp.toml"]
        } else {
            ["resume", "runs/chaos"]
        };
        let mut child = p
            .runner()
            .args(args)
            .args(["-j", "3", "-q"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100 + next(500)));
        if round % 2 == 1 {
            // A child of the launcher: one of this experiment's supervisors.
            let runs = std::fs::canonicalize(p.path())
                .unwrap()
                .display()
                .to_string();
            let kids = runner::scheduler::processes::all()
                .into_iter()
                .filter(|q| q.pid == q.pgrp)
                .filter(|q| {
                    runner::scheduler::processes::environ_var(q.pid, "RUNNER_RUN_DIR")
                        .is_some_and(|d| d.starts_with(&runs))
                })
                .collect::<Vec<_>>();
            if let Some(k) = kids.get(next(kids.len().max(1) as u64) as usize) {
                runner::scheduler::processes::signal(k.pid, libc::SIGKILL);
                child_kills += 1;
            }
            std::thread::sleep(Duration::from_millis(next(200)));
        }
        let _ = child.kill();
        let _ = child.wait();
        launcher_kills += 1;
    }
    let out = p.run(&["resume", "runs/chaos", "-q"]);
    assert!(out.status.success(), "{:?} {}", out.status, text(&out));
    each_once(&p, "chaos", n);
    let (_, repeated) = executions(&p);
    assert!(
        repeated.is_empty(),
        "runs repeated after they finished: {repeated:?}"
    );
    assert_eq!(processes_under(&p.path().join("runs/chaos/runs")), 0);
    eprintln!("{launcher_kills} launcher kills, {child_kills} child kills: 0 lost, 0 duplicated, 0 repeated, 0 left");
}

/// A small tmpfs mounted for one test (None where mounting is not allowed).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .ok()?
            .status
            .success();
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn a_full_disk_fails_the_launch_with_the_path_and_loses_nothing() {
    let p = Project::new();
    let Some(disk) = Tmpfs::mount(&p.path().join("disk"), "2m") else {
        eprintln!("SKIPPED: cannot mount a tmpfs here");
        return;
    };
    let fill = r#"if [ {x} = 1 ] && [ ! -e disk/filled ]; then touch disk/filled; head -c 4000000 /dev/zero > disk/filler 2>/dev/null; fi"#;
    p.write("exp.toml", &logged_spec("full", 3, "0", fill));
    let out = p.run(&["launch", "exp.toml", "-j", "1", "-o", "disk/exp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("disk/exp") && text(&out).contains("No space left on device"),
        "the error names the path and the cause: {}",
        text(&out)
    );
    // The status says what resume would do, never "running" for a run whose process is gone.
    let status = p.run(&["status", "disk/exp"]);
    assert!(!text(&status).contains(" running "), "{}", text(&status));
    std::fs::remove_file(p.path().join("disk/filler")).unwrap();
    let out = p.run(&["resume", "disk/exp", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    let lines = std::fs::read_to_string(p.path().join("disk/exp/results.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3, "{lines}");
    assert_eq!(
        executions(&p).0["0"],
        1,
        "the run completed before the disk filled is kept"
    );
    drop(disk);
}

#[test]
fn status_says_what_resume_would_make_of_runs_a_dead_launcher_left_running() {
    let p = Project::new();
    p.write("exp.toml", &common::sleepy_spec("left", 3, "0", ""));
    let out = p.run(&["launch", "exp.toml", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    // As a launcher that died before recording them would leave them: status.json `running`,
    // no results lines; run 0 finished (exit.json, metrics.json), run 1 did not.
    let ids: Vec<String> = p
        .results("left")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    for id in &ids[..2] {
        let path = p.path().join("runs/left/runs").join(id).join("status.json");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"completed\"", "\"running\"");
        std::fs::write(&path, text).unwrap();
    }
    let run1 = p.path().join("runs/left/runs").join(&ids[1]);
    std::fs::remove_file(run1.join("metrics.json")).unwrap();
    std::fs::remove_file(run1.join("exit.json")).unwrap();
    let status = text(&p.run(&["status", "runs/left"]));
    assert!(!status.contains(" running "), "{status}");
    assert!(status.contains("finished, unrecorded"), "{status}");
    assert!(status.contains("interrupted"), "{status}");
    assert!(status.contains("runner resume"), "{status}");
    let out = p.run(&["resume", "runs/left", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&p.run(&["status", "runs/left"]))
            .matches(" done ")
            .count()
            >= 3
    );
}

trait SignalCode {
    fn signal_code(&self) -> Option<i32>;
}

impl SignalCode for std::process::ExitStatus {
    fn signal_code(&self) -> Option<i32> {
        std::os::unix::process::ExitStatusExt::signal(self)
    }
}
