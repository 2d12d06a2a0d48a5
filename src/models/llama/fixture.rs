//! Tiny random Llama checkpoints, written as GGUF (any tensor type runner reads) or as a Hugging
//! Face directory from the same weights: what the tests load, and what the llama.cpp
//! comparison reads. Their vocabulary is a byte-level BPE of the 256 bytes, a few merges and
//! ChatML's special tokens.

use std::path::Path;

use anyhow::Result;

use super::rope::pair_rows;
use super::safetensors::write_f32;
use super::vocab::byte_char;
use crate::data::sampling::Rng;
use crate::models::gguf::{DType, GgufWriter};

/// The merges of the tiny vocabulary (byte-level text), in rank order.
const MERGES: &[(&str, &str)] = &[
    ("Ġ", "t"),
    ("Ġt", "h"),
    ("Ġth", "e"),
    ("t", "h"),
    ("th", "e"),
    ("i", "n"),
    ("e", "r"),
    ("a", "n"),
];
/// Its special tokens.
pub const SPECIALS: &[&str] = &["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// The shape of a tiny model.
#[derive(Debug, Clone, Copy)]
pub struct Tiny {
    /// Hidden width (a multiple of 32, so every quantized type fits its rows).
    pub hidden: usize,
    /// Feed-forward width (a multiple of 32).
    pub feed_forward: usize,
    /// Blocks.
    pub blocks: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Whether the output layer is the embedding.
    pub tied: bool,
}

impl Default for Tiny {
    fn default() -> Tiny {
        Tiny {
            hidden: 64,
            feed_forward: 96,
            blocks: 2,
            heads: 4,
            kv_heads: 2,
            tied: true,
        }
    }
}

/// The tiny vocabulary's tokens: the 256 bytes, the merges' results, the special tokens.
pub fn tokens() -> Vec<String> {
    let mut out: Vec<String> = (0..=255u8).map(|b| byte_char(b).to_string()).collect();
    out.extend(MERGES.iter().map(|(a, b)| format!("{a}{b}")));
    out.extend(SPECIALS.iter().map(|s| s.to_string()));
    out
}

/// Weights in PyTorch layout ([out, in] row-major), by Hugging Face name, drawn from `seed`.
fn weights(t: &Tiny, seed: u64) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let vocab = tokens().len();
    let hd = t.hidden / t.heads;
    let mut rng = Rng::new(seed);
    let mut draw = |n: usize, scale: f64| -> Vec<f32> {
        (0..n)
            .map(|_| {
                (((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale) as f32
            })
            .collect()
    };
    let mut out = vec![(
        "model.embed_tokens.weight".to_string(),
        vec![vocab, t.hidden],
        draw(vocab * t.hidden, 1.0),
    )];
    let d = t.hidden;
    for i in 0..t.blocks {
        let p = |name: &str| format!("model.layers.{i}.{name}.weight");
        let mut norm = |name: &str| {
            (
                p(name),
                vec![d],
                draw(d, 0.2).iter().map(|w| 1.0 + w).collect::<Vec<f32>>(),
            )
        };
        out.push(norm("input_layernorm"));
        out.push(norm("post_attention_layernorm"));
        let s = 1.0 / (d as f64).sqrt();
        for (name, rows, cols) in [
            ("self_attn.q_proj", t.heads * hd, d),
            ("self_attn.k_proj", t.kv_heads * hd, d),
            ("self_attn.v_proj", t.kv_heads * hd, d),
            ("self_attn.o_proj", d, t.heads * hd),
            ("mlp.gate_proj", t.feed_forward, d),
            ("mlp.up_proj", t.feed_forward, d),
            ("mlp.down_proj", d, t.feed_forward),
        ] {
            out.push((p(name), vec![rows, cols], draw(rows * cols, s)));
        }
    }
    out.push(("model.norm.weight".to_string(), vec![d], vec![1.0; d]));
    if !t.tied {
        out.push((
            "lm_head.weight".to_string(),
            vec![vocab, d],
            draw(vocab * d, 0.5),
        ));
    }
    out
}

/// The GGUF name of a Hugging Face tensor name.
fn gguf_name(hf: &str) -> String {
    let fixed = [
        ("model.embed_tokens.weight", "token_embd.weight"),
        ("model.norm.weight", "output_norm.weight"),
        ("lm_head.weight", "output.weight"),
    ];
    if let Some((_, g)) = fixed.iter().find(|(h, _)| *h == hf) {
        return g.to_string();
    }
    let rest = hf.trim_start_matches("model.layers.");
    let (i, name) = rest.split_once('.').unwrap_or(("0", rest));
    let part = match name.trim_end_matches(".weight") {
        "input_layernorm" => "attn_norm",
        "post_attention_layernorm" => "ffn_norm",
        "self_attn.q_proj" => "attn_q",
        "self_attn.k_proj" => "attn_k",
        "self_attn.v_proj" => "attn_v",
        "self_attn.o_proj" => "attn_output",
        "mlp.gate_proj" => "ffn_gate",
        "mlp.up_proj" => "ffn_up",
        _ => "ffn_down",
    };
    format!("blk.{i}.{part}.weight")
}

/// Writes a tiny model as GGUF with its matrices stored as `dtype` (norms stay F32, as
/// llama.cpp's converter keeps them).
pub fn write_gguf(path: &Path, t: &Tiny, dtype: DType, seed: u64) -> Result<()> {
    let mut w = GgufWriter::new();
    let toks = tokens();
    let merges: Vec<String> = MERGES.iter().map(|(a, b)| format!("{a} {b}")).collect();
    let mut types = vec![1i32; toks.len()];
    let n = types.len();
    types[n - SPECIALS.len()..].fill(3);
    let hd = (t.hidden / t.heads) as u32;
    w.string("general.architecture", "llama")
        .string("general.name", "runner tiny llama")
        .u32("llama.block_count", t.blocks as u32)
        .u32("llama.context_length", 256)
        .u32("llama.embedding_length", t.hidden as u32)
        .u32("llama.feed_forward_length", t.feed_forward as u32)
        .u32("llama.attention.head_count", t.heads as u32)
        .u32("llama.attention.head_count_kv", t.kv_heads as u32)
        .u32("llama.rope.dimension_count", hd)
        .f32("llama.rope.freq_base", 10000.0)
        .f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
        .u32("llama.vocab_size", n as u32)
        .string("tokenizer.ggml.model", "gpt2")
        .string("tokenizer.ggml.pre", "smollm")
        .strings("tokenizer.ggml.tokens", &toks)
        .i32s("tokenizer.ggml.token_type", &types)
        .strings("tokenizer.ggml.merges", &merges)
        .u32("tokenizer.ggml.eos_token_id", (n - 1) as u32)
        .bool("tokenizer.ggml.add_bos_token", false)
        .string(
            "tokenizer.chat_template",
            "{{ '<|im_start|>system\\nYou are tiny.<|im_end|>\\n' }}",
        );
    for (name, shape, data) in weights(t, seed) {
        let mut data = data;
        let heads = match name.as_str() {
            n if n.ends_with("q_proj.weight") => t.heads,
            n if n.ends_with("k_proj.weight") => t.kv_heads,
            _ => 0,
        };
        if heads > 0 {
            data = pair_rows(&data, heads, shape[1]);
        }
        let dims: Vec<u64> = shape.iter().rev().map(|&d| d as u64).collect();
        let kind = if shape.len() == 1 { DType::F32 } else { dtype };
        w.tensor(&gguf_name(&name), &dims, &data, kind)?;
    }
    w.write(path)
}

/// Writes the same tiny model (F32) as a Hugging Face directory: config.json,
/// model.safetensors, tokenizer.json and tokenizer_config.json.
pub fn write_hf_dir(
    dir: &Path,
    t: &Tiny,
    seed: u64,
    tokenizer: &tokenizers::Tokenizer,
) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let n = tokens().len();
    let config = serde_json::json!({
        "model_type": "llama", "hidden_size": t.hidden, "intermediate_size": t.feed_forward,
        "num_hidden_layers": t.blocks, "num_attention_heads": t.heads, "num_key_value_heads": t.kv_heads,
        "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "max_position_embeddings": 256,
        "vocab_size": n, "tie_word_embeddings": t.tied
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string_pretty(&config)?,
    )?;
    let tensors = weights(t, seed);
    let refs: Vec<(&str, Vec<usize>, Vec<f32>)> = tensors
        .iter()
        .map(|(n, s, w)| (n.as_str(), s.clone(), w.clone()))
        .collect();
    write_f32(&dir.join("model.safetensors"), &refs)?;
    tokenizer
        .save(dir.join("tokenizer.json"), false)
        .map_err(|e| anyhow::anyhow!("saving tokenizer.json: {e}"))?;
    let tc = serde_json::json!({"eos_token": SPECIALS[2], "add_bos_token": false,
        "chat_template": "{{ '<|im_start|>system\\nYou are tiny.<|im_end|>\\n' }}"});
    std::fs::write(
        dir.join("tokenizer_config.json"),
        serde_json::to_string_pretty(&tc)?,
    )?;
    Ok(())
}
