//! Damaged-file tests for the run store: every file runner reads back from an experiment
//! directory (plan, experiment record, spec copy, results, each run's status, config, metrics,
//! exit record and artifact list, the lock) is emptied, cut in half, overwritten with bytes that
//! are not UTF-8, given JSON of the wrong shape, or removed. Then `status`, `resume` and `report`
//! run on it. None may panic; each ends in exit 0 or in a clear error (exit 2 or 3) naming the
//! damaged file; after a successful resume results.jsonl holds each run exactly once and a run
//! whose finished output was intact is not run again. Damaged artifacts (weights, tokenizer,
//! training record) fail the runs that need them with the file named and the fix, and are built
//! again once removed.

mod common;

use std::path::Path;

use common::{squad_fixture, text, tiny_prompt_spec, Project};

/// Ways a file gets damaged.
const DAMAGES: &[(&str, Option<&[u8]>)] = &[
    ("empty", Some(b"")),
    ("half", None),
    (
        "not utf-8",
        Some(b"\xff\xfe\x00{\"id\": \x80\x81 garbage [["),
    ),
    ("wrong shape", Some(b"{\"unexpected\": [1, 2, 3]}\n")),
    ("array", Some(b"[1, 2, 3]\n")),
    ("removed", Some(b"<removed>")),
];

/// Each run appends its `a` to the file `$CASE_LOG` names, and writes its metrics.
const SPEC: &str = r#"[experiment]
name = "dmg"
task = "command"

[params]
command = ["sh", "-c", "echo {a} >> \"$CASE_LOG\"; echo '{{\"score\": {a}}}' > \"$RUNNER_RUN_DIR/metrics.json\""]

[grid]
a = [1, 2, 3]

[resources]
devices = "cpu"
"#;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn damage(path: &Path, how: Option<&[u8]>) {
    match how {
        Some(b"<removed>") => std::fs::remove_file(path).unwrap(),
        Some(bytes) => std::fs::write(path, bytes).unwrap(),
        None => {
            let bytes = std::fs::read(path).unwrap();
            std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
        }
    }
}

