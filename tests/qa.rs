//! The QA foundation: the `qa-reader` task with the reference readers on a small SQuAD-format
//! fixture, sample_predictions.json records, and per-question-type scores.

mod common;

use common::{compile_latex, squad_fixture as fixture, text, tiny_prompt_spec, Project};

#[test]
fn reference_readers_are_scored_per_question_and_type() {
    let p = Project::new();
    p.write("data/tiny.json", &fixture());
    p.write(
        "reader.toml",
        r#"
[experiment]
name = "tiny_reader"
task = "qa-reader"

[params]
dataset = "data/tiny.json"
train_articles = 2
eval_articles = 2
bootstrap = 200

[grid]
reader = ["sliding_window", "random_span"]
"#,
    );
    let out = p.run(&["launch", "reader.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("tiny_reader");
    let sw = results
        .iter()
        .find(|r| r["config"]["reader"] == "sliding_window")
        .unwrap();
    let m = &sw["metrics"];
    assert_eq!(
        m["questions"], 4,
        "two held-out articles with two questions each"
    );
    assert_eq!(m["split"]["eval_articles"].as_array().unwrap().len(), 2);
    assert!(
        m["by_type"]["which"]["f1"].as_f64().unwrap() > 99.0,
        "the window finds `Carolina Panthers`: {m}"
    );
    let run_dir = p.path().join("runs/tiny_reader/by-name/sliding-window_s0");
    let records: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("sample_predictions.json")).unwrap(),
    )
    .unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 4);
    for r in records {
        for key in [
            "id",
            "question_type",
            "prediction",
            "gold_answers",
            "f1",
            "em",
        ] {
            assert!(r.get(key).is_some(), "missing {key}: {r}");
        }
    }
    let which = records
        .iter()
        .find(|r| r["question_type"] == "which")
        .unwrap();
    assert_eq!(which["prediction"], "Carolina Panthers");
    assert_eq!(which["em"], 100.0);
    // The mean F1 is the mean of the records.
    let mean = records
        .iter()
        .map(|r| r["f1"].as_f64().unwrap())
        .sum::<f64>()
        / 4.0;
    assert!((mean - m["f1"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn unknown_reader_and_bad_split_are_reported() {
    let p = Project::new();
    p.write("data/tiny.json", &fixture());
    p.write("bad.toml", "[experiment]\nname = \"b\"\ntask = \"qa-reader\"\n\n[params]\nreader = \"sliding-window\"\n");
    let out = p.run(&["launch", "bad.toml", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("unknown reader `sliding-window`")
            && text(&out).contains("did you mean `sliding_window`?"),
        "{}",
        text(&out)
    );
    p.write("split.toml", "[experiment]\nname = \"s\"\ntask = \"qa-reader\"\n\n[params]\nreader = \"random_span\"\ndataset = \"data/tiny.json\"\ntrain_articles = 3\neval_articles = 3\n");
    let out = p.run(&["launch", "split.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("asks for 3 + 3 articles but the file has 4"),
        "{}",
        text(&out)
    );
}

#[test]
fn tokenizers_are_shared_artifacts_built_once() {
    let p = Project::new();
    p.write("data/tiny.json", &fixture());
    let spec = |name: &str| {
        format!(
            "[experiment]\nname = \"{name}\"\ntask = \"tokenizer\"\nseeds = [0, 1]\n\n[params]\ndataset = \"data/tiny.json\"\ntrain_articles = 3\neval_articles = 1\nvocab_size = 60\nmin_frequency = 1\n\n[grid]\nmodel = [\"bpe\", \"wordpiece\"]\n"
        )
    };
    p.write("a.toml", &spec("tok_a"));
    p.write("b.toml", &spec("tok_b"));
    let out = p.run(&["launch", "a.toml", "-j", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Building 2 shared artifacts first"),
        "{}",
        text(&out)
    );
    let a = p.results("tok_a");
    // The two tokenizers were built as units of their own, before the runs: every run reuses.
    let builds = std::fs::read_dir(p.path().join("runs/tok_a/artifact-builds/runs"))
        .unwrap()
        .count();
    assert_eq!(builds, 2);
    for model in ["bpe", "wordpiece"] {
        let runs: Vec<&serde_json::Value> =
            a.iter().filter(|r| r["config"]["model"] == model).collect();
        assert_eq!(runs.len(), 2, "two seeds");
        assert!(
            runs.iter().all(|r| r["metrics"]["reused"] == true),
            "{model}: {runs:?}"
        );
        assert_eq!(runs[0]["artifacts"], runs[1]["artifacts"]);
        assert!(runs[0]["artifacts"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("tokenizer-"));
        assert!(runs[0]["metrics"]["tokens_per_word"].as_f64().unwrap() >= 1.0);
    }
    // Another experiment needs no build and reuses them all.
    let out = p.run(&["launch", "b.toml"]);
    assert!(
        out.status.success() && !text(&out).contains("shared artifacts"),
        "{}",
        text(&out)
    );
    assert!(p
        .results("tok_b")
        .iter()
        .all(|r| r["metrics"]["reused"] == true));
    let store = std::fs::read_dir(p.path().join("runs/artifacts"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(store, 2);
    let run_dir = p.path().join("runs/tok_b/by-name/bpe_s0");
    let ids: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("artifacts.json")).unwrap())
            .unwrap();
    assert!(ids[0]["id"].as_str().unwrap().starts_with("tokenizer-"));
    assert_eq!(ids[0]["sha256"].as_str().map(str::len), Some(64), "{ids}");
    let tokenizer = p
        .path()
        .join("runs/artifacts")
        .join(ids[0]["id"].as_str().unwrap())
        .join("tokenizer.json");
    assert!(
        tokenizers::Tokenizer::from_file(&tokenizer).is_ok(),
        "a standard tokenizer.json"
    );
}

#[test]
fn the_neural_reader_is_a_shared_artifact_trained_before_its_runs() {
    let p = Project::new();
    p.write("data/tiny.json", &fixture());
    let spec = |name: &str| {
        format!(
            "[experiment]\nname = \"{name}\"\ntask = \"qa-reader\"\n\n[params]\nreader = \"neural\"\ndataset = \"data/tiny.json\"\ntrain_articles = 3\neval_articles = 1\nvocab_size = 80\nd_model = 16\nconv_layers = 1\nepochs = 2\nbatch_size = 2\nbootstrap = 100\n\n[grid]\neval_questions = [1, 2]\n"
        )
    };
    p.write("a.toml", &spec("neural_a"));
    p.write("b.toml", &spec("neural_b"));
    let out = p.run(&["launch", "a.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Building 2 shared artifacts first"),
        "tokenizer and reader: {}",
        text(&out)
    );
    let results = p.results("neural_a");
    assert_eq!(results.len(), 2);
    for r in &results {
        let m = &r["metrics"];
        let ids: Vec<&str> = r["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert!(
            ids[0].starts_with("tokenizer-") && ids[1].starts_with("reader-"),
            "{ids:?}"
        );
        assert_eq!(m["epochs"], 2);
        assert!(m["train_tokens_per_s"].as_f64().unwrap() > 0.0);
        assert!(m["f1"].as_f64().unwrap() >= 0.0);
    }
    assert_eq!(
        results[0]["artifacts"], results[1]["artifacts"],
        "one reader for both runs"
    );
    let run_dir = p.path().join("runs/neural_a/by-name/eq1_s0");
    let curve = std::fs::read_to_string(run_dir.join("curves.jsonl")).unwrap();
    assert_eq!(curve.lines().count(), 2, "one line per epoch");
    // A second experiment with the same reader trains nothing.
    let out = p.run(&["launch", "b.toml"]);
    assert!(
        out.status.success() && !text(&out).contains("shared artifacts"),
        "{}",
        text(&out)
    );
}

#[test]
fn prompt_compression_keeps_a_fraction_and_scores_the_reader() {
    let p = Project::new();
    p.write("data/tiny.json", &fixture());
    p.write(
        "prompt.toml",
        r#"
[experiment]
name = "tiny_prompt"
task = "prompt-compression"
seeds = [0, 1]

[params]
dataset = "data/tiny.json"
train_articles = 2
eval_articles = 2
bootstrap = 200
reader = "sliding_window"
algorithm = "random"

[grid]
ratio = [0.3, 1.0]
"#,
    );
    let out = p.run(&["launch", "prompt.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("tiny_prompt");
    assert_eq!(results.len(), 4);
    for r in &results {
        let m = &r["metrics"];
        let ratio = r["config"]["ratio"].as_f64().unwrap();
        assert_eq!(m["requested_ratio"].as_f64(), Some(ratio));
        assert_eq!(m["questions"], 4);
        assert_eq!(m["contexts_compressed"], 2);
        let kept = m["kept_fraction"].as_f64().unwrap();
        let factor = m["compression_factor"].as_f64().unwrap();
        // 16 tokens per context: 0.3 keeps 5 of them.
        if ratio == 1.0 {
            assert_eq!((kept, factor), (1.0, 1.0));
            assert!(m["f1"].as_f64().unwrap() > 50.0, "{m}");
        } else {
            assert!((kept - 5.0 / 16.0).abs() < 1e-9, "{m}");
            assert!((factor - 3.2).abs() < 1e-9, "{m}");
        }
        assert!(m["compress_seconds_per_context"].as_f64().unwrap() >= 0.0);
    }
    let bad = p.write(
        "bad.toml",
        "[experiment]\nname = \"b\"\ntask = \"prompt-compression\"\n\n[params]\ndataset = \"data/tiny.json\"\nreader = \"sliding_window\"\nalgorithm = \"random\"\nratio = 1.5\n",
    );
    let out = p.run(&["launch", bad.to_str().unwrap(), "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("use a value in (0, 1]"),
        "{}",
        text(&out)
    );
}

#[test]
fn lm_scored_algorithms_train_their_language_model_on_the_training_articles() {
    let p = Project::new();
    p.write("data/tiny.json", &fixture());
    p.write(
        "selective.toml",
        r#"
[experiment]
name = "selective"
task = "prompt-compression"

[params]
dataset = "data/tiny.json"
train_articles = 2
eval_articles = 2
bootstrap = 100
reader = "sliding_window"
ratio = 0.5
question_aware = true
lm_hidden = 16
lm_steps = 4
lm_batch_size = 2
lm_seq_len = 16

[grid]
algorithm = ["selective_context", "llmlingua"]
"#,
    );
    let out = p.run(&["launch", "selective.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("selective");
    assert_eq!(results.len(), 2);
    let lingua = results
        .iter()
        .find(|r| r["config"]["algorithm"] == "llmlingua")
        .unwrap();
    let lm = &lingua["metrics"];
    assert_eq!(lm["question_aware"], true);
    assert_eq!(
        lm["contexts_compressed"], 4,
        "one compression per question: {lm}"
    );
    assert_eq!(lm["kept_tokens"], 32, "8 of 16 tokens, four times: {lm}");
    let selective = results
        .iter()
        .find(|r| r["config"]["algorithm"] == "selective_context")
        .unwrap();
    let m = &selective["metrics"];
    assert_eq!(m["question_aware"], false);
    assert_eq!(m["kept_tokens"], 16, "8 of each context's 16 tokens: {m}");
    let scorer = common::artifact_id(selective, "lm-");
    let artifact = p.path().join("runs/artifacts").join(scorer);
    let info = std::fs::read_to_string(artifact.join("artifact.json")).unwrap();
    assert!(info.contains("split-train:data/tiny.json:0:2:2"), "{info}");
}

#[test]
fn llmlingua2_trains_its_classifier_and_a_ratio_sweep_is_analysed_for_thresholds() {
    let p = Project::new();
    p.write("data/tiny.json", &fixture());
    p.write(
        "sweep.toml",
        &tiny_prompt_spec(
            "sweep",
            "classifier_epochs = 2",
            "algorithm = [\"llmlingua2\", \"random\"]\nratio = [0.1, 0.15, 0.2, 0.3, 0.4, 0.55, 0.75, 1.0]",
        ),
    );
    let out = p.run(&["launch", "sweep.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("sweep");
    assert_eq!(results.len(), 16);
    let lingua = results
        .iter()
        .find(|r| r["config"]["algorithm"] == "llmlingua2" && r["config"]["ratio"] == 0.4)
        .unwrap();
    let m = &lingua["metrics"];
    let id = common::artifact_id(lingua, "token-classifier-");
    let history: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            p.path()
                .join("runs/artifacts")
                .join(id)
                .join("history.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        history.as_array().unwrap().len(),
        2,
        "two epochs: {history}"
    );
    assert!(
        m["classifier_heldout_recall_at_half"].as_f64().is_some(),
        "{m}"
    );

    let analyze = || {
        p.run(&[
            "analyze",
            "thresholds",
            "runs/sweep",
            "--bootstrap",
            "100",
            "--permutations",
            "200",
        ])
    };
    let out = analyze();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Thresholds are homogeneous across algorithms"),
        "{}",
        text(&out)
    );
    let dir = p.path().join("runs/sweep/analysis/thresholds");
    for f in [
        "report.json",
        "report.md",
        "thresholds.tex",
        "thresholds.png",
        "thresholds.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    // The LaTeX table compiles (when a TeX engine is installed; .ci/run installs one).
    let table = std::fs::read_to_string(dir.join("thresholds.tex")).unwrap();
    assert!(table.contains("llmlingua2 & 4 &"), "{table}");
    if let Some(out) = compile_latex(&p, &table) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let conditions = report["conditions"].as_array().unwrap();
    assert_eq!(conditions.len(), 2);
    for c in conditions {
        let overall = &c["overall"];
        assert_eq!(overall["questions"], 4);
        assert_eq!(overall["points"].as_array().unwrap().len(), 8);
        assert!(overall["chosen"].is_string(), "{overall}");
        assert!(
            overall["log_logistic"].is_object(),
            "8 ratios fit a curve: {overall}"
        );
    }
    // Seven compressed ratios, each a paired test of llmlingua2 against random.
    assert_eq!(report["paired"].as_array().unwrap().len(), 7);
    assert!(report["family"].as_array().unwrap().len() >= 7);
    // The resampling is seeded: the same runs give the same report, byte for byte.
    let first = std::fs::read(dir.join("report.json")).unwrap();
    let again = analyze();
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        first == std::fs::read(dir.join("report.json")).unwrap(),
        "report.json changed"
    );

    // Bad input: a metric that is not a score, an experiment of another task.
    let out = p.run(&["analyze", "thresholds", "runs/sweep", "--metric", "bleu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--metric bleu"), "{}", text(&out));
    let out = p.run(&["analyze", "thresholds", "runs/nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("not an experiment directory"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_qa_run_with_no_question_to_evaluate_fails_naming_the_file_and_why() {
    let p = Project::new();
    // Every gold answer is empty text: nothing can be scored.
    let fixture = common::squad_fixture()
        .replace("\"text\": \"Carolina Panthers\"", "\"text\": \"\"")
        .replace("\"text\": \"Denver\"", "\"text\": \" \"")
        .replace("\"text\": \"Boston\"", "\"text\": \"\"")
        .replace("\"text\": \"Seattle\"", "\"text\": \"\"")
        .replace("\"text\": \"Miami\"", "\"text\": \"\"");
    p.write("data/empty.json", &fixture);
    p.write(
        "e.toml",
        "[experiment]\nname = \"e\"\ntask = \"qa-reader\"\n\n[params]\nreader = \"sliding_window\"\ndataset = \"data/empty.json\"\ntrain_articles = 2\neval_articles = 2\n",
    );
    let out = p.run(&["launch", "e.toml"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("empty.json") && all.contains("no question to evaluate"),
        "{all}"
    );
    assert!(all.contains("answers are all empty text"), "{all}");
    assert!(
        p.results("e").is_empty(),
        "no run completed with nothing to evaluate"
    );
}
