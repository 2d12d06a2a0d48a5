//! The `soft-compression` task end to end on a fixture where the controls' order must hold:
//! each context says which colour four objects are (drawn at random), each question asks one
//! colour, so without the context (question only) a reader can only guess, and the teacher
//! reading the whole encoding must do better.

mod common;

use common::{text, Project};

/// 140 one-paragraph articles: "The apple is red. The sky is blue. ..." and a question per object.
fn colours() -> String {
    let objects = ["apple", "sky", "car", "house"];
    let colours = ["red", "green", "blue", "yellow"];
    let mut rng = runner::data::sampling::Rng::new(1);
    let articles: Vec<String> = (0..140)
        .map(|i| {
            let picks: Vec<&str> = objects.iter().map(|_| colours[rng.below(4)]).collect();
            let context: Vec<String> =
                objects.iter().zip(&picks).map(|(o, c)| format!("The {o} is {c}.")).collect();
            let context = context.join(" ");
            let qas: Vec<String> = objects
                .iter()
                .zip(&picks)
                .enumerate()
                .map(|(k, (o, c))| {
                    let start = context.find(&format!("The {o} is ")).unwrap() + 8 + o.len();
                    format!(
                        r#"{{"id": "q{i}_{k}", "question": "What color is the {o}?", "answers": [{{"text": "{c}", "answer_start": {start}}}]}}"#
                    )
                })
                .collect();
            format!(
                r#"{{"title": "T{i}", "paragraphs": [{{"context": "{context}", "qas": [{}]}}]}}"#,
                qas.join(",")
            )
        })
        .collect();
    format!(r#"{{"version": "1.1", "data": [{}]}}"#, articles.join(","))
}

const SPEC: &str = r#"
[experiment]
name = "colours"
task = "soft-compression"
abbrev = { target_length = "M" }

[params]
dataset = "data/colours.json"
train_articles = 120
eval_articles = 20
window_tokens = 32
vocab_size = 150
teacher_d_model = 32
teacher_heads = 2
teacher_encoder_layers = 1
teacher_decoder_layers = 1
teacher_epochs = 12
teacher_learning_rate = 0.005
teacher_spans = 1
epochs = 3
learning_rate = 0.005
max_answer_tokens = 4
bootstrap = 50

[grid]
target_length = [4]
architecture = ["cross_attention", "conv", "pooling", "gist", "teacher", "question_only",
                "first_m", "mean_pool", "llmlingua2"]
"#;

#[test]
fn every_method_runs_and_the_controls_keep_their_order() {
    let p = Project::new();
    p.write("data/colours.json", &colours());
    p.write("colours.toml", SPEC);
    let out = p.run(&["launch", "colours.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("colours");
    assert_eq!(results.len(), 9);
    let f1 = |name: &str| {
        let r = results
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name}"));
        r["metrics"]["f1"].as_f64().unwrap()
    };
    let (teacher, floor) = (f1("teacher_s0"), f1("question-only_s0"));
    assert!(
        teacher > floor + 10.0,
        "teacher {teacher} vs question only {floor}"
    );
    for r in &results {
        let m = &r["metrics"];
        assert_eq!(m["questions"], 80, "{r}");
        assert!(
            (m["teacher_f1"].as_f64().unwrap() - teacher).abs() < 1e-9,
            "one teacher: {r}"
        );
        assert!(r["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"].as_str().unwrap().starts_with("soft-teacher-")));
        let dir = p
            .path()
            .join("runs/colours/by-name")
            .join(r["name"].as_str().unwrap());
        assert!(dir.join("sample_predictions.json").is_file());
    }
    let gist = results.iter().find(|r| r["name"] == "gist_s0").unwrap();
    assert!(gist["metrics"]["factor"].as_f64().unwrap() > 1.0);
    assert!(gist["metrics"]["compressor_parameters"].as_u64().unwrap() > 0);
    let curves =
        std::fs::read_to_string(p.path().join("runs/colours/by-name/gist_s0/curves.jsonl"))
            .unwrap();
    assert_eq!(curves.lines().count(), 3);
    for line in curves.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for term in ["teacher_forcing", "generation", "contrastive"] {
            assert!(v[term].as_f64().unwrap() > 0.0, "{term} in {line}");
        }
    }
    report_compares_the_teacher_with_the_floor(&p);
}

/// A definition's list filter keeps any of its values, and a `[[comparison]]` finds the teacher
/// significantly above the question-only floor on the same questions (Holm over its tests).
fn report_compares_the_teacher_with_the_floor(p: &Project) {
    p.write(
        "paper.toml",
        r#"
[[table]]
name = "controls"
metrics = ["f1"]
group_by = ["architecture"]
filter = { architecture = ["teacher", "question_only"] }

[[comparison]]
name = "paired"
candidates = { architecture = ["teacher", "gist"] }
baselines = { architecture = "question_only" }
pair_on = ["target_length"]
"#,
    );
    let out = p.run(&["report", "runs/colours", "--definition", "paper.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let tables = p.path().join("runs/colours/report/tables");
    let controls = std::fs::read_to_string(tables.join("controls.csv")).unwrap();
    assert_eq!(controls.lines().count(), 3, "{controls}");
    let paired = std::fs::read_to_string(tables.join("paired.csv")).unwrap();
    let rows: Vec<Vec<&str>> = paired.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "two candidates, one baseline: {paired}");
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let teacher = rows
        .iter()
        .find(|r| r[col("candidate")].contains("architecture=teacher"))
        .unwrap_or_else(|| panic!("{paired}"));
    let num = |name: &str| teacher[col(name)].parse::<f64>().unwrap();
    assert_eq!(num("questions"), 80.0);
    assert!(
        num("mean_difference") > 10.0 && num("ci_low") > 0.0,
        "{paired}"
    );
    assert!(
        num("p_holm") < 0.05 && num("p_holm") >= num("p"),
        "{paired}"
    );
    let md = std::fs::read_to_string(p.path().join("runs/colours/report/report.md")).unwrap();
    assert!(md.contains("sign-flip permutation"), "{md}");
}
