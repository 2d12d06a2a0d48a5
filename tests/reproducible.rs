//! Reproducibility through the real binary: every artifact kind (tokenizer, reader, language
//! model, token classifier) built twice from empty stores has the same content, the runs give
//! the same metrics bit for bit, `runner reproduce` says so (and says when a recorded number
//! does not repeat), and `runner report` warns when runs used different contents under one id.

mod common;

use common::{squad_fixture, text, tiny_prompt_spec, Project};

/// A prompt-compression study whose runs need all four artifact kinds: the neural reader (and
/// its tokenizer), llmlingua's language model and llmlingua2's token classifier.
fn spec() -> String {
    tiny_prompt_spec(
        "rep",
        "reader = \"neural\"\nvocab_size = 80\nd_model = 16\nconv_layers = 1\nepochs = 2\n\
         batch_size = 2\nlm_hidden = 16\nlm_steps = 4\nlm_batch_size = 2\nlm_seq_len = 16\n\
         classifier_epochs = 1",
        "algorithm = [\"llmlingua\", \"llmlingua2\"]\nratio = [0.5]",
    )
    .replace("reader = \"sliding_window\"\n", "")
}

fn artifact_contents(store: &std::path::Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(store)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("artifact.json").is_file())
        .map(|e| {
            let info: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(e.path().join("artifact.json")).unwrap(),
            )
            .unwrap();
            let sha = info["content"]["sha256"].as_str().unwrap().to_string();
            (e.file_name().to_string_lossy().into_owned(), sha)
        })
        .collect();
    out.sort();
    out
}

/// Replaces the first line of results.jsonl by `line`.
fn replace_first_line(path: &std::path::Path, line: &serde_json::Value) {
    let lines = std::fs::read_to_string(path).unwrap();
    let mut text = serde_json::to_string(line).unwrap();
    text.push('\n');
    for l in lines.lines().skip(1) {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn artifacts_and_runs_repeat_exactly_and_reproduce_says_so() {
    let p = Project::new();
    p.write("data/tiny.json", &squad_fixture());
    p.write("rep.toml", &spec());
    let out = p.run(&["launch", "rep.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("rep");
    assert_eq!(results.len(), 2);
    for r in &results {
        for a in r["artifacts"].as_array().unwrap() {
            assert_eq!(a["sha256"].as_str().map(str::len), Some(64), "{r}");
        }
    }
    let built = artifact_contents(&p.path().join("runs/artifacts"));
    let kinds: Vec<&str> = built
        .iter()
        .map(|(id, _)| id.rsplit_once('-').unwrap().0)
        .collect();
    for kind in ["tokenizer", "reader", "lm", "token-classifier"] {
        assert!(kinds.contains(&kind), "{kind} in {built:?}");
    }

    // Everything again from an empty store: the same contents and the same metrics.
    let out = p.run(&["reproduce", "runs/rep", "--into", "scratch"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Reproduced: 2 of 2 runs reproduced"),
        "{}",
        text(&out)
    );
    assert_eq!(
        artifact_contents(&p.path().join("scratch/artifacts")),
        built
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("scratch/reproduce.json")).unwrap(),
    )
    .unwrap();
    for run in json["runs"].as_array().unwrap() {
        for m in run["metrics"].as_array().unwrap() {
            let key = m["key"].as_str().unwrap();
            assert!(
                m["agreement"] == "same" || m["agreement"] == "varies",
                "{key}: {m}"
            );
        }
    }
    // The same binary file, byte for byte, for the tokenizer and the weights.
    for (id, _) in &built {
        for file in ["tokenizer.json", "model.bpk"] {
            let a = p.path().join("runs/artifacts").join(id).join(file);
            if a.is_file() {
                let b = p.path().join("scratch/artifacts").join(id).join(file);
                assert_eq!(
                    std::fs::read(&a).unwrap(),
                    std::fs::read(&b).unwrap(),
                    "{id}/{file}"
                );
            }
        }
    }

    // A recorded number that does not repeat is named, and the exit code says so.
    let results_path = p.path().join("runs/rep/results.jsonl");
    let lines = std::fs::read_to_string(&results_path).unwrap();
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    let name = first["name"].as_str().unwrap().to_string();
    let f1 = first["metrics"]["f1"].as_f64().unwrap();
    let mut changed = first.clone();
    changed["metrics"]["f1"] = serde_json::json!(f1 + 1.0);
    replace_first_line(&results_path, &changed);
    let out = p.run(&[
        "reproduce",
        "runs/rep",
        &name,
        "--reuse-artifacts",
        "--into",
        "again",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("NOT reproduced: 0 of 1 runs"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("      f1: "), "{}", text(&out));

    // Runs that used one id with two contents: the report warns.
    let mut other = changed.clone();
    other["metrics"]["f1"] = serde_json::json!(f1);
    other["artifacts"][0]["sha256"] = serde_json::json!("0".repeat(64));
    replace_first_line(&results_path, &other);
    let out = p.run(&["report", "runs/rep"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("different contents"), "{}", text(&out));
    let md = std::fs::read_to_string(p.path().join("runs/rep/report/report.md")).unwrap();
    assert!(md.contains("**Warning:** artifact"), "{md}");

    // A file changed after the build (a flipped byte in weights that still load) is found.
    let out = p.run(&["artifacts", "--verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        text(&out).matches("verified: every file as built").count(),
        built.len()
    );
    let (reader, _) = built
        .iter()
        .find(|(id, _)| id.starts_with("reader-"))
        .unwrap();
    let weights = p
        .path()
        .join("runs/artifacts")
        .join(reader)
        .join("model.bpk");
    let mut bytes = std::fs::read(&weights).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    std::fs::write(&weights, bytes).unwrap();
    let out = p.run(&["artifacts", "--verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("CHANGED since it was built: model.bpk"),
        "{}",
        text(&out)
    );
}
