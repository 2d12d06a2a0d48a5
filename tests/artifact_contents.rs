//! Guard for numerics: tiny artifacts of every trained kind (tokenizer, reader, byte-level LM,
//! token classifier, soft-compression teacher), built from a fixture, must have the content
//! hashes pinned in `tests/fixtures/artifact_contents.tsv`, as `tests/ids.rs` pins ids. A change
//! that alters what an artifact id builds fails here until its code version is bumped (a new id)
//! or the pins are re-blessed (`RUNNER_BLESS=1 cargo test --test artifact_contents`), said in the
//! commit. Pins are kept per instruction-set level (burn's CPU kernels choose their instructions
//! at run time): on a level with no pins the test says so and passes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{squad_fixture, text, Project};

const PROMPT: &str = r#"
[experiment]
name = "pins"
task = "prompt-compression"

[params]
dataset = "data/tiny.json"
train_articles = 2
eval_articles = 2
reader = "neural"
vocab_size = 80
d_model = 16
conv_layers = 1
epochs = 1
batch_size = 2
bootstrap = 20
lm_hidden = 16
lm_steps = 10
lm_batch_size = 2
lm_seq_len = 32
classifier_d_model = 8
classifier_layers = 1
classifier_epochs = 1

[grid]
algorithm = ["llmlingua2", "selective_context"]
ratio = [0.5]
"#;

const SOFT: &str = r#"
[experiment]
name = "pins_soft"
task = "soft-compression"

[params]
dataset = "data/tiny.json"
train_articles = 2
eval_articles = 2
window_tokens = 32
vocab_size = 80
teacher_d_model = 16
teacher_heads = 2
teacher_encoder_layers = 1
teacher_decoder_layers = 1
teacher_epochs = 1
teacher_spans = 1
epochs = 1
max_answer_tokens = 3
bootstrap = 20

[grid]
architecture = ["first_m"]
target_length = [4]
"#;

/// Every artifact of the store with its content hash.
fn contents(p: &Project) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(p.path().join("runs/artifacts")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("artifact.json")) else {
            continue;
        };
        let info: serde_json::Value = serde_json::from_str(&text).unwrap();
        let sha = info["content"]["sha256"].as_str().unwrap().to_string();
        out.insert(dir.file_name().unwrap().to_string_lossy().into_owned(), sha);
    }
    out
}

#[test]
fn tiny_artifacts_have_their_pinned_contents() {
    let p = Project::new();
    p.write("data/tiny.json", &squad_fixture());
    p.write("pins.toml", PROMPT);
    p.write("soft.toml", SOFT);
    for spec in ["pins.toml", "soft.toml"] {
        let out = p.run(&["launch", spec, "-q"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let level = runner::store::provenance::isa_level();
    let built = contents(&p);
    let kinds = [
        "tokenizer-",
        "reader-",
        "lm-",
        "token-classifier-",
        "soft-teacher-",
    ];
    for kind in kinds {
        assert!(
            built.keys().any(|id| id.starts_with(kind)),
            "no {kind} artifact was built: {built:?}"
        );
    }
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/artifact_contents.tsv");
    let pinned = std::fs::read_to_string(&fixture).unwrap_or_default();
    let mut others: Vec<&str> = pinned
        .lines()
        .filter(|l| !l.starts_with(&format!("{level}\t")))
        .collect();
    let now: Vec<String> = built
        .iter()
        .map(|(id, sha)| format!("{level}\t{id}\t{sha}"))
        .collect();
    if std::env::var_os("RUNNER_BLESS").is_some() {
        others.extend(now.iter().map(String::as_str));
        others.sort();
        std::fs::write(&fixture, others.join("\n") + "\n").unwrap();
        return;
    }
    let mine: Vec<&str> = pinned
        .lines()
        .filter(|l| l.starts_with(&format!("{level}\t")))
        .collect();
    if mine.is_empty() {
        eprintln!("SKIPPED: no contents pinned for {level}; RUNNER_BLESS=1 pins them");
        return;
    }
    let changed: Vec<String> = now
        .iter()
        .filter(|l| !mine.contains(&l.as_str()))
        .map(|l| format!("  now {l}"))
        .collect();
    assert!(
        changed.is_empty() && mine.len() == now.len(),
        "artifact contents changed on {level} (bump the artifact's code version, or re-bless with a reason):\n{}\n  pinned:\n  {}",
        changed.join("\n"),
        mine.join("\n  ")
    );
}
