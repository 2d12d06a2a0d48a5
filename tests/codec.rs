//! The `codec` task and `runner codec`: sizes against the reference CLIs, round trips on edge
//! cases, the per-response JSON structure, and level errors.

mod common;

use common::{text, Project};
use runner::codecs::{Algorithm, Codec, LevelSpec};

fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let path = runner::data::data_dir().join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: {} not found (set RUNNER_DATA)", path.display());
        None
    }
}

#[test]
fn sizes_agree_with_the_reference_clis_on_alice29() {
    let Some(path) = shared("canterbury/alice29.txt") else {
        return;
    };
    let data = std::fs::read(path).unwrap();
    // gzip -9, xz -9e, zstd -19, brotli -q 11 (sizes from ../shared/data/README.md).
    let cases = [
        (Algorithm::Gzip, LevelSpec::Number(9, false), 54_179usize),
        (Algorithm::Xz, LevelSpec::Number(9, true), 48_528),
        (Algorithm::Zstd, LevelSpec::Number(19, false), 49_215),
        (Algorithm::Brotli, LevelSpec::Number(11, false), 46_487),
    ];
    for (algorithm, level, reference) in cases {
        let codec = Codec::new(algorithm, &level).unwrap();
        let size = codec.round_trip(&data).unwrap().len();
        let off = (size as f64 - reference as f64).abs() / reference as f64;
        assert!(
            off < 0.01,
            "{}: {size} bytes vs {reference} ({:.2}% off)",
            codec.label(),
            off * 100.0
        );
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545F4914F6CDD1D;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn codec_task_writes_per_response_results_and_statistics() {
    let p = Project::new();
    p.write("inputs/a_empty.txt", "");
    p.write("inputs/b_one.txt", "x");
    std::fs::write(p.path().join("inputs/c_random.bin"), random_bytes(4096)).unwrap();
    p.write(
        "inputs/d_text.txt",
        &"compression is prediction. ".repeat(200),
    );
    p.write(
        "codec.toml",
        r#"
[experiment]
name = "fixture"
task = "codec"

[params]
dataset = "inputs"
algorithm = "all"
level = "default"
min_time = "1ms"
batch_size = 2
"#,
    );
    let out = p.run(&["launch", "codec.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let run_dir = std::fs::read_dir(p.path().join("runs/fixture/runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let log = std::fs::read_to_string(run_dir.join("stdout.log")).unwrap();
    assert!(log.contains("COMPRESSION STATISTICS"), "{log}");
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("compression_results.json")).unwrap(),
    )
    .unwrap();
    let batches = results.as_array().unwrap();
    assert_eq!(batches.len(), 2, "4 responses in batches of 2");
    assert_eq!(batches[0]["algorithms"].as_array().unwrap().len(), 8);
    let responses: Vec<&serde_json::Value> = batches
        .iter()
        .flat_map(|b| b["responses"].as_array().unwrap())
        .collect();
    assert_eq!(responses.len(), 4);
    for (i, r) in responses.iter().enumerate() {
        assert_eq!(r["response_index"], i);
        for c in r["compression_results"].as_array().unwrap() {
            assert!(c["error"].is_null(), "{c}");
            for key in [
                "algorithm",
                "level",
                "original_size",
                "compressed_size",
                "compression_ratio",
                "compression_time",
                "decompression_time",
            ] {
                assert!(c.get(key).is_some(), "missing {key} in {c}");
            }
        }
    }
    // Empty input: no ratio; random bytes: ratio above 1, reported as such.
    assert!(responses[0]["compression_results"][0]["compression_ratio"].is_null());
    for c in responses[2]["compression_results"].as_array().unwrap() {
        assert!(c["compression_ratio"].as_f64().unwrap() > 1.0, "{c}");
        assert!(c["compression_factor"].as_f64().unwrap() < 1.0, "{c}");
    }
    let metrics = &p.results("fixture")[0]["metrics"];
    assert_eq!(metrics["responses"], 4);
    let gzip = &metrics["per_codec"]["gzip-6"];
    assert_eq!(gzip["samples"], 3, "the empty response has no ratio");
    assert_eq!(gzip["errors"], 0);
    assert!(
        gzip["ratio_min"].as_f64().unwrap() < 0.1,
        "repetitive text compresses well: {gzip}"
    );
    assert!(
        gzip["ratio_max"].as_f64().unwrap() > 1.0,
        "random bytes do not: {gzip}"
    );
}

#[test]
fn jsonl_token_ids_are_decoded_with_a_tokenizer() {
    let p = Project::new();
    p.write(
        "tokenizer.json",
        r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
            "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
            "decoder": null,
            "model": {"type": "WordLevel", "vocab": {"hello": 0, "world": 1, "again": 2, "[UNK]": 3}, "unk_token": "[UNK]"}}"#,
    );
    p.write(
        "gen.jsonl",
        "{\"ids\": [0, 1, 0, 1, 2], \"b\": 0}\n{\"ids\": [2, 2, 2], \"b\": 1}\n",
    );
    let out = p.run(&[
        "codec",
        "--tokenizer",
        "tokenizer.json",
        "--field",
        "ids",
        "-a",
        "gzip",
        "--json",
        "out.json",
        "gen.jsonl",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("out.json")).unwrap()).unwrap();
    let first = &results[0]["responses"][0];
    assert_eq!(first["token_count"], 5);
    assert_eq!(first["text_length"], "hello world hello world again".len());
    assert!(text(&out).contains("COMPRESSION STATISTICS"));
}

#[test]
fn invalid_level_is_a_spec_error_naming_the_range() {
    let p = Project::new();
    p.write(
        "bad.toml",
        "[experiment]\nname = \"b\"\ntask = \"codec\"\n\n[params]\ndataset = \"x\"\n\n[grid]\nalgorithm = [\"zstd\", \"gzip\"]\nlevel = [3, 19]\n",
    );
    let out = p.run(&["launch", "bad.toml", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    assert!(
        t.contains("bad.toml:10:13: `level`: level 19 is out of range for gzip: 0..=9"),
        "{t}"
    );
    p.write("bad.toml", "[experiment]\nname = \"b\"\ntask = \"codec\"\n\n[params]\ndataset = \"x\"\nalgorithm = \"gzipp\"\nlevle = 3\n");
    let t = text(&p.run(&["launch", "bad.toml", "--dry-run"]));
    assert!(
        t.contains("the `codec` task has no parameter `levle`")
            && t.contains("did you mean `level`?"),
        "{t}"
    );
}

#[test]
fn unknown_algorithm_is_suggested() {
    let p = Project::new();
    p.write("bad.toml", "[experiment]\nname = \"b\"\ntask = \"codec\"\n\n[params]\ndataset = \"x\"\nalgorithm = \"brotly\"\n");
    let t = text(&p.run(&["launch", "bad.toml", "--dry-run"]));
    assert!(
        t.contains("unknown algorithm `brotly`") && t.contains("did you mean `brotli`?"),
        "{t}"
    );
}

#[test]
fn registry_checksums_match_the_shared_data() {
    let dir = runner::data::data_dir();
    if !dir.join("SHA256SUMS").exists() {
        eprintln!("SKIPPED: no shared data at {}", dir.display());
        return;
    }
    for entry in runner::data::registry::ENTRIES {
        for line in runner::data::registry::verify(entry, &dir).unwrap() {
            assert!(line.ends_with(": ok"), "{line}");
        }
    }
}