/// Starts of each run recorded in the log, by value of `a`.
fn starts(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn damaged_store_files_give_clear_errors_and_never_lose_or_repeat_runs() {
    let template = Project::new();
    template.write("exp.toml", SPEC);
    let out = template
        .runner()
        .args(["launch", "exp.toml"])
        .env("CASE_LOG", template.path().join("template.log"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let exp = template.path().join("runs/dmg");
    let run_ids: Vec<String> = template
        .results("dmg")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let first = format!("runs/{}", run_ids[0]);
    let files: Vec<String> = [
        "plan.json",
        "experiment.json",
        "spec.toml",
        "results.jsonl",
        ".lock",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(
        [
            "status.json",
            "config.json",
            "metrics.json",
            "exit.json",
            "artifacts.json",
        ]
        .iter()
        .map(|f| format!("{first}/{f}")),
    )
    .collect();

    let mut problems = Vec::new();
    let (mut cases, mut errors, mut repeated) = (0, 0, 0);
    for file in &files {
        for (how, bytes) in DAMAGES {
            let p = Project::new();
            let dir = p.path().join("runs/dmg");
            copy_tree(&exp, &dir);
            let target = dir.join(file);
            if !target.exists() {
                if *bytes == Some(b"<removed>") {
                    continue;
                }
                std::fs::write(&target, b"").unwrap();
            }
            damage(&target, *bytes);
            cases += 1;
            let name = Path::new(file).file_name().unwrap().to_str().unwrap();
            let log = p.path().join("case.log");
            for args in [
                vec!["status", "runs/dmg"],
                vec!["resume", "runs/dmg"],
                vec!["status", "runs/dmg"],
                vec!["report", "runs/dmg"],
            ] {
                let out = p
                    .runner()
                    .args(&args)
                    .env("CASE_LOG", &log)
                    .output()
                    .unwrap();
                let all = text(&out);
                let code = out.status.code();
                let case = format!("{file} ({how}), runner {}", args[0]);
                if all.contains("panicked") || !matches!(code, Some(0 | 2 | 3)) {
                    problems.push(format!("{case}: exit {code:?}\n{all}"));
                } else if code != Some(0) {
                    errors += 1;
                    if !all.contains(name) {
                        problems.push(format!("{case}: the error does not name {name}\n{all}"));
                    }
                }
                if args[0] == "resume" && code == Some(0) {
                    let results = p.results("dmg");
                    let mut ids: Vec<&str> =
                        results.iter().map(|r| r["id"].as_str().unwrap()).collect();
                    ids.sort();
                    ids.dedup();
                    if results.len() != run_ids.len() || ids.len() != run_ids.len() {
                        problems.push(format!(
                            "{case}: results.jsonl holds {} lines of {} runs after resume",
                            results.len(),
                            ids.len()
                        ));
                    }
                    let again = starts(&log);
                    repeated += again.len();
                    // Only a run whose own metrics are damaged may run again.
                    if again.len() > usize::from(name == "metrics.json") {
                        problems.push(format!("{case}: runs repeated: {again:?}\n{all}"));
                    }
                }
            }
        }
    }
    eprintln!(
        "{cases} damaged files, {errors} clear errors, {repeated} runs repeated, {} problems",
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));

    // Damaged metrics and no results line to fall back on: that run (only) runs again.
    let p = Project::new();
    let dir = p.path().join("runs/dmg");
    copy_tree(&exp, &dir);
    std::fs::remove_file(dir.join("results.jsonl")).unwrap();
    damage(&dir.join(&first).join("metrics.json"), None);
    let log = p.path().join("case.log");
    let out = p
        .runner()
        .args(["resume", "runs/dmg"])
        .env("CASE_LOG", &log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(p.results("dmg").len(), run_ids.len(), "{}", text(&out));
    assert_eq!(starts(&log).len(), 1, "{}", text(&out));
}

/// A tokenizer-task spec (one point, or two with `more`).
fn tokenizer_spec(more: bool) -> String {
    let seeds = if more { "[0, 1]" } else { "[0]" };
    format!(
        "[experiment]\nname = \"art\"\ntask = \"tokenizer\"\nseeds = {seeds}\n\n[params]\ndataset = \"data/tiny.json\"\ntrain_articles = 3\neval_articles = 1\nvocab_size = 60\nmin_frequency = 1\nmodel = \"bpe\"\n"
    )
}

/// A prompt-compression spec with a trained token classifier (one point, or two with `more`).
fn classifier_spec(more: bool) -> String {
    let ratios = if more { "[0.5, 0.25]" } else { "[0.5]" };
    tiny_prompt_spec(
        "art",
        "classifier_epochs = 1",
        &format!("algorithm = [\"llmlingua2\"]\nratio = {ratios}"),
    )
}

#[test]
fn damaged_artifacts_fail_their_runs_with_the_fix_and_are_rebuilt_once_removed() {
    type Spec = fn(bool) -> String;
    let cases: [(Spec, &str, &str); 3] = [
        (classifier_spec, "token-classifier-", "model.bpk"),
        (classifier_spec, "token-classifier-", "history.json"),
        (tokenizer_spec, "tokenizer-", "tokenizer.json"),
    ];
    for (spec, kind, file) in cases {
        let p = Project::new();
        p.write("data/tiny.json", &squad_fixture());
        p.write("art.toml", &spec(false));
        let out = p.run(&["launch", "art.toml"]);
        assert!(out.status.success(), "{}", text(&out));
        let id = common::artifact_id(&p.results("art")[0], kind).to_string();
        let dir = p.path().join("runs/artifacts").join(&id);
        let good = std::fs::read(dir.join(file)).unwrap();
        std::fs::write(dir.join(file), &good[..good.len() / 2]).unwrap();
        // A new grid point needs the damaged artifact: it fails, naming the file and the fix.
        p.write("art.toml", &spec(true));
        let out = p.run(&["launch", "art.toml"]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{file}: {all}");
        assert!(all.contains(file), "{file}: {all}");
        assert!(all.contains("remove that directory"), "{file}: {all}");
        // Removed, it is built again and the run completes; the finished run is not repeated.
        std::fs::remove_dir_all(&dir).unwrap();
        let out = p.run(&["resume", "runs/art"]);
        let all = text(&out);
        assert!(out.status.success(), "{file}: {all}");
        assert!(all.contains("1 completed, 1 already done"), "{file}: {all}");
        assert!(dir.join(file).is_file(), "{file}: rebuilt");
    }
}

#[test]
fn verify_fails_when_an_artifacts_record_is_damaged_or_gone() {
    let p = Project::new();
    p.write("data/tiny.json", &squad_fixture());
    p.write("art.toml", &tokenizer_spec(false));
    let out = p.run(&["launch", "art.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let id = common::artifact_id(&p.results("art")[0], "tokenizer-").to_string();
    let record = p
        .path()
        .join("runs/artifacts")
        .join(&id)
        .join("artifact.json");
    let verify = |p: &Project| p.run(&["artifacts", "--verify"]);
    assert_eq!(verify(&p).status.code(), Some(0), "{}", text(&verify(&p)));
    let good = std::fs::read(&record).unwrap();
    std::fs::write(&record, &good[..good.len() / 2]).unwrap();
    let damaged = verify(&p);
    assert_eq!(damaged.status.code(), Some(1), "{}", text(&damaged));
    assert!(
        text(&damaged).contains(&id) && text(&damaged).contains("damaged"),
        "{}",
        text(&damaged)
    );
    std::fs::remove_file(&record).unwrap();
    let gone = verify(&p);
    assert_eq!(gone.status.code(), Some(1), "{}", text(&gone));
    assert!(text(&gone).contains(&id), "{}", text(&gone));
}
