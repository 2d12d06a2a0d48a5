//! An `lm-codec` run with a pretrained language model (`model = "smollm2-135m-instruct"`):
//! each file coded by `codecs::llm`, decoded again and compared, with the same rows and totals
//! as a run with a network trained here, and the model's SHA-256 recorded.

use anyhow::Result;
use serde_json::{json, Value};

use super::files::{baselines, totals, verified_row};
use crate::codecs::llm::{self, driver::Policy};
use crate::models::llama::Pretrained;
use crate::task::builtin::{ExecContext, RunOutput};

/// What a run with a pretrained model needs from its parameters.
#[derive(Debug, Clone)]
pub struct LlmRunSettings {
    /// The model's reference (a known name, a `.gguf` file or a checkpoint directory).
    pub model: String,
    /// Streams coded in lock step.
    pub streams: usize,
    /// Tokens of context the model sees at most.
    pub window: usize,
    /// Tokens kept when the window is rebuilt.
    pub keep: usize,
    /// Whether each row also gets the classical codecs' sizes.
    pub baselines: bool,
    /// The token mixer (`codecs::llm::mixer`): 0 none, 1 mixer 1.
    pub mixer: u8,
}

/// The token mixer a `mixing` choice selects with a pretrained model: `on` mixer 1, `auto` and
/// `off` none (the model alone); `counts` has no meaning there (None).
pub fn mixer_of(mixing: crate::codecs::learned::mixing::Mixing) -> Option<u8> {
    use crate::codecs::learned::mixing::Mixing;
    match mixing {
        Mixing::On => Some(1),
        Mixing::Auto | Mixing::Off => Some(0),
        Mixing::Counts => None,
    }
}

/// Codes, decodes and checks one file; returns its row.
fn one(
    p: &LlmRunSettings,
    model: &Pretrained,
    policy: Policy,
    ctx: &ExecContext,
    name: &str,
    data: &[u8],
) -> Result<Value> {
    let compressed = llm::compress(data, model, policy, ctx.threads, |t, n| {
        ctx.progress(t, 2 * n, name)
    })?;
    let back = llm::decompress(&compressed.bytes, model, |t, n| {
        ctx.progress(n + t, 2 * n, name)
    })?;
    if back.bytes != data {
        anyhow::bail!("{name}: the round trip failed (decompressed bytes differ)");
    }
    let n = data.len().max(1) as f64;
    let seconds = (compressed.seconds, back.seconds);
    let mut row = verified_row(name, data.len(), compressed.bytes.len(), seconds);
    row["ideal_bpc"] = json!(compressed.bits / n);
    row["tokens"] = json!(compressed.tokens);
    row["streams"] = json!(policy.streams.min(compressed.tokens.max(1)));
    row["profile"] = json!({"compress": {"total_s": compressed.seconds}, "decompress": {"total_s": back.seconds}});
    if p.baselines {
        row["baselines"] = baselines(data)?;
    }
    Ok(row)
}

/// The run: every file of the input with the model `p.model` names.
pub fn run(
    p: &LlmRunSettings,
    ctx: &ExecContext,
    files: &[crate::data::texts::Text],
) -> Result<RunOutput> {
    let model = Pretrained::named(&p.model, &ctx.device, true)?;
    let policy = Policy {
        streams: p.streams,
        window: p.window,
        keep: p.keep,
        start: llm::start_token(&model),
        mixer: p.mixer,
    };
    let mut rows = Vec::new();
    for file in files {
        let row = one(p, &model, policy, ctx, &file.source, &file.bytes)?;
        println!("{}", serde_json::to_string(&row)?);
        rows.push(row);
    }
    crate::store::atomic::write_json(&ctx.out("lm_codec_results.json"), &rows)?;
    let mut metrics = totals(&rows, Some(model.file_bytes));
    let tokens: u64 = rows.iter().filter_map(|r| r["tokens"].as_u64()).sum();
    let bits: f64 = rows
        .iter()
        .filter_map(|r| Some(r["ideal_bpc"].as_f64()? * r["original_bytes"].as_f64()?))
        .sum();
    let original: f64 = rows
        .iter()
        .filter_map(|r| r["original_bytes"].as_f64())
        .sum();
    metrics.insert("ideal_bpc".into(), json!(bits / original.max(1.0)));
    metrics.insert("tokens".into(), json!(tokens));
    metrics.insert("model_sha256".into(), json!(model.sha256));
    metrics.insert("parameters".into(), json!(model.config.parameters()));
    metrics.insert(
        "peak_memory_mb".into(),
        json!(crate::store::provenance::peak_memory_mb()),
    );
    metrics.insert("files".into(), json!(rows.len()));
    Ok(RunOutput {
        metrics,
        artifacts: Vec::new(),
    })
}
