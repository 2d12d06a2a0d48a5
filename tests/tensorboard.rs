//! TensorBoard event files, read back with TensorBoard's own event reader
//! (scripts/check_tensorboard.py): every run of a grid of commands that append curves and of a
//! tiny built-in training is a TensorBoard run with its curves (tag, step and value as in
//! curves.jsonl), its final metrics, its axes and seed as HParams and its state; the curves
//! appear while the run trains. Skipped with a message without a Python that has
//! `tensorboard` (`RUNNER_PYTHON`); `RUNNER_REQUIRE_REFERENCE=1` (`.ci/run`) makes that a failure.

mod common;

use std::collections::BTreeMap;

use common::{spawn, text, wait_until, Project};
use serde_json::Value;

fn python() -> Option<String> {
    common::reference_python("tensorboard")
}

/// What TensorBoard's reader finds under the experiment's `tensorboard/`, by run name.
fn read_back(python: &str, p: &Project, exp: &str) -> BTreeMap<String, Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check_tensorboard.py");
    let dir = p.path().join("runs").join(exp).join("tensorboard");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every completed run of `exp` as TensorBoard shows it: curves, final metrics, hparams, state.
fn check_runs(boards: &BTreeMap<String, Value>, p: &Project, exp: &str, axes: &[&str]) {
    let results = p.results(exp);
    assert_eq!(boards.len(), results.len(), "one TensorBoard run per run");
    for r in &results {
        let name = r["name"].as_str().unwrap();
        let board = &boards[name];
        assert_eq!(board["status"], 1, "{name}: session ended successfully");
        for key in axes.iter().chain(&["seed"]) {
            let shown = &board["hparams"][key];
            let config = &r["config"][key];
            let same = shown == config || shown.as_f64() == config.as_f64();
            assert!(same, "{name}: hparam {key} {shown} vs config {config}");
        }
        let dir = p
            .path()
            .join("runs")
            .join(exp)
            .join("runs")
            .join(r["id"].as_str().unwrap());
        let curves = std::fs::read_to_string(dir.join("curves.jsonl")).unwrap();
        let lines: Vec<Value> = curves
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!lines.is_empty(), "{name} logged curves");
        for (i, line) in lines.iter().enumerate() {
            let step = ["step", "epoch", "iteration"]
                .iter()
                .find_map(|k| line[k].as_i64())
                .unwrap_or(i as i64);
            for (tag, value) in line.as_object().unwrap() {
                let Some(x) = value.as_f64() else { continue };
                if ["step", "epoch", "iteration"].contains(&tag.as_str()) {
                    continue;
                }
                let points = board["scalars"][tag]
                    .as_array()
                    .unwrap_or_else(|| panic!("{name}: no scalar {tag}: {}", board["scalars"]));
                let found = points.iter().any(|pt| {
                    pt[0].as_i64() == Some(step)
                        && (pt[1].as_f64().unwrap() - x).abs() <= 1e-6 * x.abs().max(1.0)
                });
                assert!(
                    found,
                    "{name}: {tag} = {x} at step {step} not in {points:?}"
                );
            }
        }
        for (metric, value) in r["metrics"].as_object().unwrap() {
            if let Some(x) = value.as_f64() {
                let tag = format!("final/{metric}");
                let points = board["scalars"][&tag].as_array();
                let got = points.and_then(|p| p.last()).and_then(|pt| pt[1].as_f64());
                assert!(
                    got.is_some_and(|g| (g - x).abs() <= 1e-6 * x.abs().max(1.0)),
                    "{name}: {tag} {got:?} vs {x}"
                );
            }
        }
    }
}

#[test]
fn a_grid_of_commands_is_shown_live_and_whole() {
    let Some(python) = python() else { return };
    let p = Project::new();
    p.write(
        "tb.toml",
        r#"[experiment]
name = "tb"
task = "command"
seeds = [1, 2]

[params]
command = ["sh", "-c", "for s in 1 2 3; do echo \"{{\\\"step\\\": $s, \\\"loss\\\": $(( {a} * 10 / s )), \\\"acc\\\": 0.$s}}\" >> $RUNNER_RUN_DIR/curves.jsonl; while [ {wait} = 1 ] && [ ! -f $RUNNER_RUN_DIR/go ]; do sleep 0.05; done; done; printf '{{\"step\": 4, \"tail\": 1}}' >> $RUNNER_RUN_DIR/curves.jsonl; echo '{{\"score\": {a}, \"nested\": {{\"x\": 0.5}}}}' > $RUNNER_RUN_DIR/metrics.json"]
wait = 0

[grid]
a = [1, 2]
arch = ["conv", "gist"]

[[include]]
a = 9
arch = "slow"
wait = 1

[resources]
devices = "cpu"
runs_per_device = 2
threads = 1
"#,
    );
    let mut launcher = spawn(&p, &["launch", "tb.toml", "-q"], true);
    // The slow run's first curve point reaches TensorBoard while it still runs.
    let board = p.path().join("runs/tb/tensorboard/a9_slow_wait1_s1");
    let has_loss = || {
        std::fs::read_dir(&board).ok().is_some_and(|entries| {
            entries
                .flatten()
                .any(|e| std::fs::read(e.path()).is_ok_and(|b| b.windows(4).any(|w| w == b"loss")))
        })
    };
    wait_until(60, has_loss);
    assert!(has_loss(), "the curve appears while the run trains");
    let read = read_back(&python, &p, "tb");
    assert_eq!(
        read["a9_slow_wait1_s1"]["scalars"]["loss"][0],
        serde_json::json!([1, 90.0])
    );
    assert!(
        read["a9_slow_wait1_s1"].get("status").is_none(),
        "not ended yet"
    );
    // Let the slow runs finish.
    for seed in ["s1", "s2"] {
        let dir = p
            .path()
            .join(format!("runs/tb/by-name/a9_slow_wait1_{seed}"));
        wait_until(60, || dir.exists());
        std::fs::write(dir.join("go"), "").unwrap();
    }
    assert!(launcher.wait().unwrap().success());
    check_runs(
        &read_back(&python, &p, "tb"),
        &p,
        "tb",
        &["a", "arch", "wait"],
    );
}

#[test]
fn a_built_in_training_is_shown_and_tracking_can_be_off() {
    let Some(python) = python() else { return };
    let p = Project::new();
    p.write(
        "corpus.txt",
        &"verse: and the word was with the model. ".repeat(200),
    );
    p.write("input.txt", &"the model was with the word. ".repeat(20));
    let spec = r#"[experiment]
name = "NAME"
task = "lm-codec"
seeds = [0]

[params]
mode = "pretrained"
input = "input.txt"
arch = "gru"
hidden = 8
streams = 2
segment = 8
corpus = ["corpus.txt"]
train_steps = 4
batch_size = 2
seq_len = 8
baselines = false

[grid]
learning_rate = [0.01, 0.02]
"#;
    p.write("lm.toml", &spec.replace("NAME", "lm"));
    let out = p.run(&["launch", "lm.toml", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    check_runs(&read_back(&python, &p, "lm"), &p, "lm", &["learning_rate"]);
    let off = spec.replace("NAME", "off") + "\n[tracking]\ntensorboard = false\n";
    p.write("off.toml", &off);
    let out = p.run(&["launch", "off.toml", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!p.path().join("runs/off/tensorboard").exists());
}
