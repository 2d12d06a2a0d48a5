//! The Slurm backend against a real Slurm (../shared/slurm/slurm-local.sh: one node, four fake
//! GPUs). Skipped with a message when no controller answers `scontrol ping`;
//! `RUNNER_REQUIRE_SLURM=1` (set by .ci/run, which starts the cluster) turns the skip into a
//! failure.

mod common;

use common::{text, wait_until, Project};

fn slurm() -> bool {
    let up = std::process::Command::new("scontrol")
        .arg("ping")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("UP"));
    if !up {
        assert!(
            std::env::var_os("RUNNER_REQUIRE_SLURM").is_none(),
            "RUNNER_REQUIRE_SLURM is set but no Slurm controller answers `scontrol ping`"
        );
        eprintln!("SKIPPED: no Slurm controller answers `scontrol ping`");
    }
    up
}

fn spec(name: &str, command: &str, xs: &str, resources: &str) -> String {
    format!(
        "[experiment]\nname = \"{name}\"\ntask = \"command\"\n\n[params]\ncommand = '''{command}'''\n\n[grid]\nx = [{xs}]\n\n[resources]\n{resources}\n"
    )
}

const METRICS: &str =
    r#"echo "{{\"x\": {x}, \"gpu\": \"$CUDA_VISIBLE_DEVICES\"}}" > "$RUNNER_RUN_DIR/metrics.json""#;

fn read(p: &Project, rel: &str) -> String {
    std::fs::read_to_string(p.path().join(rel)).unwrap_or_default()
}

