//! Guard for refactoring: the run ids and artifact ids of every spec in `experiments/` must not
//! change, so existing run stores and trained artifacts stay valid. The list is committed in
//! `tests/fixtures/experiment_ids.tsv`; `RUNNER_BLESS=1 cargo test --test ids` rewrites it (only
//! for a deliberate change, explained in the commit).

use std::path::Path;

/// One line per run: spec file, run name, run id, and the ids of the artifacts it needs.
fn current_ids() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs: Vec<_> = std::fs::read_dir(root.join("experiments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    let mut out = String::new();
    for path in specs {
        let (_, grid) = runner::task::planning::plan(&path, &[]).unwrap();
        let task = runner::task::lookup(&grid.task).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for run in &grid.runs {
            let artifacts: Vec<String> =
                task.artifacts(&run.config).iter().map(|a| a.id()).collect();
            out.push_str(&format!(
                "{file}\t{}\t{}\t{}\n",
                run.name,
                run.id,
                artifacts.join(",")
            ));
        }
    }
    out
}

#[test]
fn run_and_artifact_ids_of_the_experiments_do_not_change() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/experiment_ids.tsv");
    let now = current_ids();
    if std::env::var_os("RUNNER_BLESS").is_some() {
        std::fs::write(&fixture, &now).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&fixture).unwrap();
    let changed: Vec<String> = now
        .lines()
        .zip(expected.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  was {b}\n  now {a}"))
        .collect();
    assert!(
        changed.is_empty() && now.lines().count() == expected.lines().count(),
        "{} of {} ids changed (and {} vs {} lines):\n{}",
        changed.len(),
        expected.lines().count(),
        now.lines().count(),
        expected.lines().count(),
        changed.join("\n")
    );
}
