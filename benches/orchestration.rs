//! Orchestration overhead benchmark (run with `cargo bench --bench orchestration`).
//!
//! 1. 1,000 trivial command runs through `runner launch -j 1`, against the same 1,000
//!    commands spawned directly one after another: the difference per run is runner's overhead.
//! 2. Expansion of a 100,000-run grid, and the resume check of it against a store in which
//!    every run has a status (the worst case for `runner resume`).
//!
//! Targets on a 2-core machine: ≤ 5 ms overhead per run; < 1 s for the 100,000-run grid.
//! Results are printed and written to target/bench/orchestration.json.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const TRIVIAL: &str = "echo '{\"ok\": 1}' > \"$RUNNER_RUN_DIR/metrics.json\"";

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    // Baseline: the same shell command, spawned and waited for directly.
    let base_dir = root.join("direct");
    std::fs::create_dir_all(&base_dir).unwrap();
    let start = Instant::now();
    for _ in 0..runs {
        let status = Command::new("sh")
            .args(["-c", TRIVIAL])
            .env("RUNNER_RUN_DIR", &base_dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let direct = start.elapsed().as_secs_f64();

    let xs: Vec<String> = (0..runs).map(|i| i.to_string()).collect();
    let spec = format!(
        "[experiment]\nname = \"bench\"\ntask = \"command\"\n\n[params]\ncommand = '''{}'''\n\n[grid]\nx = [{}]\n\n[resources]\ndevices = \"cpu\"\n",
        TRIVIAL.replace('{', "{{").replace('}', "}}"),
        xs.join(", ")
    );
    std::fs::write(root.join("bench.toml"), spec).unwrap();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_runner"))
        .args(["launch", "bench.toml", "-j", "1", "--quiet"])
        .current_dir(root)
        .output()
        .unwrap();
    let through_runner = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = std::fs::read_to_string(root.join("runs/bench/results.jsonl")).unwrap();
    assert_eq!(results.lines().count(), runs);
    let overhead_ms = (through_runner - direct) / runs as f64 * 1000.0;

    // Resume of a finished grid (nothing to run): the whole command, start to exit.
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_runner"))
        .args(["resume", "runs/bench", "--quiet"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let resume_done = start.elapsed().as_secs_f64();

    let (expand_s, check_new_s, check_full_s, grid_runs) = big_grid(root);

    println!("orchestration benchmark ({runs} trivial runs, one slot)");
    println!(
        "  direct spawn:        {:8.3} s  ({:.3} ms per run)",
        direct,
        direct / runs as f64 * 1000.0
    );
    println!(
        "  through runner:      {:8.3} s  ({:.3} ms per run)",
        through_runner,
        through_runner / runs as f64 * 1000.0
    );
    println!("  runner overhead:     {overhead_ms:8.3} ms per run   (target <= 5 ms)");
    println!("  resume, all done:    {resume_done:8.3} s for {runs} runs");
    println!("{grid_runs}-run grid");
    println!("  load + expand:       {expand_s:8.3} s");
    println!("  resume check, empty: {check_new_s:8.3} s");
    println!("  resume check, full:  {check_full_s:8.3} s   (every run has a status.json)");
    println!(
        "  expand + full check: {:8.3} s   (target < 1 s)",
        expand_s + check_full_s
    );

    let json = serde_json::json!({
        "runs": runs,
        "direct_s": direct,
        "through_runner_s": through_runner,
        "overhead_ms_per_run": overhead_ms,
        "resume_all_done_s": resume_done,
        "grid_runs": grid_runs,
        "expand_s": expand_s,
        "check_empty_s": check_new_s,
        "check_full_s": check_full_s,
    });
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(
        out_dir.join("orchestration.json"),
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .unwrap();
}

/// Times expansion and the resume check of a 100,000-run grid.
fn big_grid(root: &Path) -> (f64, f64, f64, usize) {
    let spec = "[experiment]\nname = \"big\"\ntask = \"command\"\nseeds = [0, 1, 2, 3]\n\n[params]\ncommand = \"true {a} {b} {c}\"\nepochs = 10\n\n[grid]\na = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]\nb = [\"x\", \"y\", \"z\", \"w\", \"v\", \"u\", \"t\", \"s\", \"r\", \"q\"]\nc = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 4.9, 5.0, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5.8, 5.9, 6.0, 6.1, 6.2, 6.3, 6.4, 6.5, 6.6, 6.7, 6.8, 6.9, 7.0, 7.1, 7.2, 7.3, 7.4, 7.5, 7.6, 7.7, 7.8, 7.9, 8.0, 8.1, 8.2, 8.3, 8.4, 8.5, 8.6, 8.7, 8.8, 8.9, 9.0, 9.1, 9.2, 9.3, 9.4, 9.5, 9.6, 9.7, 9.8, 9.9, 10.0]\n";
    let path = root.join("big.toml");
    std::fs::write(&path, spec).unwrap();
    let start = Instant::now();
    let (_, grid) = runner::task::planning::plan(&path).unwrap();
    let expand_s = start.elapsed().as_secs_f64();
    assert_eq!(grid.runs.len(), 100_000);

    let store = runner::store::ExperimentDir::new(root.join("runs/big"));
    store.create().unwrap();
    let start = Instant::now();
    let rec = runner::store::reconcile::observe(&store, &grid);
    let check_new_s = start.elapsed().as_secs_f64();
    assert_eq!(rec.todo().len(), 100_000);

    for run in &grid.runs {
        std::fs::create_dir_all(store.run_dir(&run.id)).unwrap();
        let mut status = runner::store::RunStatus::new(&run.id);
        status.state = runner::store::RunState::Failed;
        store.write_status(&run.id, &status).unwrap();
    }
    let start = Instant::now();
    let rec = runner::store::reconcile::observe(&store, &grid);
    let check_full_s = start.elapsed().as_secs_f64();
    assert_eq!(rec.count(runner::store::RunState::Failed), 100_000);
    (expand_s, check_new_s, check_full_s, grid.runs.len())
}
