//! The shape of a Llama-family decoder, read from a checkpoint's own metadata (GGUF keys or a
//! Hugging Face config.json), never assumed: widths, blocks, heads, rotary base, norm epsilon,
//! vocabulary, context, tied output. Every number is bounded before anything is allocated.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::models::gguf::Gguf;

/// Widest hidden layer accepted.
pub const MAX_HIDDEN: usize = 1 << 16;
/// Most blocks accepted.
pub const MAX_BLOCKS: usize = 1024;
/// Largest vocabulary accepted.
pub const MAX_VOCAB: usize = 1 << 21;

/// The shape of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlamaConfig {
    /// Tokens of the vocabulary.
    pub vocab: usize,
    /// Hidden width.
    pub hidden: usize,
    /// Width of the feed-forward layer.
    pub feed_forward: usize,
    /// Decoder blocks.
    pub blocks: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (grouped-query attention: a divisor of `heads`).
    pub kv_heads: usize,
    /// Width of a head.
    pub head_dim: usize,
    /// Base of the rotary frequencies.
    pub rope_base: f64,
    /// Epsilon of the RMS norms.
    pub norm_eps: f64,
    /// Context the model was trained for.
    pub context: usize,
    /// Whether the output layer is the token embedding.
    pub tied: bool,
}

impl LlamaConfig {
    /// Checks the shape; the message names the problem.
    pub fn validate(&self) -> Result<()> {
        let c = self;
        if c.vocab == 0 || c.hidden == 0 || c.feed_forward == 0 || c.blocks == 0 || c.heads == 0 {
            bail!("a width, the vocabulary, the blocks or the heads are 0: {c:?}");
        }
        if c.hidden > MAX_HIDDEN
            || c.feed_forward > 8 * MAX_HIDDEN
            || c.blocks > MAX_BLOCKS
            || c.vocab > MAX_VOCAB
        {
            bail!(
                "implausibly large (hidden {}, feed-forward {}, blocks {}, vocabulary {}; at most {MAX_HIDDEN}, {}, {MAX_BLOCKS}, {MAX_VOCAB})",
                c.hidden,
                c.feed_forward,
                c.blocks,
                c.vocab,
                8 * MAX_HIDDEN
            );
        }
        if c.kv_heads == 0 || !c.heads.is_multiple_of(c.kv_heads) {
            bail!(
                "{} query heads cannot share {} key/value heads",
                c.heads,
                c.kv_heads
            );
        }
        if c.head_dim == 0 || !c.head_dim.is_multiple_of(2) || c.head_dim * c.heads > 4 * MAX_HIDDEN
        {
            bail!(
                "head width {} (even, and heads × width plausible)",
                c.head_dim
            );
        }
        let rope_ok = c.rope_base > 1.0 && c.rope_base.is_finite();
        let eps_ok = c.norm_eps > 0.0 && c.norm_eps < 1.0;
        if !(rope_ok && eps_ok) {
            bail!(
                "rotary base {} or norm epsilon {} out of range",
                c.rope_base,
                c.norm_eps
            );
        }
        Ok(())
    }

    /// Weights of the model (the tied output counted once).
    pub fn parameters(&self) -> usize {
        let (d, h) = (self.hidden, self.head_dim);
        let attention = d * h * (self.heads * 2 + self.kv_heads * 2);
        let block = attention + 3 * d * self.feed_forward + 2 * d;
        let output = if self.tied { 0 } else { self.vocab * d };
        self.vocab * d + self.blocks * block + d + output
    }

    /// The shape a GGUF file's metadata gives (architecture `llama`).
    pub fn from_gguf(g: &Gguf) -> Result<LlamaConfig> {
        let arch = g
            .get("general.architecture")
            .and_then(|v| v.as_str())
            .context("no general.architecture")?;
        if arch != "llama" {
            bail!("architecture `{arch}`: runner runs the Llama family (`llama`)");
        }
        let int = |key: &str| -> Result<usize> {
            let full = format!("llama.{key}");
            let v = g.get(&full).with_context(|| format!("no {full}"))?;
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .with_context(|| format!("{full} is {}, not a count", v.describe()))
        };
        let float = |key: &str, default: f64| -> Result<f64> {
            match g.get(&format!("llama.{key}")) {
                Some(v) => v
                    .as_f64()
                    .with_context(|| format!("llama.{key} is {}", v.describe())),
                None => Ok(default),
            }
        };
        let hidden = int("embedding_length")?;
        let heads = int("attention.head_count")?;
        let head_dim = int("attention.key_length").unwrap_or(hidden / heads.max(1));
        let vocab = match int("vocab_size") {
            Ok(v) => v,
            Err(_) => g
                .get("tokenizer.ggml.tokens")
                .and_then(|t| t.as_array())
                .map(|t| t.len())
                .context("no llama.vocab_size and no tokenizer.ggml.tokens")?,
        };
        if let Ok(rope_dim) = int("rope.dimension_count") {
            if rope_dim != head_dim {
                bail!("rotary positions over {rope_dim} of {head_dim} head dimensions (partial rotary is not supported)");
            }
        }
        let config = LlamaConfig {
            vocab,
            hidden,
            feed_forward: int("feed_forward_length")?,
            blocks: int("block_count")?,
            heads,
            kv_heads: int("attention.head_count_kv").unwrap_or(heads),
            head_dim,
            rope_base: float("rope.freq_base", 10_000.0)?,
            norm_eps: float("attention.layer_norm_rms_epsilon", 1e-5)?,
            context: int("context_length")?,
            tied: g.tensor("output.weight").is_none(),
        };
        config.validate()?;
        Ok(config)
    }

    /// The shape a Hugging Face config.json gives (`model_type` llama, or the Llama-shaped
    /// `mistral` and `qwen2` without their extras).
    pub fn from_hf(config: &Value) -> Result<LlamaConfig> {
        let kind = config["model_type"].as_str().unwrap_or("");
        if kind != "llama" {
            bail!("model_type `{kind}`: runner runs the Llama family (`llama`)");
        }
        if !config["rope_scaling"].is_null() {
            bail!(
                "rope_scaling {} is not supported (plain rotary positions only)",
                config["rope_scaling"]
            );
        }
        let int = |key: &str| -> Result<usize> {
            config[key]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .with_context(|| format!("config.json: `{key}` is {}, not a count", config[key]))
        };
        let hidden = int("hidden_size")?;
        let heads = int("num_attention_heads")?;
        let c = LlamaConfig {
            vocab: int("vocab_size")?,
            hidden,
            feed_forward: int("intermediate_size")?,
            blocks: int("num_hidden_layers")?,
            heads,
            kv_heads: int("num_key_value_heads").unwrap_or(heads),
            head_dim: int("head_dim").unwrap_or(hidden / heads.max(1)),
            // The model computes in f32 (as GGUF stores these): the same numbers either way.
            rope_base: config["rope_theta"].as_f64().unwrap_or(10_000.0) as f32 as f64,
            norm_eps: config["rms_norm_eps"].as_f64().unwrap_or(1e-6) as f32 as f64,
            context: int("max_position_embeddings")?,
            tied: config["tie_word_embeddings"].as_bool().unwrap_or(false),
        };
        c.validate()?;
        Ok(c)
    }
}
