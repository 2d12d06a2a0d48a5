//! `runner launch SPEC KEY=VALUE ...`: overrides change the grid, params and seeds as an edited
//! spec would, show in the dry run, experiment.json, the frozen spec, status and the report, and
//! bad ones are errors naming the override.

mod common;

use common::{text, Project};

const SPEC: &str = r#"
[experiment]
name = "ov"
task = "command"
seeds = [1]

[params]
command = ["sh", "-c", "echo \"{{\\\"v\\\": {a}, \\\"w\\\": \\\"{w}\\\"}}\" > $RUNNER_RUN_DIR/metrics.json"]
w = "fixed"

[grid]
a = [1, 2]

[resources]
devices = "cpu"
threads = 1
"#;

#[test]
fn overrides_change_the_plan_and_are_recorded() {
    let p = Project::new();
    p.write("exp.toml", SPEC);
    let args = ["grid.a=3,4,5", "grid.w=x,y", "experiment.seeds=[7, 8]"];
    let dry = p.run(&[&["launch", "exp.toml", "--dry-run"][..], &args].concat());
    let shown = text(&dry);
    assert!(dry.status.success(), "{shown}");
    assert!(shown.contains("12 runs"), "3 × 2 × 2 seeds: {shown}");
    assert!(
        shown.contains("overrides: grid.a=3,4,5 grid.w=x,y"),
        "{shown}"
    );
    let out = p.run(&[&["launch", "exp.toml"][..], &args].concat());
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("ov");
    assert_eq!(results.len(), 12);
    let mut seen: Vec<(i64, String, i64)> = results
        .iter()
        .map(|r| {
            let c = &r["config"];
            assert_eq!(r["metrics"]["v"], c["a"]);
            let w = c["w"].as_str().unwrap().to_string();
            (c["a"].as_i64().unwrap(), w, c["seed"].as_i64().unwrap())
        })
        .collect();
    seen.sort();
    assert_eq!(seen.first().unwrap(), &(3, "x".to_string(), 7));
    assert_eq!(seen.last().unwrap(), &(5, "y".to_string(), 8));
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("runs/ov/experiment.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["overrides"], serde_json::json!(args));
    let frozen = std::fs::read_to_string(p.path().join("runs/ov/spec.toml")).unwrap();
    assert!(frozen.contains("#   grid.a=3,4,5"), "{frozen}");
    let status = text(&p.run(&["status", "runs/ov"]));
    assert!(
        status.contains("overridden on the command line: grid.a=3,4,5"),
        "{status}"
    );
    // The same run reached by fixing the axes: already done, not run twice.
    let again = p.run(&[
        "launch",
        "exp.toml",
        "params.a=3",
        "params.w=x",
        "experiment.seeds=7",
    ]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(p.results("ov").len(), 12, "{}", text(&again));
}

#[test]
fn bad_overrides_are_errors_naming_them() {
    let p = Project::new();
    p.write("exp.toml", SPEC);
    for (args, says) in [
        (&["params.a=1", "lr=3"][..], "override 2 (lr=3)"),
        (&["grid.a=[]"][..], "at least one value"),
        (&["grid.a=1,1"][..], "listed twice"),
        (&["resources.threads=many"][..], "threads"),
        (&["experiment.seeds=x"][..], "seeds"),
        (&["params.a"][..], "expected KEY=VALUE"),
    ] {
        let out = p.run(&[&["launch", "exp.toml", "--dry-run"][..], args].concat());
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {shown}");
        assert!(shown.contains(says), "{args:?}: {shown}");
        assert!(
            shown.contains("override"),
            "{args:?} names the override: {shown}"
        );
        assert!(!shown.contains("panicked"), "{shown}");
    }
}
