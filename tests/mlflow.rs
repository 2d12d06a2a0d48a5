//! `runner export mlflow` against a real MLflow tracking server (`mlflow server` on 127.0.0.1,
//! a SQLite store and a free port, stopped at the end), read back through MLflow's own client
//! (scripts/check_mlflow.py): one MLflow run per runner run, params, metrics with their steps,
//! tags and artifacts equal to runner's files, and nothing duplicated by a second export.
//! Skipped with a message without a Python that has `mlflow` (`RUNNER_PYTHON`);
//! `RUNNER_REQUIRE_REFERENCE=1` (`.ci/run`) makes that a failure.

mod common;

use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use common::{text, Project};
use serde_json::Value;

fn python() -> Option<String> {
    common::reference_python("mlflow")
}

/// `mlflow server` in its own process group, killed whole when dropped.
struct Server {
    child: std::process::Child,
    uri: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(python: &str, p: &Project) -> Server {
    let port = free_port();
    let db = format!("sqlite:///{}", p.path().join("mlflow.db").display());
    let child = std::process::Command::new(python)
        .args([
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--workers",
            "1",
        ])
        .args(["--port", &port.to_string(), "--backend-store-uri", &db])
        .arg("--artifacts-destination")
        .arg(p.path().join("mlartifacts"))
        .current_dir(p.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let server = Server {
        child,
        uri: format!("http://127.0.0.1:{port}"),
    };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "mlflow server did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

fn read_back(python: &str, uri: &str, experiment: &str) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check_mlflow.py");
    let out = std::process::Command::new(python)
        .args([script, uri, experiment])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

const SPEC: &str = r#"[experiment]
name = "ml"
task = "command"
seeds = [3]

[params]
command = ["sh", "-c", "test {a} != 9 || exit 4; for s in 1 2 3; do echo \"{{\\\"step\\\": $s, \\\"loss\\\": $(( {a} * 10 / s ))}}\" >> $RUNNER_RUN_DIR/curves.jsonl; done; echo '{{\"score\": {a}, \"deep\": {{\"x\": 0.25}}}}' > $RUNNER_RUN_DIR/metrics.json"]
opts = { depth = 2, name = "t" }

[grid]
a = [1, 2, 9]

[resources]
devices = "cpu"
threads = 1
"#;

fn check(read: &Value, p: &Project) {
    let results = p.results("ml");
    assert_eq!(read.as_object().unwrap().len(), results.len(), "{read}");
    for r in &results {
        let m = &read[r["id"].as_str().unwrap()];
        assert_eq!(m["count"], 1, "no duplicate run");
        assert_eq!(m["status"], "FINISHED");
        assert_eq!(m["tags"]["runner.name"], r["name"]);
        assert_eq!(m["tags"]["mlflow.runName"], r["name"]);
        assert_eq!(m["tags"]["runner.seed"], "3");
        assert_eq!(m["tags"]["runner.device"], "cpu");
        let a = r["config"]["a"].as_i64().unwrap();
        assert_eq!(m["params"]["a"], a.to_string());
        assert_eq!(m["params"]["opts.depth"], "2");
        assert_eq!(m["params"]["opts.name"], "t");
        assert_eq!(m["params"]["seed"], "3");
        let loss: Vec<(i64, f64)> = (1..=3).map(|s| (s, (a * 10 / s) as f64)).collect();
        let got: Vec<(i64, f64)> = m["metrics"]["loss"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pt| (pt[0].as_i64().unwrap(), pt[1].as_f64().unwrap()))
            .collect();
        assert_eq!(got, loss, "each curve point once, at its step");
        assert_eq!(m["metrics"]["score"], serde_json::json!([[3, a as f64]]));
        assert_eq!(m["metrics"]["deep.x"], serde_json::json!([[3, 0.25]]));
        assert_eq!(
            m["artifacts"],
            serde_json::json!(["config.json", "metrics.json"])
        );
    }
}

#[test]
fn an_export_twice_gives_one_mlflow_run_per_run_with_its_records() {
    let Some(python) = python() else { return };
    let p = Project::new();
    p.write("ml.toml", SPEC);
    let out = p.run(&["launch", "ml.toml", "-q"]);
    assert_eq!(out.status.code(), Some(1), "one run fails: {}", text(&out));
    let server = start_server(&python, &p);
    let first = p.run(&["export", "mlflow", "runs/ml", "--tracking-uri", &server.uri]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("3 runs created, 0 updated"),
        "{}",
        text(&first)
    );
    let second = p.run(&["export", "mlflow", "runs/ml", "--tracking-uri", &server.uri]);
    assert!(
        text(&second).contains("0 runs created, 3 updated"),
        "{}",
        text(&second)
    );
    let read = read_back(&python, &server.uri, "ml");
    // Another directory of the same spec (same run ids) is another experiment's runs.
    let other = p.run(&["launch", "ml.toml", "-q", "-o", "runs/ml2"]);
    assert_eq!(other.status.code(), Some(1), "{}", text(&other));
    let args = [
        "export",
        "mlflow",
        "runs/ml2",
        "--tracking-uri",
        &server.uri,
    ];
    let out = p.run(&[&args[..], &["--experiment", "ml-other"]].concat());
    assert!(text(&out).contains("3 runs created"), "{}", text(&out));
    let out = p.run(&[&args[..], &["--experiment", "ml"]].concat());
    assert!(
        text(&out).contains("3 runs created, 0 updated"),
        "{}",
        text(&out)
    );
    assert_eq!(
        read_back(&python, &server.uri, "ml-other")
            .as_object()
            .unwrap()
            .len(),
        3
    );
    let failed = read
        .as_object()
        .unwrap()
        .values()
        .filter(|m| m["status"] == "FAILED")
        .count();
    assert_eq!(failed, 1, "the failed run is a FAILED MLflow run");
    let completed: serde_json::Map<String, Value> = read
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, m)| m["status"] == "FINISHED")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(completed.len(), 2);
    check(&Value::Object(completed), &p);
    // An unreachable server is an environment error that changes nothing of runner's.
    let before = std::fs::read(p.path().join("runs/ml/results.jsonl")).unwrap();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let out = p.run(&["export", "mlflow", "runs/ml", "--tracking-uri", &closed]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("cannot reach the MLflow tracking server"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read(p.path().join("runs/ml/results.jsonl")).unwrap(),
        before
    );
}
