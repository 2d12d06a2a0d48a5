//! Bad specs: every error names the file, line and column, the key, and what is allowed.

mod common;

use common::{text, Project};

/// Launches a spec and returns the error text (the launch must fail with exit code 2).
fn error_of(spec: &str) -> String {
    let p = Project::new();
    p.write(
        "configs/loss_weights.toml",
        "[balanced]\ngeneration = 0.5\n\n[supervised]\ngeneration = 1.0\n",
    );
    p.write("experiments/bad.toml", spec);
    let out = p.run(&["launch", "experiments/bad.toml", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        !p.path().join("runs").exists(),
        "nothing written for a bad spec"
    );
    text(&out)
}

const HEAD: &str = "[experiment]\nname = \"e\"\ntask = \"command\"\n\n[params]\ncommand = \"true {x}\"\n\n[grid]\nx = [1, 2]\n";

#[test]
fn unknown_key_gets_a_suggestion_and_location() {
    let e = error_of(&format!("{HEAD}\n[resources]\nruns_per_devise = 2\n"));
    assert!(
        e.contains("experiments/bad.toml:12:1: `resources.runs_per_devise`: unknown key"),
        "{e}"
    );
    assert!(e.contains("did you mean `runs_per_device`?"), "{e}");
    assert!(e.contains("12 | runs_per_devise = 2"), "{e}");
}

#[test]
fn unknown_section_is_an_error() {
    let e = error_of(&format!("{HEAD}\n[grdi]\ny = [1]\n"));
    assert!(e.contains(":11:2: `grdi`: unknown key"), "{e}");
    assert!(e.contains("did you mean `grid`?"), "{e}");
}

#[test]
fn misspelt_axis_in_exclude() {
    let e = error_of(&format!("{HEAD}\n[[exclude]]\nxx = 1\n"));
    assert!(e.contains("`exclude.xx`: not an axis of the grid"), "{e}");
    assert!(e.contains("did you mean `x`?"), "{e}");
}

#[test]
fn exclude_value_that_matches_nothing() {
    let e = error_of(&format!("{HEAD}\n[[exclude]]\nx = 3\n"));
    assert!(e.contains("matches no value of this axis"), "{e}");
    assert!(e.contains("the axis has: 1, 2"), "{e}");
}

#[test]
fn misspelt_placeholder_in_command() {
    let e = error_of("[experiment]\nname = \"e\"\ntask = \"command\"\n\n[params]\ncommand = [\"run\", \"--m\", \"{target_lenght}\"]\n\n[grid]\ntarget_length = [32, 64]\n");
    assert!(
        e.contains("bad.toml:6:26: `command`: placeholder `{target_lenght}` names no key"),
        "{e}"
    );
    assert!(e.contains("did you mean `target_length`?"), "{e}");
}

#[test]
fn bad_duration_says_how_to_write_one() {
    let e = error_of(&format!("{HEAD}\n[resources]\ntimeout = \"2 hourz\"\n"));
    assert!(
        e.contains("`resources.timeout`: invalid duration `2 hourz`"),
        "{e}"
    );
    assert!(e.contains("\"2h\""), "{e}");
}

#[test]
fn unknown_task_kind() {
    let e = error_of("[experiment]\nname = \"e\"\ntask = \"comand\"\n");
    assert!(
        e.contains("bad.toml:3:8: `experiment.task`: unknown task kind `comand`"),
        "{e}"
    );
    assert!(e.contains("did you mean `command`?"), "{e}");
}

#[test]
fn invalid_toml_is_located() {
    let e = error_of("[experiment]\nname = \"e\"\ntask = \n");
    assert!(e.contains("bad.toml:3:"), "{e}");
    assert!(e.contains("invalid TOML"), "{e}");
}

#[test]
fn scalar_axis_points_to_params() {
    let e = error_of("[experiment]\nname = \"e\"\ntask = \"command\"\n\n[params]\ncommand = \"true\"\n\n[grid]\nlr = 0.1\n");
    assert!(
        e.contains("`grid.lr`: expected an array of values, found a float"),
        "{e}"
    );
    assert!(e.contains("put fixed values in [params]"), "{e}");
}

#[test]
fn zip_lengths_must_agree() {
    let e = error_of(&format!(
        "{HEAD}\n[[zip]]\nlr = [0.1, 0.01]\nwarmup = [1, 2, 3]\n"
    ));
    assert!(
        e.contains("`zip.warmup`: has 3 values but `lr` has 2"),
        "{e}"
    );
}

#[test]
fn key_in_params_and_grid() {
    let e = error_of("[experiment]\nname = \"e\"\ntask = \"command\"\n\n[params]\ncommand = \"true\"\nx = 1\n\n[grid]\nx = [1, 2]\n");
    assert!(
        e.contains("`x`: defined in both [params] and [grid]"),
        "{e}"
    );
}

#[test]
fn unknown_preset_lists_the_presets() {
    let e = error_of(&format!(
        "{HEAD}loss_weights = [\"balanced\", \"balancd\"]\n"
    ));
    assert!(e.contains("`loss_weights`: no preset `balancd`"), "{e}");
    assert!(e.contains("did you mean `balanced`?"), "{e}");
}

#[test]
fn missing_command_for_the_command_task() {
    let e = error_of("[experiment]\nname = \"e\"\ntask = \"command\"\n");
    assert!(e.contains("the `command` task needs a command"), "{e}");
}

#[test]
fn bad_device_and_bad_seed() {
    let e = error_of(&format!("{HEAD}\n[resources]\ndevices = [\"gpu0\"]\n"));
    assert!(e.contains("unknown device `gpu0`"), "{e}");
    let e = error_of("[experiment]\nname = \"e\"\ntask = \"command\"\nseeds = [1, 1]\n");
    assert!(e.contains("seed 1 is listed twice"), "{e}");
}

#[test]
fn missing_file_and_extends_cycle() {
    let p = Project::new();
    let out = p.run(&["launch", "nope.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("nope.toml: cannot read the file"),
        "{}",
        text(&out)
    );
    p.write("a.toml", "[experiment]\nextends = \"b.toml\"\n");
    p.write("b.toml", "[experiment]\nextends = \"a.toml\"\n");
    let out = p.run(&["launch", "a.toml"]);
    assert!(
        text(&out).contains("`extends` forms a cycle"),
        "{}",
        text(&out)
    );
}

#[test]
fn presets_and_extends_resolve() {
    let p = Project::new();
    p.write("configs/loss_weights.toml", "[balanced]\ngeneration = 0.3\nteacher_forcing = 0.7\n\n[supervised]\nteacher_forcing = 1.0\n");
    p.write(
        "experiments/base.toml",
        "[experiment]\nname = \"base\"\ntask = \"command\"\nabbrev = { target_length = \"M\" }\n\n[params]\ncommand = '''echo '{{}}' > $RUNNER_RUN_DIR/metrics.json'''\nepochs = 3\n\n[grid]\ntarget_length = [32, 64]\n",
    );
    p.write(
        "experiments/child.toml",
        "[experiment]\nextends = \"base.toml\"\nname = \"child\"\nseeds = [0]\n\n[params]\nepochs = 5\n\n[grid]\nloss_weights = [\"balanced\", \"supervised\"]\n\n[[exclude]]\ntarget_length = 64\nloss_weights = \"supervised\"\n",
    );
    let out = p.run(&["launch", "experiments/child.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("child");
    let mut names: Vec<String> = results
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["M32_balanced_s0", "M32_supervised_s0", "M64_balanced_s0"]
    );
    let balanced = results
        .iter()
        .find(|r| r["name"] == "M32_balanced_s0")
        .unwrap();
    assert_eq!(balanced["config"]["loss_weights"]["teacher_forcing"], 0.7);
    assert_eq!(balanced["config"]["epochs"], 5);
    let frozen = std::fs::read_to_string(p.path().join("runs/child/spec.toml")).unwrap();
    assert!(
        frozen.contains("epochs = 5") && !frozen.contains("extends"),
        "{frozen}"
    );
    // A spec named without a directory finds the configs/ beside it (its parent is "").
    p.write(
        "bare.toml",
        "[experiment]\nname = \"bare\"\ntask = \"command\"\n\n[params]\ncommand = '''echo '{{}}' > $RUNNER_RUN_DIR/metrics.json'''\nloss_weights = \"balanced\"\n",
    );
    let out = p.run(&["launch", "bare.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        p.results("bare")[0]["config"]["loss_weights"]["generation"],
        0.3
    );
}

#[test]
fn zip_axes_may_repeat_values_but_not_rows() {
    let e = error_of(&format!(
        "{HEAD}\n[[zip]]\nlr = [0.1, 0.1, 0.1]\nwarmup = [1, 2, 1]\n"
    ));
    assert!(
        e.contains("`zip.lr`: row 3 of this [[zip]] repeats row 1"),
        "{e}"
    );
    assert!(
        e.contains("bad.toml:12:17:"),
        "points at the repeated row: {e}"
    );
    let e = error_of(&format!("{HEAD}\ny = [1, 1]\n"));
    assert!(
        e.contains("`grid.y`: value listed twice on this axis"),
        "{e}"
    );
}

/// The error of a soft-compression spec with `params` and an architecture axis `grid`: it names
/// `key` and says `message`.
fn soft_refusal(params: &str, grid: &str, key: &str, message: &str) {
    let e = error_of(&format!(
        "[experiment]\nname = \"e\"\ntask = \"soft-compression\"\n\n[params]\n{params}\n\n[grid]\narchitecture = {grid}\n"
    ));
    assert!(e.contains(key), "{e}");
    assert!(e.contains(message), "{e}");
}

#[test]
fn principal_packing_outside_conv_with_slots_is_refused() {
    soft_refusal(
        "decoder = \"unpack\"\npacking = \"principal\"",
        "[\"conv\", \"gist\"]",
        "packing",
        "principal packing needs architecture = \"conv\" and decoder = \"unpack\"",
    );
}

#[test]
fn the_keep_loss_outside_select_is_refused() {
    soft_refusal(
        "loss_weights = { teacher_forcing = 1.0, generation = 0.0, contrastive = 0.0, keep = 1.0 }",
        "[\"select\", \"conv\"]",
        "loss_weights",
        "the keep loss trains the scorer of architecture = \"select\" only",
    );
}
