//! End-to-end tests of launch, resume and status with real child processes.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{sleepy_spec, spawn, text, wait_until, Project};

fn ids_once(p: &Project, exp: &str, expected: usize) {
    let results = p.results(exp);
    let ids: HashSet<String> = results
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(results.len(), expected, "one line per run");
    assert_eq!(ids.len(), expected, "no run twice");
}

#[test]
fn grid_of_commands_records_every_run() {
    let p = Project::new();
    p.write(
        "exp.toml",
        r#"
[experiment]
name = "mult"
task = "command"
seeds = [7, 8]

[params]
command = ["sh", "-c", "echo \"{{\\\"p\\\": $(({a} * {b})), \\\"seed\\\": $RUNNER_SEED, \\\"dev\\\": \\\"$CUDA_VISIBLE_DEVICES\\\", \\\"threads\\\": $OMP_NUM_THREADS}}\" > $RUNNER_RUN_DIR/metrics.json; test -f \"$RUNNER_CONFIG\""]

[grid]
a = [2, 3]
b = [5, 7]

[[exclude]]
a = 3
b = 7

[resources]
devices = "cpu"
threads = 1
"#,
    );
    let out = p.run(&["launch", "exp.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    ids_once(&p, "mult", 6);
    for r in p.results("mult") {
        let c = &r["config"];
        let m = &r["metrics"];
        assert_eq!(m["p"], c["a"].as_i64().unwrap() * c["b"].as_i64().unwrap());
        assert_eq!(m["seed"], c["seed"]);
        assert_eq!(m["dev"], "", "CPU runs see no GPU");
        assert_eq!(m["threads"], 1);
        assert_eq!(r["device"], "cpu");
        assert_eq!(r["runner_version"], env!("CARGO_PKG_VERSION"));
    }
    for s in p.statuses("mult") {
        assert_eq!(s["state"], "completed");
        assert_eq!(s["attempts"], 1);
        assert_eq!(s["exit_code"], 0);
    }
    // Names come from the varying axes; the plan and by-name links exist.
    let plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("runs/mult/plan.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = plan["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a2_b5_s7", "a2_b7_s7", "a3_b5_s7", "a2_b5_s8", "a2_b7_s8", "a3_b5_s8"]
    );
    assert!(p
        .path()
        .join("runs/mult/by-name/a2_b5_s7/metrics.json")
        .is_file());

    // A second launch runs nothing and still exits 0.
    let again = p.run(&["launch", "exp.toml"]);
    assert!(again.status.success());
    assert!(text(&again).contains("6 already done"), "{}", text(&again));
    ids_once(&p, "mult", 6);
}

#[test]
fn sigkill_of_the_launcher_then_resume_runs_each_run_once() {
    let p = Project::new();
    p.write("exp.toml", &sleepy_spec("killed", 6, "0.6", ""));
    let mut child = spawn(&p, &["launch", "exp.toml"], false);
    // Wait until the first runs have completed, then kill -9 mid-grid.
    wait_until(20, || p.results("killed").len() >= 2);
    child.kill().unwrap();
    child.wait().unwrap();
    let done_before = p.results("killed").len();
    assert!(
        (2..6).contains(&done_before),
        "killed mid-grid ({done_before} done)"
    );

    let status = p.run(&["status", "runs/killed"]);
    assert!(text(&status).contains("done"), "{}", text(&status));

    let out = p.run(&["resume", "runs/killed"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Recovered"),
        "runs left running are recovered: {}",
        text(&out)
    );
    ids_once(&p, "killed", 6);
    // Completed runs were not run again.
    let attempts: Vec<u64> = p
        .statuses("killed")
        .iter()
        .map(|s| s["attempts"].as_u64().unwrap())
        .collect();
    assert!(
        attempts.iter().filter(|&&a| a == 1).count() >= done_before,
        "{attempts:?}"
    );
}

#[test]
fn a_lost_results_line_is_restored_exactly_once() {
    let p = Project::new();
    p.write("exp.toml", &sleepy_spec("repair", 3, "0", ""));
    assert!(p.run(&["launch", "exp.toml"]).status.success());
    let path = p.path().join("runs/repair/results.jsonl");
    let text_before = std::fs::read_to_string(&path).unwrap();
    // Simulate a crash between metrics.json and the append, plus a torn line.
    let mut lines: Vec<&str> = text_before.lines().collect();
    lines.pop();
    std::fs::write(&path, format!("{}\n{{\"id\": \"torn", lines.join("\n"))).unwrap();
    let out = p.run(&["resume", "runs/repair"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Repaired results.jsonl"));
    ids_once(&p, "repair", 3);
}

#[test]
fn failed_runs_are_retried_and_failures_keep_stderr() {
    let p = Project::new();
    p.write(
        "exp.toml",
        r#"
[experiment]
name = "flaky"
task = "command"

[params]
# Mode "flaky" fails on the first attempt only; "broken" always fails.
command = '''
if [ {mode} = broken ] || [ "$RUNNER_ATTEMPT" = 1 ]; then echo "boom in {mode}" >&2; exit 3; fi
echo '{{"ok": 1}}' > "$RUNNER_RUN_DIR/metrics.json"
'''

[grid]
mode = ["flaky", "broken"]

[resources]
devices = "cpu"
retries = 1
"#,
    );
    let out = p.run(&["launch", "exp.toml"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "not every run completed: {}",
        text(&out)
    );
    let statuses = p.statuses("flaky");
    let flaky = statuses
        .iter()
        .find(|s| s["state"] == "completed")
        .expect("flaky run completed");
    assert_eq!(flaky["attempts"], 2);
    let broken = statuses
        .iter()
        .find(|s| s["state"] == "failed")
        .expect("broken run failed");
    assert_eq!(broken["attempts"], 2);
    assert_eq!(broken["exit_code"], 3);
    assert!(
        broken["error"].as_str().unwrap().contains("boom in broken"),
        "{broken}"
    );
    assert!(text(&out).contains("1 failed"), "{}", text(&out));
    ids_once(&p, "flaky", 1);
}

#[test]
fn a_run_over_its_time_limit_is_killed_with_its_children() {
    let p = Project::new();
    p.write(
        "exp.toml",
        r#"
[experiment]
name = "slow"
task = "command"

[params]
command = "sleep 30 & echo $! > $RUNNER_RUN_DIR/child.pid; wait"

[grid]
x = [1]

[resources]
devices = "cpu"
timeout = "1s"
kill_grace = "1s"
"#,
    );
    let start = Instant::now();
    let out = p.run(&["launch", "exp.toml"]);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let s = &p.statuses("slow")[0];
    assert_eq!(s["state"], "timed_out");
    assert!(s["error"].as_str().unwrap().contains("time limit"));
    // The grandchild (sleep) was in the run's process group and is gone too.
    let run_dir = std::fs::read_dir(p.path().join("runs/slow/runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let pid = std::fs::read_to_string(run_dir.join("child.pid")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let alive = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false);
    assert!(!alive, "grandchild {pid} still running");
}

#[test]
fn ctrl_c_interrupts_then_resume_finishes() {
    let p = Project::new();
    p.write("exp.toml", &sleepy_spec("stopped", 4, "3", ""));
    let child = spawn(&p, &["launch", "exp.toml"], true);
    let start = Instant::now();
    wait_until(10, || p.statuses_if_any("stopped") >= 2);
    std::thread::sleep(Duration::from_millis(200));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(8), "stopped promptly");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(text(&out).contains("Stopping"), "{}", text(&out));
    let states: Vec<String> = p
        .statuses("stopped")
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect();
    assert!(states.iter().all(|s| s == "interrupted"), "{states:?}");
    assert!(p.results("stopped").is_empty());

    let out = p.run(&["resume", "runs/stopped"]);
    assert!(out.status.success(), "{}", text(&out));
    ids_once(&p, "stopped", 4);
}

#[test]
fn a_second_launcher_is_refused_while_the_first_runs() {
    let p = Project::new();
    p.write("exp.toml", &sleepy_spec("locked", 2, "2", ""));
    let mut first = spawn(&p, &["launch", "exp.toml"], false);
    wait_until(10, || p.path().join("runs/locked/plan.json").exists());
    std::thread::sleep(Duration::from_millis(200));
    let second = p.run(&["resume", "runs/locked"]);
    assert_eq!(second.status.code(), Some(2));
    assert!(
        text(&second).contains("in use by another launcher (pid"),
        "{}",
        text(&second)
    );
    assert!(first.wait().unwrap().success());
    // Once the first is done the lock is free again.
    let again = p.run(&["resume", "runs/locked"]);
    assert!(again.status.success(), "{}", text(&again));
}

#[test]
fn changed_spec_keeps_finished_runs_and_reports_removed_ones() {
    let p = Project::new();
    p.write("exp.toml", &sleepy_spec("evolve", 3, "0", ""));
    assert!(p.run(&["launch", "exp.toml"]).status.success());
    // Drop x = 0, add x = 3 and x = 4.
    let changed =
        sleepy_spec("evolve", 5, "0", "").replace("x = [0, 1, 2, 3, 4]", "x = [1, 2, 3, 4]");
    p.write("exp.toml", &changed);
    let dry = p.run(&["launch", "exp.toml", "--dry-run"]);
    let dry_text = text(&dry);
    assert!(dry_text.contains("2 done, 2 new"), "{dry_text}");
    assert!(
        dry_text.contains("1 run directories are not in this grid"),
        "{dry_text}"
    );
    let out = p.run(&["launch", "exp.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("no longer in the grid"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("Starting 2 runs (2 of 4 already done)"),
        "{}",
        text(&out)
    );
    // The old run's directory is still there, and every status shows one attempt.
    assert_eq!(p.statuses("evolve").len(), 5);
    assert!(p.statuses("evolve").iter().all(|s| s["attempts"] == 1));
}

#[test]
fn dry_run_executes_nothing_and_estimates_time_once_runs_exist() {
    let p = Project::new();
    p.write("exp.toml", &sleepy_spec("dry", 3, "0.1", ""));
    let out = p.run(&["launch", "exp.toml", "--dry-run"]);
    assert!(out.status.success());
    let t = text(&out);
    assert!(t.contains("3 runs = x (3) × seeds (1)"), "{t}");
    assert!(t.contains("x0_s0"), "{t}");
    assert!(!p.path().join("runs/dry").exists());
    assert!(p.run(&["launch", "exp.toml"]).status.success());
    std::fs::remove_dir_all(
        p.path()
            .join("runs/dry/runs")
            .read_dir()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    )
    .unwrap();
    let t = text(&p.run(&["resume", "runs/dry", "--dry-run"]));
    assert!(t.contains("2 done, 1 new"), "{t}");
    assert!(t.contains("estimated time for the 1 remaining runs"), "{t}");
}

trait Count {
    fn statuses_if_any(&self, exp: &str) -> usize;
}

impl Count for Project {
    fn statuses_if_any(&self, exp: &str) -> usize {
        let dir = self.path().join("runs").join(exp).join("runs");
        std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
    }
}

#[test]
fn each_gpu_run_sees_its_own_device() {
    let p = Project::new();
    p.write(
        "exp.toml",
        r#"
[experiment]
name = "gpus"
task = "command"

[params]
command = '''sleep 0.3; echo "{{\"visible\": \"$CUDA_VISIBLE_DEVICES\", \"device\": \"$RUNNER_DEVICE\"}}" > "$RUNNER_RUN_DIR/metrics.json"'''

[grid]
x = [1, 2, 3, 4]

[resources]
devices = ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
gpus_per_run = 2
"#,
    );
    // The launcher is shown four GPUs (the preflight refuses GPUs it cannot see).
    let out = p
        .runner()
        .args(["launch", "exp.toml"])
        .env("CUDA_VISIBLE_DEVICES", "0,1,2,3")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("gpus");
    assert_eq!(results.len(), 4);
    for r in &results {
        let visible = r["metrics"]["visible"].as_str().unwrap();
        assert!(visible == "0,1" || visible == "2,3", "{visible}");
        assert_eq!(r["metrics"]["device"], format!("cuda:{visible}"));
        assert_eq!(r["device"], format!("cuda:{visible}"));
    }
    // Two slots of two GPUs: both were used.
    let used: HashSet<&str> = results
        .iter()
        .map(|r| r["metrics"]["visible"].as_str().unwrap())
        .collect();
    assert_eq!(used.len(), 2);
}
