//! The learned codec: a round trip on every file of the Canterbury corpus (adaptive mode mixed
//! with the count models, so the decoder's training steps must repeat the encoder's bit for bit), the `lm-codec` task in
//! both modes through `runner launch`, and the single-file commands with damaged input.

mod common;

use common::{text, Project};
use runner::codecs::learned::{compress, decompress};

#[test]
fn every_canterbury_file_round_trips_in_adaptive_mode() {
    let dir = runner::data::data_dir().join("canterbury");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("SKIPPED: {} not found (set RUNNER_DATA)", dir.display());
        return;
    };
    // The network mixed with the count models: every byte value, 256 streams.
    let params = runner::codecs::learned::format::Params {
        mixing: runner::codecs::learned::mixing::Mixing::On
            .config(runner::codecs::learned::format::Mode::Adaptive),
        ..common::adaptive_gru(16, 1)
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    assert_eq!(files.len(), 11, "the Canterbury corpus has 11 files");
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let c = compress(
            &data,
            &params,
            None,
            256,
            &runner::models::device::cpu(),
            |_, _| {},
        )
        .unwrap();
        let d = decompress(&c.bytes, None, &runner::models::device::cpu(), |_, _| {}).unwrap();
        assert!(d.bytes == data, "{} does not round-trip", path.display());
        eprintln!(
            "{}: {} -> {} bytes ({:.3} bpc)",
            path.display(),
            data.len(),
            c.bytes.len(),
            c.bytes.len() as f64 * 8.0 / data.len() as f64
        );
    }
}

fn metrics(p: &Project, exp: &str) -> Vec<serde_json::Value> {
    p.results(exp)
        .into_iter()
        .map(|r| r["metrics"].clone())
        .collect()
}

