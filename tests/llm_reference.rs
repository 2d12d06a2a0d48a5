//! runner's Llama models against llama.cpp, the reference for GGUF files (llama-cpp-python in
//! `RUNNER_PYTHON`'s environment, driven by scripts/llama_reference.py). Skipped when that
//! Python lacks llama_cpp, unless `RUNNER_REQUIRE_REFERENCE` is set (`.ci/run` sets it).
//!
//! - a tiny random F32 GGUF written here: logits equal at every position within 1e-4 (relative);
//! - SmolLM2-135M-Instruct (fetched into the models directory when missing): identical token ids
//!   on the four Canterbury texts and 1,000 SQuAD contexts and questions; greedy continuations of
//!   20 chat prompts compared for their first 16 tokens (where they part is printed; Q4_1 weights
//!   are multiplied with 8-bit activations in llama.cpp, with f32 ones here); bits per byte on
//!   the first 12,000 bytes of alice29.txt within 1 % in the same windows.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use runner::models::gguf::DType;
use runner::models::llama::cache::KvCache;
use runner::models::llama::fixture::{write_gguf, Tiny};
use runner::models::llama::generate::{greedy, row};
use runner::models::llama::{Pretrained, Windows};

fn python() -> Option<String> {
    common::reference_python("llama_cpp, numpy")
}

/// Runs the reference script; returns what it wrote to `out` (or its stdout) as JSON.
fn reference(python: &str, args: &[&str], out: Option<&Path>) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/llama_reference.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script).args(args);
    if let Some(out) = out {
        cmd.arg("--out").arg(out);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = match out {
        Some(path) => std::fs::read_to_string(path).unwrap(),
        None => String::from_utf8(o.stdout).unwrap(),
    };
    serde_json::from_str(&text).unwrap()
}

fn cpu() -> burn::tensor::Device {
    runner::models::device::cpu()
}

#[test]
fn a_tiny_f32_model_gives_llama_cpps_logits_at_every_position() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_gguf(
        &path,
        &Tiny {
            tied: false,
            ..Tiny::default()
        },
        DType::F32,
        11,
    )
    .unwrap();
    let p = Pretrained::load(&path, &cpu()).unwrap();
    let ids: Vec<u32> = p
        .vocab
        .encode("the otter in the river, 1984: then another otter")
        .unwrap();
    let ids_file = dir.path().join("ids.json");
    std::fs::write(&ids_file, serde_json::to_string(&ids).unwrap()).unwrap();
    let theirs = reference(
        &python,
        &[
            "logits",
            "--model",
            path.to_str().unwrap(),
            "--ids",
            ids_file.to_str().unwrap(),
        ],
        Some(&dir.path().join("l.json")),
    );
    let hidden = p.model.forward(row(&p.model, &ids), &mut KvCache::none());
    let [_, l, d] = hidden.dims();
    let ours: Vec<f32> = p
        .model
        .logits(hidden.reshape([l, d]))
        .into_data()
        .try_to_vec()
        .unwrap();
    let vocab = p.config.vocab;
    let mut worst = 0f64;
    for (t, row) in theirs.as_array().unwrap().iter().enumerate() {
        let row: Vec<f64> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let scale = row.iter().fold(0f64, |m, v| m.max(v.abs()));
        for (j, v) in row.iter().enumerate() {
            worst = worst.max((ours[t * vocab + j] as f64 - v).abs() / scale);
        }
    }
    println!(
        "largest relative logit difference over {} positions: {worst:.2e}",
        ids.len()
    );
    assert!(
        worst < 1e-4,
        "logits differ from llama.cpp's by {worst:.2e} (relative)"
    );
}

/// SmolLM2-135M-Instruct, fetched when missing (skipped without network unless required).
fn smollm2() -> Option<PathBuf> {
    match runner::data::models::ensure("smollm2-135m-instruct", false) {
        Ok(path) => Some(path),
        Err(e) => {
            assert!(
                std::env::var_os("RUNNER_REQUIRE_REFERENCE").is_none(),
                "{e:#}"
            );
            eprintln!("SKIPPED: {e:#}");
            None
        }
    }
}

fn squad_texts(n: usize) -> Vec<String> {
    let file = runner::data::squad::load(&runner::data::resolve("squad-dev")).unwrap();
    let mut out = Vec::new();
    for para in file.data.iter().flat_map(|a| &a.paragraphs) {
        out.push(para.context.clone());
        out.extend(para.qas.iter().take(1).map(|q| q.question.clone()));
        if out.len() >= n {
            break;
        }
    }
    out.truncate(n);
    out
}

