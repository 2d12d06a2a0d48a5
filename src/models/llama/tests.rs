//! Tiny random checkpoints written here, loaded back: every tensor type, GGUF against a Hugging
//! Face directory of the same weights, the cache against recomputation, batches against one
//! sequence at a time, windows, and damaged files.

use std::path::{Path, PathBuf};

use super::cache::KvCache;
use super::fixture::{write_gguf, write_hf_dir, Tiny};
use super::generate::{greedy, greedy_uncached, row};
use super::score::{score_batch, score_text, Windows};
use super::Pretrained;
use crate::models::gguf::{DType, Gguf, GgufWriter};

fn cpu() -> burn::tensor::Device {
    crate::models::device::cpu()
}

fn tiny(dir: &Path, dtype: DType) -> PathBuf {
    let path = dir.join(format!("tiny-{}.gguf", dtype.name()));
    write_gguf(&path, &Tiny::default(), dtype, 7).unwrap();
    path
}

/// Logits of every position of `ids`, flattened.
fn logits(p: &Pretrained, ids: &[u32]) -> Vec<f32> {
    let hidden = p.model.forward(row(&p.model, ids), &mut KvCache::none());
    let [_, l, d] = hidden.dims();
    p.model
        .logits(hidden.reshape([l, d]))
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

fn max_relative(a: &[f32], b: &[f32]) -> f32 {
    let scale = a.iter().fold(0f32, |m, v| m.max(v.abs()));
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

#[test]
fn every_tensor_type_loads_with_its_shape_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<u32> = (0..20).map(|i| (i * 37 % 256) as u32).collect();
    let reference = Pretrained::load(&tiny(dir.path(), DType::F32), &cpu()).unwrap();
    assert_eq!(
        (
            reference.config.hidden,
            reference.config.blocks,
            reference.config.kv_heads
        ),
        (64, 2, 2)
    );
    assert!(reference.config.tied);
    let exact = logits(&reference, &ids);
    for (dtype, tolerance) in [
        (DType::F16, 0.01),
        (DType::Bf16, 0.05),
        (DType::Q8_0, 0.05),
        (DType::Q4_1, 0.3),
        (DType::Q4_0, 0.3),
    ] {
        let path = tiny(dir.path(), dtype);
        let p = Pretrained::load(&path, &cpu()).unwrap();
        // The loaded weights are the file's blocks dequantized, transposed to [in, out].
        let g = Gguf::open(&path).unwrap();
        let q = g
            .read_f32(g.tensor("blk.1.attn_q.weight").unwrap())
            .unwrap();
        let loaded: Vec<f32> = p.model.blocks[1]
            .q
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(
            loaded[64], q[1],
            "{dtype:?}: row 0 of input 1 is weight (1, 0) of the file"
        );
        let err = max_relative(&exact, &logits(&p, &ids));
        assert!(
            err > 0.0 && err < tolerance,
            "{dtype:?}: logits differ by {err}"
        );
    }
}

#[test]
fn a_hugging_face_directory_gives_the_logits_of_the_gguf_file() {
    let dir = tempfile::tempdir().unwrap();
    for tied in [true, false] {
        let t = Tiny {
            tied,
            ..Tiny::default()
        };
        let gguf = dir.path().join(format!("m{tied}.gguf"));
        write_gguf(&gguf, &t, DType::F32, 3).unwrap();
        let a = Pretrained::load(&gguf, &cpu()).unwrap();
        let hf = dir.path().join(format!("hf{tied}"));
        write_hf_dir(&hf, &t, 3, &a.vocab.tokenizer).unwrap();
        let b = Pretrained::load(&hf, &cpu()).unwrap();
        assert_eq!(a.config, b.config);
        let text = "the thin otter, 2024 then 7";
        let ids = a.vocab.encode(text).unwrap();
        assert_eq!(ids, b.vocab.encode(text).unwrap());
        let err = max_relative(&logits(&a, &ids), &logits(&b, &ids));
        assert!(
            err < 1e-5,
            "tied {tied}: the query/key rows are paired as llama.cpp's converter does ({err})"
        );
        assert_eq!(b.format, "safetensors");
        assert_ne!(a.sha256, b.sha256);
    }
}

#[test]
fn the_tokenizer_round_trips_bytes_and_splits_digits() {
    let dir = tempfile::tempdir().unwrap();
    let p = Pretrained::load(&tiny(dir.path(), DType::F32), &cpu()).unwrap();
    let text = "the 123 <|im_end|> théâtre";
    let ids = p.vocab.encode(text).unwrap();
    assert_eq!(p.vocab.decode_bytes(&ids), text.as_bytes());
    assert!(
        !ids.contains(&p.vocab.id("<|im_end|>").unwrap()),
        "special tokens in text are text"
    );
    let digits: Vec<Vec<u8>> = p
        .vocab
        .encode("123")
        .unwrap()
        .iter()
        .map(|&i| p.vocab.token_bytes(i))
        .collect();
    assert_eq!(digits, [b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    assert_eq!(
        p.vocab.encode(" the").unwrap().len(),
        1,
        "merges apply: Ġthe"
    );
    let prompt = super::chat::prompt(&p.vocab, None, "hi").unwrap();
    let shown = String::from_utf8(p.vocab.decode_bytes(&prompt)).unwrap();
    assert_eq!(shown, "<|im_start|>system\nYou are tiny.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
}

#[test]
fn cached_generation_equals_recomputation() {
    let dir = tempfile::tempdir().unwrap();
    let p = Pretrained::load(&tiny(dir.path(), DType::Q8_0), &cpu()).unwrap();
    let prompt = p.vocab.encode("the otter then").unwrap();
    let cached = greedy(&p.model, &prompt, 12, &[]);
    assert_eq!(cached.len(), 12);
    assert_eq!(cached, greedy_uncached(&p.model, &prompt, 12, &[]));
    let stop = cached[3];
    let first = cached.iter().position(|&t| t == stop).unwrap();
    assert_eq!(greedy(&p.model, &prompt, 12, &[stop]), cached[..first]);
}

#[test]
fn batched_scores_equal_one_by_one_and_windows_score_every_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = Pretrained::load(&tiny(dir.path(), DType::F32), &cpu()).unwrap();
    let seqs: Vec<Vec<u32>> = ["the thing", "an otter in the river there", "x"]
        .iter()
        .map(|t| p.vocab.encode(t).unwrap())
        .collect();
    let batch = score_batch(&p.model, &seqs);
    for (s, b) in seqs.iter().zip(&batch) {
        let alone = &score_batch(&p.model, std::slice::from_ref(s))[0];
        assert_eq!(b.len(), s.len().saturating_sub(1));
        for (x, y) in b.iter().zip(alone) {
            assert!((x - y).abs() < 1e-4 * y.abs().max(1.0), "{x} against {y}");
        }
    }
    let text: Vec<u32> = (0..50).map(|i| (i * 11 % 250) as u32).collect();
    let whole = score_text(
        &p.model,
        &text,
        Windows {
            window: 64,
            min_context: 8,
        },
    )
    .unwrap();
    assert_eq!(whole.len(), 49);
    assert_eq!(whole, score_batch(&p.model, std::slice::from_ref(&text))[0]);
    let windowed = score_text(
        &p.model,
        &text,
        Windows {
            window: 16,
            min_context: 6,
        },
    )
    .unwrap();
    assert_eq!(windowed.len(), 49, "every token but the first, once");
    assert_eq!(
        windowed[..15],
        whole[..15],
        "the first window is the text's start"
    );
    assert!(score_text(
        &p.model,
        &text,
        Windows {
            window: 8,
            min_context: 8
        }
    )
    .is_err());
}

/// The error of loading `bytes` as a GGUF file named `name`.
fn refusal(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let e = Pretrained::load(&path, &cpu()).unwrap_err();
    let text = format!("{e:#}");
    assert!(text.contains(name), "the error names the file: {text}");
    text
}

#[test]
fn damaged_and_unsupported_files_are_refused_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(tiny(dir.path(), DType::Q4_1)).unwrap();
    let mut bad = good.clone();
    bad[..4].copy_from_slice(b"GGML");
    assert!(refusal(dir.path(), "magic.gguf", &bad).contains("bad magic"));
    let cut = refusal(dir.path(), "cut.gguf", &good[..good.len() / 2]);
    assert!(cut.contains("past the end"), "{cut}");
    let mut huge = good.clone();
    huge[8..16].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(refusal(dir.path(), "huge.gguf", &huge).contains("more than the"));
    let mut kv = good.clone();
    kv[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(refusal(dir.path(), "keys.gguf", &kv).contains("more than the"));
    // A type runner does not read (Q4_K), named with its tensor.
    let mut w = GgufWriter::new();
    w.string("general.architecture", "llama").raw_tensor(
        "blk.0.attn_q.weight",
        &[256, 1],
        12,
        vec![0; 144],
    );
    let q4k = refusal(dir.path(), "q4k.gguf", &w.bytes());
    assert!(
        q4k.contains("blk.0.attn_q.weight") && q4k.contains("Q4_K"),
        "{q4k}"
    );
    // Metadata that disagrees with a tensor's shape.
    let key = b"llama.feed_forward_length";
    let at = good.windows(key.len()).position(|w| w == key).unwrap() + key.len() + 4;
    let mut shape = good.clone();
    shape[at..at + 4].copy_from_slice(&64u32.to_le_bytes());
    let wrong = refusal(dir.path(), "shape.gguf", &shape);
    assert!(
        wrong.contains("blk.0.ffn_gate.weight") && wrong.contains("metadata"),
        "{wrong}"
    );
    let arch = refusal(dir.path(), "arch.gguf", &{
        let mut w = GgufWriter::new();
        w.string("general.architecture", "gpt2");
        w.bytes()
    });
    assert!(arch.contains("gpt2"), "{arch}");
}