#[test]
fn a_grid_completes_through_slurm_with_a_gpu_per_run() {
    if !slurm() {
        return;
    }
    let p = Project::new();
    p.write(
        "gpu.toml",
        &spec(
            "gpu",
            METRICS,
            "1, 2, 3, 4",
            "devices = [\"cuda:0\"]\ngpus_per_run = 1\ntimeout = \"5m\"\nmemory = \"200M\"",
        ),
    );
    let out = p.run(&["launch", "gpu.toml", "--backend", "slurm", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("gpu");
    assert_eq!(results.len(), 4);
    for r in &results {
        let gpu = r["metrics"]["gpu"].as_str().unwrap();
        assert!(["0", "1", "2", "3"].contains(&gpu), "one GPU per run: {r}");
        assert!(
            r["device"]
                .as_str()
                .unwrap()
                .starts_with(&format!("cuda:{gpu}@")),
            "{r}"
        );
    }
    let script = read(&p, "runs/gpu/slurm/sub-1.sbatch");
    for line in [
        "--array=0-3",
        "--gres=gpu:1",
        "--mem=200M",
        "--time=7",
        "--cpus-per-task=1",
    ] {
        assert!(script.contains(line), "{line} in\n{script}");
    }
    let out = p.run(&["status", "runs/gpu"]);
    assert!(text(&out).contains("4 done"), "{}", text(&out));
    assert!(text(&out).contains("_3 COMPLETED"), "{}", text(&out));
}

#[test]
fn arrays_are_chunked_to_the_largest_array_size() {
    if !slurm() {
        return;
    }
    let p = Project::new();
    p.write(
        "k.toml",
        &spec("k", METRICS, "1, 2, 3, 4, 5", "devices = \"cpu\""),
    );
    let out = p
        .runner()
        .args(["launch", "k.toml", "--backend", "slurm", "--wait"])
        .env("RUNNER_SLURM_MAX_ARRAY_SIZE", "2")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let sizes: Vec<usize> = (1..=3)
        .map(|n| {
            read(&p, &format!("runs/k/slurm/sub-{n}.runs"))
                .lines()
                .count()
        })
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert!(read(&p, "runs/k/slurm/sub-3.sbatch").contains("--array=0-0"));
    assert_eq!(p.results("k").len(), 5);
}

#[test]
fn resume_resubmits_only_the_run_that_failed() {
    if !slurm() {
        return;
    }
    let p = Project::new();
    let flaky = r#"if [ {x} = 2 ] && [ ! -e failed-once ]; then touch failed-once; echo boom >&2; exit 3; fi; echo "{{\"x\": {x}}}" > "$RUNNER_RUN_DIR/metrics.json""#;
    p.write(
        "flaky.toml",
        &spec("flaky", flaky, "1, 2, 3", "devices = \"cpu\""),
    );
    let out = p.run(&["launch", "flaky.toml", "--backend", "slurm", "--wait"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let status = text(&p.run(&["status", "runs/flaky"]));
    assert!(
        status.contains("2 done, 1 failed") && status.contains("exited with code 3"),
        "{status}"
    );
    let out = p.run(&["resume", "runs/flaky", "--backend", "slurm", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        read(&p, "runs/flaky/slurm/sub-2.runs").lines().count(),
        1,
        "only the failed run"
    );
    assert_eq!(p.results("flaky").len(), 3);
    // Nothing left to do: nothing is submitted.
    let out = p.run(&["resume", "runs/flaky", "--backend", "slurm", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!p.path().join("runs/flaky/slurm/sub-3.sbatch").exists());
}

#[test]
fn a_cancelled_array_is_detected_and_resumed() {
    if !slurm() {
        return;
    }
    let p = Project::new();
    p.write("slow", "");
    // Slurm signals the step's processes one by one: if `sleep` dies first, the shell must not
    // go on to write metrics (it stops itself by the same signal instead).
    let slow = r#"if [ -e slow ]; then sleep 60 || kill -TERM $$; fi; echo "{{\"x\": {x}}}" > "$RUNNER_RUN_DIR/metrics.json""#;
    p.write(
        "c.toml",
        &spec(
            "c",
            slow,
            "1, 2, 3",
            "devices = \"cpu\"\nkill_grace = \"2s\"",
        ),
    );
    let out = p.run(&[
        "launch",
        "c.toml",
        "--backend",
        "slurm",
        "--array-limit",
        "1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // Wait until the first run itself has started (not only its array task).
    wait_until(30, || {
        let out = p.run(&["status", "runs/c", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok_and(|v| {
            v.as_array()
                .is_some_and(|runs| runs.iter().any(|r| r["status"]["state"] == "running"))
        })
    });
    // While jobs are queued, the local backend refuses to run the experiment beside them.
    let out = p.run(&["resume", "runs/c"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("still in the Slurm queue"),
        "{}",
        text(&out)
    );
    let out = p.run(&["cancel", "runs/c"]);
    assert!(
        out.status.success() && text(&out).contains("cancelled jobs"),
        "{}",
        text(&out)
    );
    wait_until(30, || {
        text(&p.run(&["status", "runs/c"]))
            .matches("CANCELLED")
            .count()
            == 3
    });
    let status = text(&p.run(&["status", "runs/c"]));
    assert_eq!(status.matches("CANCELLED").count(), 3, "{status}");
    assert!(
        status.contains("interrupted") && status.contains("cancelled"),
        "{status}"
    );
    std::fs::remove_file(p.path().join("slow")).unwrap();
    let out = p.run(&["resume", "runs/c", "--backend", "slurm", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(&p, "runs/c/slurm/sub-2.runs").lines().count(), 3);
    assert_eq!(p.results("c").len(), 3);
}

#[test]
fn array_limit_throttles_the_running_tasks() {
    if !slurm() {
        return;
    }
    let p = Project::new();
    let timed = r#"date +%s.%N > "$RUNNER_RUN_DIR/start"; sleep 1.5; date +%s.%N > "$RUNNER_RUN_DIR/end"; echo "{{\"x\": {x}}}" > "$RUNNER_RUN_DIR/metrics.json""#;
    p.write(
        "t.toml",
        &spec("t", timed, "1, 2, 3, 4, 5", "devices = \"cpu\""),
    );
    let out = p.run(&[
        "launch",
        "t.toml",
        "--backend",
        "slurm",
        "--array-limit",
        "2",
        "--wait",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(read(&p, "runs/t/slurm/sub-1.sbatch").contains("--array=0-4%2"));
    let mut spans = Vec::new();
    for entry in std::fs::read_dir(p.path().join("runs/t/runs")).unwrap() {
        let dir = entry.unwrap().path();
        let t = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .unwrap()
                .trim()
                .parse::<f64>()
                .unwrap()
        };
        spans.push((t("start"), t("end")));
    }
    assert_eq!(spans.len(), 5);
    let most = spans
        .iter()
        .map(|&(s, _)| spans.iter().filter(|&&(a, b)| a <= s && s < b).count())
        .max()
        .unwrap();
    assert!(most <= 2, "at most 2 at once: {spans:?}");
}

#[test]
fn shared_artifacts_are_built_in_their_own_array_before_the_runs() {
    if !slurm() {
        return;
    }
    let p = Project::new();
    p.write("data/tiny.json", &common::squad_fixture());
    p.write(
        "prompt.toml",
        &common::tiny_prompt_spec(
            "prompt",
            "algorithm = \"llmlingua2\"\nclassifier_epochs = 1",
            "ratio = [0.5, 1.0]\n\n[resources]\ndevices = \"cpu\"",
        ),
    );
    let out = p.run(&["launch", "prompt.toml", "--backend", "slurm", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    let subs: Vec<serde_json::Value> = read(&p, "runs/prompt/slurm/submissions.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(subs.len(), 2, "{subs:?}");
    assert_eq!(subs[0]["kind"], "artifacts");
    assert_eq!(subs[1]["kind"], "runs");
    assert_eq!(
        subs[1]["after"], subs[0]["job_id"],
        "runs wait for the artifact array"
    );
    assert!(read(&p, "runs/prompt/slurm/sub-2.sbatch").contains("slurm-task"));
    assert_eq!(p.results("prompt").len(), 2);
}

#[test]
fn a_run_stopped_by_slurm_resumes_from_its_checkpoint() {
    if !slurm() {
        return;
    }
    let p = Project::new();
    // Counts to 8 in steps of 0.4 s, checkpointing each step; records where it started.
    let counting = r#"n=$(cat ckpt 2>/dev/null || echo 0); first=$n; while [ $n -lt 8 ]; do sleep 0.4 || kill -TERM $$; n=$((n+1)); echo $n > ckpt; done; echo "{{\"x\": {x}, \"resumed_from\": $first}}" > "$RUNNER_RUN_DIR/metrics.json""#;
    p.write(
        "r.toml",
        &spec("r", counting, "1", "devices = \"cpu\"\nkill_grace = \"2s\""),
    );
    let out = p.run(&["launch", "r.toml", "--backend", "slurm"]);
    assert!(out.status.success(), "{}", text(&out));
    wait_until(30, || {
        read(&p, "ckpt").trim().parse::<u32>().is_ok_and(|n| n >= 2)
    });
    // As a preemption or the time limit would: Slurm stops the task (SIGTERM).
    let out = p.run(&["cancel", "runs/r"]);
    assert!(out.status.success(), "{}", text(&out));
    let state = || {
        let out = p.run(&["status", "runs/r", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .map(|v| v[0]["status"]["state"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    wait_until(30, || state() == "interrupted");
    assert_eq!(
        state(),
        "interrupted",
        "{}",
        text(&p.run(&["status", "runs/r"]))
    );
    let stopped_at: u64 = read(&p, "ckpt").trim().parse().unwrap();
    // The run is recorded as interrupted as soon as its task stops; Slurm lists the job
    // (COMPLETING) a moment longer, and resume never resubmits a job Slurm still lists.
    wait_until(30, || {
        std::process::Command::new("squeue")
            .args(["-h", "-n", "runner-r", "-o", "%i"])
            .output()
            .is_ok_and(|o| o.status.success() && o.stdout.trim_ascii().is_empty())
    });
    // Restarted, the run picks up from its checkpoint instead of starting over.
    let out = p.run(&["resume", "runs/r", "--backend", "slurm", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("r");
    assert_eq!(results.len(), 1);
    let resumed = results[0]["metrics"]["resumed_from"].as_u64().unwrap();
    assert!(
        resumed >= 2 && resumed <= stopped_at,
        "{} (stopped at {stopped_at})",
        results[0]
    );
    assert_eq!(results[0]["attempts"], 2);
}
