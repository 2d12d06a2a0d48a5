//! Orchestration overhead benchmark (run with `cargo bench --bench orchestration`).
//!
//! 1. 1,000 trivial command runs through `runner launch -j 1`, against the same 1,000
//!    commands spawned directly one after another: the difference per run is runner's overhead.
//! 2. Expansion of a 100,000-run grid, and the resume check of it against a store in which
//!    every run has a status (the worst case for `runner resume`); then, with every run
//!    completed, `runner resume` (rebuilding results.jsonl from the run directories),
//!    `runner status` and `runner report` over it, each the whole command.
//! 3. `runner launch --dry-run` of a 1,000,000-run grid: wall time and peak memory.
//!
//! Targets on a 2-core machine: ≤ 5 ms overhead per run; < 1 s for the 100,000-run grid;
//! status and report of 100,000 completed runs within seconds; the million-run dry run
//! < 3 s and < 300 MB.
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
    // BENCH_KEEP=1 keeps the directory (runs/big, runs/bench) for a closer look.
    let root = &if std::env::var_os("BENCH_KEEP").is_some() {
        let kept = dir.keep();
        println!("kept {}", kept.display());
        kept
    } else {
        dir.path().to_path_buf()
    };

    // Baseline: the same shell command, spawned and waited for directly.
    let (direct, direct_cpu) = direct_spawns(root, runs);

    write_trivial_spec(root, "bench", runs);
    let through_runner = timed(root, &["launch", "bench.toml", "-j", "1", "--quiet"]).0;
    let results = std::fs::read_to_string(root.join("runs/bench/results.jsonl")).unwrap();
    assert_eq!(results.lines().count(), runs);
    let overhead_ms = (through_runner - direct) / runs as f64 * 1000.0;

    // Resume of a finished grid (nothing to run): the whole command, start to exit.
    let resume_done = timed(root, &["resume", "runs/bench", "--quiet"]).0;

    let two_slots = two_slot_overhead(root, runs, direct, direct_cpu);
    let start_ms = supervisor_start_ms(root);
    let (expand_s, check_new_s, check_full_s, grid_runs) = big_grid(root);
    let completed = completed_grid(root);
    let (million_s, million_mb) = million_dry_run(root);

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
    println!(
        "  two slots:           {:8.3} ms per run beyond a bare spawn (wall x 2 slots); CPU {:.3} ms per run beyond it",
        two_slots.0, two_slots.1
    );
    println!(
        "  supervisor start:    {start_ms:8.3} ms (runner-supervise -- true, less a bare true)"
    );
    println!("{grid_runs}-run grid");
    println!("  load + expand:       {expand_s:8.3} s");
    println!("  resume check, empty: {check_new_s:8.3} s");
    println!("  resume check, full:  {check_full_s:8.3} s   (every run has a status.json)");
    println!(
        "  expand + full check: {:8.3} s   (target < 1 s)",
        expand_s + check_full_s
    );
    println!("{grid_runs} completed runs (whole commands)");
    println!("  resume (results.jsonl rebuilt): {:8.3} s", completed.0);
    println!("  resume (nothing to do):         {:8.3} s", completed.1);
    println!("  status:                         {:8.3} s", completed.2);
    println!("  report:                         {:8.3} s", completed.3);
    println!("1,000,000-run grid, launch --dry-run");
    println!("  wall:                {million_s:8.3} s   (target < 3 s)");
    println!("  peak memory:         {million_mb:8.1} MB  (target < 300 MB)");

    let json = serde_json::json!({
        "runs": runs,
        "direct_s": direct,
        "through_runner_s": through_runner,
        "overhead_ms_per_run": overhead_ms,
        "resume_all_done_s": resume_done,
        "two_slot_overhead_ms_per_run": two_slots.0,
        "two_slot_cpu_overhead_ms_per_run": two_slots.1,
        "supervisor_start_ms": start_ms,
        "grid_runs": grid_runs,
        "expand_s": expand_s,
        "check_empty_s": check_new_s,
        "check_full_s": check_full_s,
        "completed_resume_rebuild_s": completed.0,
        "completed_resume_s": completed.1,
        "completed_status_s": completed.2,
        "completed_report_s": completed.3,
        "million_dry_run_s": million_s,
        "million_dry_run_peak_mb": million_mb,
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
    let (_, grid) = runner::task::planning::plan(&path, &[]).unwrap();
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

/// Completes every run of the 100,000-run grid on disk (status and metrics, as a launch
/// leaves them, results.jsonl left to resume to rebuild) and times `runner resume` (twice),
/// `runner status` and `runner report` over it.
fn completed_grid(root: &Path) -> (f64, f64, f64, f64) {
    let (spec, grid) = runner::task::planning::plan(&root.join("big.toml"), &[]).unwrap();
    let store = runner::store::ExperimentDir::new(root.join("runs/big"));
    for (i, run) in grid.runs.iter().enumerate() {
        let metrics = format!("{{\"loss\": {}}}\n", (i % 97) as f64 / 10.0);
        std::fs::write(store.run_dir(&run.id).join("metrics.json"), metrics).unwrap();
        let mut status = runner::store::RunStatus::new(&run.id);
        status.state = runner::store::RunState::Completed;
        status.attempts = 1;
        status.duration_s = Some(0.01);
        store.write_status(&run.id, &status).unwrap();
    }
    let cwd = std::env::current_dir().unwrap();
    std::env::set_current_dir(root).unwrap();
    store.record_launch(&spec, &grid).unwrap();
    std::env::set_current_dir(cwd).unwrap();
    let rebuild = timed(root, &["resume", "runs/big", "--quiet"]).0;
    let lines = std::fs::read_to_string(root.join("runs/big/results.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), grid.runs.len());
    let again = timed(root, &["resume", "runs/big", "--quiet"]).0;
    let status = timed(root, &["status", "runs/big"]).0;
    let report = timed(root, &["report", "runs/big"]).0;
    (rebuild, again, status, report)
}

/// Times `runner launch --dry-run` of a 1,000,000-run grid; its peak resident memory in MB.
fn million_dry_run(root: &Path) -> (f64, f64) {
    let values =
        |n: usize, f: &dyn Fn(usize) -> String| (1..=n).map(f).collect::<Vec<_>>().join(", ");
    let spec = format!(
        "[experiment]\nname = \"million\"\ntask = \"command\"\nseeds = [{}]\nmax_runs = 1000000\n\n[params]\ncommand = \"echo {{a}} {{b}} {{c}}\"\nepochs = 3\nlr = 0.001\n\n[grid]\na = [{}]\nb = [{}]\nc = [{}]\n",
        values(10, &|i| (i - 1).to_string()),
        values(50, &|i| i.to_string()),
        values(20, &|i| format!("\"x{i}\"")),
        values(100, &|i| format!("{:.1}", i as f64 / 10.0)),
    );
    std::fs::write(root.join("million.toml"), spec).unwrap();
    let (seconds, peak_kb) = timed(root, &["launch", "million.toml", "--dry-run"]);
    (seconds, peak_kb as f64 / 1024.0)
}

/// Runs runner with `args` in `root`, checks it succeeded; wall seconds and the child's peak
/// resident memory in KB.
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its own peak memory
fn timed(root: &Path, args: &[&str]) -> (f64, i64) {
    let stderr_file = tempfile::tempfile().unwrap();
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .args(args)
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(stderr_file.try_clone().unwrap())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `status` and `usage` are valid for writing.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(pid, child.id() as i32);
    let mut stderr = String::new();
    use std::io::{Read, Seek};
    let mut stderr_file = stderr_file;
    stderr_file.rewind().unwrap();
    stderr_file.read_to_string(&mut stderr).unwrap();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "runner {args:?}: {stderr}"
    );
    (seconds, usage.ru_maxrss)
}

/// CPU seconds (user + system) of this process's waited-for children so far.
fn children_cpu_s() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid for writing.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// `runs` trivial commands spawned and waited for one after another: wall and CPU seconds.
fn direct_spawns(root: &Path, runs: usize) -> (f64, f64) {
    let base_dir = root.join("direct");
    std::fs::create_dir_all(&base_dir).unwrap();
    let (cpu0, start) = (children_cpu_s(), Instant::now());
    for _ in 0..runs {
        let status = Command::new("sh")
            .args(["-c", TRIVIAL])
            .env("RUNNER_RUN_DIR", &base_dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
    (start.elapsed().as_secs_f64(), children_cpu_s() - cpu0)
}

/// Writes `NAME.toml`: `runs` trivial command runs.
fn write_trivial_spec(root: &Path, name: &str, runs: usize) {
    let xs: Vec<String> = (0..runs).map(|i| i.to_string()).collect();
    let spec = format!(
        "[experiment]\nname = \"{name}\"\ntask = \"command\"\n\n[params]\ncommand = '''{}'''\n\n[grid]\nx = [{}]\n\n[resources]\ndevices = \"cpu\"\n",
        TRIVIAL.replace('{', "{{").replace('}', "}}"),
        xs.join(", ")
    );
    std::fs::write(root.join(format!("{name}.toml")), spec).unwrap();
}

/// The same trivial runs through `runner launch -j 2`: wall time x 2 slots per run beyond a bare
/// spawn, and CPU time per run beyond a bare spawn's (both in ms).
fn two_slot_overhead(root: &Path, runs: usize, direct_s: f64, direct_cpu: f64) -> (f64, f64) {
    write_trivial_spec(root, "bench2", runs);
    let cpu0 = children_cpu_s();
    let wall = timed(root, &["launch", "bench2.toml", "-j", "2", "--quiet"]).0;
    let cpu = children_cpu_s() - cpu0;
    let per_run = |x: f64| x / runs as f64 * 1000.0;
    (per_run(wall * 2.0 - direct_s), per_run(cpu - direct_cpu))
}

/// Mean start of the supervisor around `true`, less a bare `true`, over 200 starts (ms).
fn supervisor_start_ms(root: &Path) -> f64 {
    let supervisor = Path::new(env!("CARGO_BIN_EXE_runner")).with_file_name("runner-supervise");
    let dir = root.join("supervise");
    std::fs::create_dir_all(&dir).unwrap();
    let me = std::process::id().to_string();
    let time = |supervised: bool| {
        let start = Instant::now();
        for _ in 0..200 {
            let status = if supervised {
                Command::new(&supervisor)
                    .args(["--parent", &me, "--run-dir"])
                    .arg(&dir)
                    .args(["--grace", "1", "--", "true"])
                    .status()
            } else {
                Command::new("true").status()
            };
            assert!(status.unwrap().success());
        }
        start.elapsed().as_secs_f64() / 200.0 * 1000.0
    };
    let bare = time(false);
    time(true) - bare
}
