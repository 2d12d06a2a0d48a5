//! The compact grid (a shared table, a row per run) against the definitions it replaces: every
//! run's id is the hash of its config written out in full, its values and preset names read
//! back as a whole map would give them, and plan.json keeps all of it, in its own format and
//! in the format older versions wrote.

use runner::grid::identity::run_id;
use runner::grid::naming::run_name;
use runner::grid::Grid;
use serde_json::Value;

const SPEC: &str = r#"
[experiment]
name = "rows"
task = "command"
seeds = [0, 1, 2]

[params]
command = "echo {a} {b} {lr}"
epochs = 3

[grid]
a = [1, 2, 3]
b = ["x", "y"]

[[zip]]
lr = [0.1, 0.01]
wd = [0.0, 0.5]

[[exclude]]
a = 2
b = "y"

[[exclude]]
a = 3
seed = 1

[[include]]
a = 9
b = "z"
lr = 1.0
wd = 1.0

[[include]]
a = 7
b = "w"
lr = 2.0
wd = 2.0
seed = 2
"#;

fn planned() -> (tempfile::TempDir, Grid) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rows.toml");
    std::fs::write(&path, SPEC).unwrap();
    let (_, grid) = runner::task::planning::plan(&path, &[]).unwrap();
    (dir, grid)
}

#[test]
fn every_row_reads_as_its_config_written_out() {
    let (_dir, grid) = planned();
    // 3×2 − 1 excluded = 5 points × 2 zip = 10 per seed; seed 1 loses a=3 (2 points × 2);
    // the first include for every seed, the second for seed 2 alone.
    assert_eq!(grid.runs.len(), 10 * 3 - 4 + 3 + 1);
    assert_eq!(grid.varying, ["a", "b", "lr", "wd", "seed"]);
    for run in &grid.runs {
        let map = run.config.to_map();
        assert_eq!(run.id, run_id("command", &Value::Object(map.clone())));
        for (key, value) in &map {
            assert_eq!(run.config.get(key), Some(value), "{key} of {}", run.name);
        }
        assert_eq!(run.config.keys().len(), map.len());
        assert_eq!(run.seed(), map.get("seed").and_then(Value::as_i64));
        assert_eq!(
            run.name,
            run_name(&grid.varying, &run.config, &Default::default())
        );
    }
    // Independently of RunConfig: a point's config rebuilt from its name and the spec's
    // [params] hashes to the run's id (the definition older versions used).
    for run in grid
        .runs
        .iter()
        .filter(|r| !r.name.starts_with("a7") && !r.name.starts_with("a9"))
    {
        let parts: Vec<&str> = run.name.split('_').collect();
        let number = |p: &str, prefix: &str| -> Value {
            serde_json::from_str(p.strip_prefix(prefix).unwrap()).unwrap()
        };
        let expected = serde_json::json!({
            "command": "echo {a} {b} {lr}", "epochs": 3,
            "a": number(parts[0], "a"), "b": parts[1], "lr": number(parts[2], "lr"),
            "wd": number(parts[3], "wd"), "seed": number(parts[4], "s"),
        });
        assert_eq!(run.id, run_id("command", &expected), "{}", run.name);
    }
    let names: Vec<&str> = grid.runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[0], "a1_x_lr0.1_wd0.0_s0");
    assert!(names.contains(&"a9_z_lr1.0_wd1.0_s1"));
    assert!(names.contains(&"a7_w_lr2.0_wd2.0_s2"));
    assert!(!names.contains(&"a3_x_lr0.1_wd0.0_s1"));
    assert!(!names.contains(&"a2_y_lr0.1_wd0.0_s0"));
}

#[test]
fn plan_json_keeps_every_run_and_reads_older_plans() {
    let (_dir, grid) = planned();
    let text = serde_json::to_string(&grid).unwrap();
    let back: Grid = serde_json::from_str(&text).unwrap();
    assert_eq!(back.task, grid.task);
    assert_eq!(back.varying, grid.varying);
    assert_eq!(back.runs, grid.runs);

    // Format 1 wrote each run's config and preset names in full.
    let old = r#"{"task": "command", "varying": ["x"], "runs": [
        {"id": "abc", "name": "x1_s0", "config": {"x": 1, "seed": 0, "model": {"d": 4}},
         "labels": {"model": "small"}}]}"#;
    let old: Grid = serde_json::from_str(old).unwrap();
    assert_eq!(old.runs[0].config.get("x"), Some(&Value::from(1)));
    assert_eq!(old.runs[0].label("model"), "small");
    assert_eq!(old.runs[0].seed(), Some(0));
}

#[test]
fn a_damaged_plan_is_an_error_not_a_panic() {
    let (_dir, grid) = planned();
    let mut plan: Value = serde_json::to_value(&grid).unwrap();
    plan["runs"][0]["point"] = Value::from(1_000_000);
    let error = serde_json::from_value::<Grid>(plan).unwrap_err();
    assert!(
        error.to_string().contains("outside the plan's table"),
        "{error}"
    );
    let mut plan: Value = serde_json::to_value(&grid).unwrap();
    plan["table"]["dims"][0] = serde_json::json!([7]);
    assert!(serde_json::from_value::<Grid>(plan).is_err());
    // An axis in no dimension, or in two, or with no values.
    for dims in [
        serde_json::json!([[0], [2]]),
        serde_json::json!([[0], [0], [1], [2, 3]]),
    ] {
        let mut plan: Value = serde_json::to_value(&grid).unwrap();
        plan["table"]["dims"] = dims;
        assert!(serde_json::from_value::<Grid>(plan).is_err());
    }
    let mut plan: Value = serde_json::to_value(&grid).unwrap();
    plan["table"]["axes"][0]["values"] = serde_json::json!([]);
    plan["table"]["axes"][0]["labels"] = serde_json::json!([]);
    assert!(serde_json::from_value::<Grid>(plan).is_err());
    let mut plan: Value = serde_json::to_value(&grid).unwrap();
    plan["format"] = Value::from(3);
    let error = serde_json::from_value::<Grid>(plan).unwrap_err();
    assert!(error.to_string().contains("newer runner"), "{error}");
}
