//! What `llm-eval` and `runner llm` measure with a pretrained model: bits per byte of a text read
//! in windows, and generation, each timed.

use std::time::Instant;

use anyhow::{bail, Result};
use serde::Serialize;

use crate::models::llama::generate::greedy;
use crate::models::llama::score::score_text;
use crate::models::llama::{Pretrained, Windows};

/// A text scored by a model.
#[derive(Debug, Clone, Serialize)]
pub struct TextScore {
    /// Bytes of the text.
    pub bytes: usize,
    /// Its tokens.
    pub tokens: usize,
    /// Tokens scored (all but the first).
    pub scored_tokens: usize,
    /// Bytes of the scored tokens.
    pub scored_bytes: usize,
    /// Bits the model needs for the scored tokens.
    pub bits: f64,
    /// Bits per scored byte.
    pub bits_per_byte: f64,
    /// The windows read.
    pub windows: Windows,
    /// Seconds of scoring (tokenizing excluded).
    pub seconds: f64,
    /// Tokens the model evaluated per second (every window's tokens).
    pub tokens_per_s: f64,
}

/// Scores `text` (UTF-8) in `windows`.
pub fn bits_per_byte(p: &Pretrained, text: &str, windows: Windows) -> Result<TextScore> {
    let ids = p.vocab.encode(text)?;
    if ids.len() < 2 {
        bail!("a text of {} tokens has nothing to score", ids.len());
    }
    let start = Instant::now();
    let bits = score_text(&p.model, &ids, windows)?;
    let seconds = start.elapsed().as_secs_f64();
    let evaluated: usize = windows.spans(ids.len()).iter().map(|(s, e, _)| e - s).sum();
    let scored_bytes: usize = ids[1..].iter().map(|&t| p.vocab.token_bytes(t).len()).sum();
    let total: f64 = bits.iter().sum();
    Ok(TextScore {
        bytes: text.len(),
        tokens: ids.len(),
        scored_tokens: bits.len(),
        scored_bytes,
        bits: total,
        bits_per_byte: total / scored_bytes.max(1) as f64,
        windows,
        seconds,
        tokens_per_s: evaluated as f64 / seconds.max(1e-9),
    })
}

/// A generated continuation.
#[derive(Debug, Clone, Serialize)]
pub struct Generated {
    /// The prompt's tokens.
    pub prompt_tokens: usize,
    /// The generated token ids.
    pub ids: Vec<u32>,
    /// Their text (bytes that are not UTF-8 replaced).
    pub text: String,
    /// Seconds, prompt included.
    pub seconds: f64,
    /// Generated tokens per second.
    pub tokens_per_s: f64,
}

/// Greedily continues `prompt` (as a chat turn with `chat`, the template's default system
/// message unless `system` is given) for up to `max_tokens`.
pub fn generate(
    p: &Pretrained,
    prompt: &str,
    chat: bool,
    system: Option<&str>,
    max_tokens: usize,
) -> Result<Generated> {
    let ids = match chat {
        true => crate::models::llama::chat::prompt(&p.vocab, system, prompt)?,
        false => p.vocab.encode(prompt)?,
    };
    if ids.is_empty() {
        bail!("an empty prompt");
    }
    let start = Instant::now();
    let out = greedy(&p.model, &ids, max_tokens, &p.stop_tokens());
    let seconds = start.elapsed().as_secs_f64();
    Ok(Generated {
        prompt_tokens: ids.len(),
        text: String::from_utf8_lossy(&p.vocab.decode_bytes(&out)).into_owned(),
        tokens_per_s: out.len() as f64 / seconds.max(1e-9),
        ids: out,
        seconds,
    })
}