#[test]
fn the_task_runs_both_modes_and_records_comparisons() {
    let p = Project::new();
    let mut corpus = String::new();
    for i in 0..400 {
        corpus.push_str(&format!("verse {i}: and the word was with the model. "));
    }
    p.write("corpus.txt", &corpus);
    let input = "the model was with the word, and the word was the model. ".repeat(30);
    p.write("input.txt", &input);
    p.write(
        "lm.toml",
        r#"[experiment]
name = "lm"
task = "lm-codec"
seeds = [0]

[params]
input = "input.txt"
arch = "gru"
hidden = 16
streams = 4
segment = 8
learning_rate = 0.01
corpus = ["corpus.txt"]
train_steps = 6
batch_size = 4
seq_len = 16

[grid]
mode = ["pretrained", "adaptive", "dynamic"]
"#,
    );
    // The same, tokenizer-level: byte-level BPE tokens instead of bytes.
    let spec = std::fs::read_to_string(p.path().join("lm.toml")).unwrap();
    p.write(
        "tok.toml",
        &spec
            .replace("name = \"lm\"", "name = \"tok\"")
            .replace("seq_len = 16", "seq_len = 16\ntokenizer_vocab = 300")
            .replace(
                "mode = [\"pretrained\", \"adaptive\", \"dynamic\"]",
                "mode = [\"pretrained\"]",
            ),
    );
    for spec in ["lm.toml", "tok.toml"] {
        let out = p.run(&["launch", spec, "-j", "2"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let mut rows = metrics(&p, "lm");
    rows.extend(metrics(&p, "tok"));
    assert_eq!(rows.len(), 4, "{rows:?}");
    for m in &rows {
        assert_eq!(m["verified"], true);
        assert_eq!(m["original_bytes"].as_f64(), Some(input.len() as f64));
        let bpc = m["bpc"].as_f64().unwrap();
        assert!(bpc > 0.0 && bpc < 8.5, "{m}");
        for key in ["gzip_9_bpc", "xz_9_bpc", "zstd_19_bpc", "brotli_11_bpc"] {
            assert!(m[key].as_f64().unwrap() > 0.0, "{key} missing in {m}");
        }
        assert!(m["compress_bytes_per_s"].as_f64().unwrap() > 0.0);
    }
    let pretrained = p
        .results("lm")
        .into_iter()
        .find(|r| r["metrics"].get("model_bytes").is_some())
        .unwrap();
    let m = &pretrained["metrics"];
    assert!(m["ratio_with_model"].as_f64().unwrap() < m["ratio"].as_f64().unwrap());
    assert!(pretrained["artifacts"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("lm-"));
}

#[test]
fn single_file_commands_round_trip_and_reject_damage() {
    let p = Project::new();
    let input = p.write("notes.txt", &"compress me, compress me again. ".repeat(40));
    let out = p.run(&[
        "lm-codec",
        "compress",
        "notes.txt",
        "--adaptive",
        "--hidden",
        "16",
        "--streams",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("bpc"));
    let packed = p.path().join("notes.txt.rlmc");
    std::fs::rename(&input, p.path().join("original.txt")).unwrap();
    let out = p.run(&["lm-codec", "decompress", "notes.txt.rlmc"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read(p.path().join("notes.txt")).unwrap(),
        std::fs::read(p.path().join("original.txt")).unwrap()
    );
    let mut bytes = std::fs::read(&packed).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 5);
    std::fs::write(p.path().join("cut.rlmc"), &bytes).unwrap();
    let out = p.run(&["lm-codec", "decompress", "cut.rlmc"]);
    assert_eq!(out.status.code(), Some(2));
    let message = text(&out);
    assert!(
        message.contains("cut.rlmc") && message.contains("truncated"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

/// A tiny random Llama checkpoint written by the test.
fn tiny_llm(p: &Project, seed: u64) -> String {
    use runner::models::llama::fixture::{write_gguf, Tiny};
    let path = p.path().join(format!("tiny{seed}.gguf"));
    write_gguf(
        &path,
        &Tiny::default(),
        runner::models::gguf::DType::Q8_0,
        seed,
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_pretrained_llm_codes_in_one_process_and_decodes_in_another() {
    let p = Project::new();
    let model = tiny_llm(&p, 3);
    let mut bytes = "the otter then the other otter, 1984 times; "
        .repeat(8)
        .into_bytes();
    bytes.extend([0xfe, b'z', 0xe2, 0x82]); // invalid UTF-8, and a character cut at the end
    std::fs::write(p.path().join("in.bin"), &bytes).unwrap();
    let c = p.run(&[
        "lm-codec",
        "compress",
        "in.bin",
        "--model",
        &model,
        "--streams",
        "3",
        "--context-window",
        "24",
        "--context-keep",
        "8",
        "-o",
        "in.rlmc",
    ]);
    assert!(c.status.success(), "{}", text(&c));
    let d = p.run(&[
        "lm-codec",
        "decompress",
        "in.rlmc",
        "--model",
        &model,
        "-o",
        "back.bin",
    ]);
    assert!(d.status.success(), "{}", text(&d));
    assert_eq!(
        std::fs::read(p.path().join("back.bin")).unwrap(),
        bytes,
        "byte-exact in a separate process"
    );
    let other = tiny_llm(&p, 4);
    let wrong = p.run(&[
        "lm-codec",
        "decompress",
        "in.rlmc",
        "--model",
        &other,
        "-o",
        "x.bin",
    ]);
    assert!(
        !wrong.status.success() && text(&wrong).contains("another model"),
        "{}",
        text(&wrong)
    );
    let bare = p.run(&["lm-codec", "decompress", "in.rlmc", "-o", "y.bin"]);
    assert!(
        !bare.status.success() && text(&bare).contains("--model"),
        "{}",
        text(&bare)
    );
    // The task with the same model: every file coded, decoded and compared; the model recorded.
    std::fs::create_dir_all(p.path().join("texts")).unwrap();
    std::fs::write(p.path().join("texts/a.txt"), &bytes[..200]).unwrap();
    std::fs::write(p.path().join("texts/b.txt"), "another text, then the end").unwrap();
    p.write(
        "llm.toml",
        &format!("[experiment]\nname = \"llm\"\ntask = \"lm-codec\"\n\n[params]\ninput = \"texts\"\nmodel = \"{model}\"\ncontext_window = 24\ncontext_keep = 8\nbaselines = false\n\n[grid]\nstreams = [1, 2]\n"),
    );
    let out = p.run(&["launch", "llm.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    for m in metrics(&p, "llm") {
        assert_eq!(m["verified"], true);
        assert_eq!(m["files"], 2);
        assert_eq!(m["model_sha256"].as_str().unwrap().len(), 64);
    }
}
