//! `runner report` on a real (small) experiment whose metrics are known functions of the
//! config: the table numbers are checked against hand-computed means, standard deviations and
//! t intervals; figures are checked to be valid PNG/SVG files of the expected size.

mod common;

use common::{compile_latex, text, Project};

/// score = 10·x + seed, loss = 1/x + seed/10; x = 8 always fails (a partial experiment);
/// every run also logs a training curve.
fn experiment(p: &Project) {
    p.write(
        "exp.toml",
        r#"
[experiment]
name = "fixture"
task = "command"
seeds = [0, 1, 2]

[params]
command = '''
if [ {x} = 8 ]; then echo "x=8 is broken" >&2; exit 1; fi
for e in 1 2 3; do echo "{{\"epoch\": $e, \"train_loss\": $(awk "BEGIN {{ print 1 / ($e * {x}) }}")}}" >> "$RUNNER_RUN_DIR/curves.jsonl"; done
echo "{{\"score\": $((10 * {x} + {seed})), \"loss\": $(awk "BEGIN {{ print 1 / {x} + {seed} / 10 }}"), \"runs\": 1}}" > "$RUNNER_RUN_DIR/metrics.json"
'''

[grid]
x = [1, 2, 4, 8]
arch = ["a", "b"]

[resources]
devices = "cpu"
"#,
    );
    let out = p.run(&["launch", "exp.toml", "-q"]);
    assert_eq!(out.status.code(), Some(1), "x = 8 fails: {}", text(&out));
}