#[test]
fn smollm2_tokenizes_generates_and_scores_as_llama_cpp_does() {
    let Some(python) = python() else { return };
    let Some(model) = smollm2() else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = Pretrained::load(&model, &cpu()).unwrap();
    let m = model.to_str().unwrap();
    // Token ids.
    let mut texts: Vec<String> = ["alice29.txt", "asyoulik.txt", "lcet10.txt", "plrabn12.txt"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(runner::data::resolve(&format!("canterbury/{f}"))).unwrap()
        })
        .collect();
    texts.extend(squad_texts(2000));
    let texts_file = dir.path().join("texts.json");
    std::fs::write(&texts_file, serde_json::to_string(&texts).unwrap()).unwrap();
    let theirs = reference(
        &python,
        &[
            "tokenize",
            "--model",
            m,
            "--texts",
            texts_file.to_str().unwrap(),
        ],
        Some(&dir.path().join("ids.json")),
    );
    let mut differ = Vec::new();
    for (i, (text, want)) in texts.iter().zip(theirs.as_array().unwrap()).enumerate() {
        let want: Vec<u32> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        if p.vocab.encode(text).unwrap() != want {
            differ.push(i);
        }
    }
    println!(
        "token ids of {} texts compared; {} differ",
        texts.len(),
        differ.len()
    );
    assert!(
        differ.is_empty(),
        "texts {differ:?} tokenize differently from llama.cpp"
    );
    generations_agree(&python, &p, m, dir.path());
    // Bits per byte in the same windows.
    let text: String = texts[0].chars().take(12_000).collect();
    let file = dir.path().join("alice12k.txt");
    std::fs::write(&file, &text).unwrap();
    let windows = Windows {
        window: 1024,
        min_context: 256,
    };
    let ours = runner::task::kinds::llm_eval::measure::bits_per_byte(&p, &text, windows).unwrap();
    let theirs = reference(
        &python,
        &[
            "score",
            "--model",
            m,
            "--file",
            file.to_str().unwrap(),
            "--window",
            "1024",
            "--min-context",
            "256",
        ],
        None,
    );
    let reference_bpb = theirs["bits_per_byte"].as_f64().unwrap();
    println!(
        "alice29.txt, first 12,000 bytes: {:.4} bits per byte ({:.1} tokens/s), llama.cpp {reference_bpb:.4} ({:.1} tokens/s)",
        ours.bits_per_byte, ours.tokens_per_s, theirs["tokens_per_s"].as_f64().unwrap()
    );
    assert!(
        (ours.bits_per_byte / reference_bpb - 1.0).abs() < 0.01,
        "bits per byte differ by over 1 %"
    );
}

/// Greedy continuations of 20 chat prompts, 16 tokens each, against llama.cpp's on the same ids.
fn generations_agree(python: &str, p: &Pretrained, model: &str, dir: &Path) {
    let questions = squad_texts(400).into_iter().skip(1).step_by(20).take(20);
    let prompts: Vec<Vec<u32>> = questions
        .map(|q| runner::models::llama::chat::prompt(&p.vocab, None, &q).unwrap())
        .collect();
    let file = dir.join("prompts.json");
    std::fs::write(&file, serde_json::to_string(&prompts).unwrap()).unwrap();
    let theirs = reference(
        python,
        &[
            "generate",
            "--model",
            model,
            "--prompts",
            file.to_str().unwrap(),
            "--max-tokens",
            "16",
        ],
        Some(&dir.join("gen.json")),
    );
    let (mut same, mut worst_gap) = (0, 0f32);
    for (prompt, want) in prompts.iter().zip(theirs.as_array().unwrap()) {
        let want: Vec<u32> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let ours = greedy(&p.model, prompt, 16, &[]);
        let Some(at) = ours.iter().zip(&want).position(|(a, b)| a != b) else {
            same += 1;
            continue;
        };
        // Where they part, how far llama.cpp's choice is below runner's in runner's logits.
        let seq: Vec<u32> = prompt.iter().chain(&ours[..at]).copied().collect();
        let hidden = p.model.forward(row(&p.model, &seq), &mut KvCache::none());
        let [_, l, d] = hidden.dims();
        let last = hidden.slice([0..1, l - 1..l, 0..d]).reshape([1, d]);
        let logits: Vec<f32> = p.model.logits(last).into_data().try_to_vec().unwrap();
        let gap = logits[ours[at] as usize] - logits[want[at] as usize];
        worst_gap = worst_gap.max(gap);
        println!(
            "parts at token {at} (logit gap {gap:.3}): runner {:?}, llama.cpp {:?}",
            String::from_utf8_lossy(&p.vocab.decode_bytes(&ours[at..])),
            String::from_utf8_lossy(&p.vocab.decode_bytes(&want[at..]))
        );
    }
    println!(
        "{same} of {} greedy continuations identical for 16 tokens; where they part, llama.cpp's token is at most {worst_gap:.3} below runner's in runner's logits",
        prompts.len()
    );
    assert!(
        same >= 10,
        "only {same} of 20 continuations agree with llama.cpp's for 16 tokens"
    );
    assert!(
        worst_gap < 0.5,
        "a parting that is no near-tie (gap {worst_gap:.3})"
    );
}