fn csv(path: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        path.display()
    );
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn default_report_has_correct_numbers_and_valid_figures() {
    let p = Project::new();
    experiment(&p);
    // The command task declares no metrics: without directions, nothing is "best".
    let out = p.run(&["report", "runs/fixture"]);
    assert!(out.status.success(), "{}", text(&out));
    let dir = p.path().join("runs/fixture/report");
    let md = std::fs::read_to_string(dir.join("tables/results.md")).unwrap();
    let bold_cells = md.lines().any(|l| l.starts_with('|') && l.contains("**"));
    assert!(
        !bold_cells && !md.contains('↑'),
        "no direction, no best: {md}"
    );
    let out = p.run(&[
        "report",
        "runs/fixture",
        "--better",
        "score=higher,loss=lower",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let rows = csv(&dir.join("tables/results.csv"));
    let header = &rows[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let row = rows
        .iter()
        .find(|r| r[col("x")] == "2" && r[col("arch")] == "a")
        .unwrap();
    let num = |name: &str| row[col(name)].parse::<f64>().unwrap();
    // score over seeds 0, 1, 2 = 20, 21, 22: mean 21, s = 1, t(0.975, 2) = 4.302653.
    let half = 4.302652729911275 / 3f64.sqrt();
    assert!((num("score_mean") - 21.0).abs() < 1e-9);
    assert!((num("score_std") - 1.0).abs() < 1e-9);
    assert!((num("score_ci_low") - (21.0 - half)).abs() < 1e-6);
    assert!((num("score_ci_high") - (21.0 + half)).abs() < 1e-6);
    assert!((num("loss_mean") - 0.6).abs() < 1e-6);
    assert_eq!(row[col("completed")], "3");
    // The failed configuration is reported, not hidden.
    let broken = rows
        .iter()
        .find(|r| r[col("x")] == "8" && r[col("arch")] == "a")
        .unwrap();
    assert_eq!(broken[col("completed")], "0");
    assert_eq!(broken[col("planned")], "3");

    let md = std::fs::read_to_string(dir.join("tables/results.md")).unwrap();
    assert!(
        md.contains("PARTIAL: 18 of 24 planned runs completed"),
        "{md}"
    );
    assert!(
        md.contains("**41.000** ± 2.484"),
        "best score (x = 4) in bold: {md}"
    );
    assert!(
        md.contains("**0.350** ± 0.248"),
        "best (lowest) loss in bold: {md}"
    );
    assert!(
        !md.contains("runs ↑") && !md.contains("runs ↓"),
        "the counter `runs` is not a default metric: {md}"
    );
    let tex = std::fs::read_to_string(dir.join("tables/results.tex")).unwrap();
    assert!(
        tex.contains("\\toprule") && tex.contains("\\textbf{41.000}") && tex.contains("0/3"),
        "{tex}"
    );

    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("18 of 24 runs completed (**partial: 6 not complete**)"),
        "{report}"
    );
    assert!(
        report.contains("x4_b_s0") || report.contains("Missing or failed runs (6)"),
        "{report}"
    );
    assert!(report.contains("[grid]"), "the spec is included");

    // Lines over the numeric axis x, per arch; training curves from curves.jsonl.
    for name in ["score", "loss", "curve_train_loss"] {
        assert_eq!(
            png_size(&dir.join(format!("figures/{name}.png"))),
            (1200, 800),
            "{name}"
        );
        let svg = std::fs::read_to_string(dir.join(format!("figures/{name}.svg"))).unwrap();
        assert!(
            svg.contains("<svg")
                && svg.contains("width=\"1200\"")
                && svg.contains("height=\"800\""),
            "{name}"
        );
        assert!(
            svg.contains("\na\n</text>") || svg.contains("train_loss"),
            "{name} has its legend labels"
        );
    }
    assert!(dir.join("data/raw.parquet").is_file() && dir.join("tables/results.parquet").is_file());
}

#[test]
fn definition_file_makes_the_named_tables_and_figures() {
    let p = Project::new();
    experiment(&p);
    p.write(
        "analysis/paper.toml",
        r#"
title = "Fixture paper"
ci = "bootstrap"
bootstrap = 500
precision = 2
better = { score = "higher", loss = "lower" }

[[table]]
name = "arch_a"
caption = "Scores of arch a"
metrics = ["score"]
group_by = ["x"]
filter = { arch = "a" }

[[figure]]
name = "bars"
kind = "bars"
x = "arch"
y = "score"
series = "x"

[[figure]]
name = "tradeoff"
kind = "scatter"
x = "loss"
y = "score"
series = ["x", "arch"]

[[figure]]
name = "line"
kind = "line"
x = "x"
y = "score"
series = "arch"
thresholds = { "r*" = 3.0 }
"#,
    );
    let out = p.run(&[
        "report",
        "runs/fixture",
        "--definition",
        "analysis/paper.toml",
        "--out",
        "paper",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let md = std::fs::read_to_string(p.path().join("paper/tables/arch_a.md")).unwrap();
    assert!(
        md.contains("bootstrap interval over seeds (500 resamples)"),
        "{md}"
    );
    assert!(md.contains("| 4 | 3 | **41.00** ±"), "{md}");
    for name in ["bars", "tradeoff", "line"] {
        assert_eq!(
            png_size(&p.path().join(format!("paper/figures/{name}.png"))),
            (1200, 800)
        );
    }
    let report = std::fs::read_to_string(p.path().join("paper/report.md")).unwrap();
    assert!(report.starts_with("# Fixture paper"));

    // A misspelt metric is an error naming the figure and suggesting the metric.
    p.write(
        "analysis/bad.toml",
        "[[table]]\nname = \"t\"\nmetrics = [\"scor\"]\n",
    );
    let out = p.run(&[
        "report",
        "runs/fixture",
        "--definition",
        "analysis/bad.toml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no metric `scor`") && text(&out).contains("did you mean `score`?"),
        "{}",
        text(&out)
    );
    p.write("analysis/bad.toml", "[[tabel]]\nname = \"t\"\n");
    let out = p.run(&[
        "report",
        "runs/fixture",
        "--definition",
        "analysis/bad.toml",
    ]);
    assert!(
        text(&out).contains("bad.toml") && text(&out).contains("unknown field `tabel`"),
        "{}",
        text(&out)
    );
}

#[test]
fn latex_tables_compile_when_a_tex_engine_is_present() {
    let p = Project::new();
    experiment(&p);
    assert!(p.run(&["report", "runs/fixture"]).status.success());
    let table =
        std::fs::read_to_string(p.path().join("runs/fixture/report/tables/results.tex")).unwrap();
    let Some(out) = compile_latex(&p, &table) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(p.path().join("doc.pdf").is_file());
}

#[test]
fn several_experiments_are_compared_side_by_side() {
    let p = Project::new();
    for (name, offset) in [("first", 0), ("second", 100)] {
        p.write(
            &format!("{name}.toml"),
            &format!(
                "[experiment]\nname = \"{name}\"\ntask = \"command\"\nseeds = [0, 1]\n\n[params]\ncommand = '''echo \"{{{{\\\"score\\\": $(({{x}} + {offset} + {{seed}}))}}}}\" > $RUNNER_RUN_DIR/metrics.json'''\n\n[grid]\nx = [1, 2]\n"
            ),
        );
        let out = p.run(&["launch", &format!("{name}.toml"), "-q"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = p.run(&["report", "runs/first", "runs/second", "--out", "compare"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows = csv(&p.path().join("compare/tables/results.csv"));
    assert_eq!(rows[0][0], "experiment");
    let second = rows
        .iter()
        .find(|r| r[0] == "second" && r[1] == "2")
        .unwrap();
    let col = rows[0].iter().position(|h| h == "score_mean").unwrap();
    assert_eq!(second[col].parse::<f64>().unwrap(), 102.5);
    let report = std::fs::read_to_string(p.path().join("compare/report.md")).unwrap();
    assert!(
        report.contains("**first**") && report.contains("**second**"),
        "{report}"
    );
}

#[test]
fn a_task_kinds_declared_metrics_shape_the_default_report() {
    let p = Project::new();
    p.write("data/tiny.json", &common::squad_fixture());
    p.write(
        "prompt.toml",
        &common::tiny_prompt_spec(
            "prompt",
            "",
            "algorithm = [\"random\"]\nratio = [0.3, 0.5, 0.7, 1.0]",
        ),
    );
    let out = p.run(&["launch", "prompt.toml", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = p.run(&["report", "runs/prompt"]);
    assert!(out.status.success(), "{}", text(&out));
    let dir = p.path().join("runs/prompt/report");
    let md = std::fs::read_to_string(dir.join("tables/results.md")).unwrap();
    let header = md.lines().next().unwrap();
    // Labels with units; an arrow only where a direction is declared.
    assert!(
        header.contains("F1 (%) ↑") && header.contains("EM (%) ↑"),
        "{header}"
    );
    assert!(
        header.contains("tokens kept (fraction) |"),
        "no direction: {header}"
    );
    // Headline metrics only: no training figures, counters or interval bounds as columns.
    for hidden in ["epochs", "f1_ci_low", "original_tokens", "peak_memory"] {
        assert!(!header.contains(hidden), "{hidden} in {header}");
    }
    // What every run shares is said once, under the table.
    assert!(md.contains("Every run: questions = 4"), "{md}");
    // One seed: each cell shows the run's own bootstrap interval, and the caption says so.
    let f1_cells: Vec<&str> = md
        .lines()
        .skip(2)
        .filter(|l| l.starts_with("| 0."))
        .collect();
    assert_eq!(f1_cells.len(), 3, "{md}");
    assert!(md.contains("the run's own 95% interval"), "{md}");
    let svg = std::fs::read_to_string(dir.join("figures/f1.svg")).unwrap();
    assert!(svg.contains("F1 (%)"), "axis and title use the label");
    let tex = std::fs::read_to_string(dir.join("tables/results.tex")).unwrap();
    assert!(tex.contains("F1 (\\%) $\\uparrow$"), "{tex}");
    if let Some(out) = common::compile_latex(&p, &tex) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
