//! `runner lm-codec bench`: the learned codec's settings and the reference compressors on the
//! same files, side by side in one run: sizes, bits per character and speeds both ways (every
//! round trip verified), the trade-off of each setting (bpc against KB/s over all files) and
//! the targets checked, everything recorded in a JSON file.

use std::path::Path;

use anyhow::Result;
use burn::tensor::Device;
use serde_json::{json, Value};

use super::format::Params;
use super::mode::Mode;
use super::{compress, decompress, ModelRef};
use crate::codecs::external::{self, ToolResult};

/// One configuration of runner's codec.
pub struct Setting<'a> {
    /// Label in the tables, e.g. "counts" or "pretrained gru h128 K=32".
    pub label: String,
    /// The file's parameters (mode, model, mixing).
    pub params: Params,
    /// The pretrained model, for pretrained and dynamic modes.
    pub model: Option<ModelRef<'a>>,
    /// Streams.
    pub streams: usize,
}

/// A setting with a pretrained language model (`codecs::llm`).
pub struct LlmSetting<'a> {
    /// Label in the tables, e.g. "llm smollm2-135m-instruct K=32 W=1024".
    pub label: String,
    /// The model.
    pub model: &'a crate::models::llama::Pretrained,
    /// Streams and window.
    pub policy: crate::codecs::llm::driver::Policy,
    /// Threads of the computation.
    pub threads: usize,
}

/// What to benchmark.
pub struct BenchPlan<'a> {
    /// The inputs' names and bytes.
    pub inputs: Vec<(String, Vec<u8>)>,
    /// runner's settings.
    pub settings: Vec<Setting<'a>>,
    /// Settings with a pretrained language model.
    pub llm: Vec<LlmSetting<'a>>,
    /// Where the models compute.
    pub device: Device,
}

/// One measured row: a compressor on an input.
fn row(
    input: &str,
    label: &str,
    n: usize,
    bytes: usize,
    seconds: (f64, f64),
    verified: bool,
) -> Value {
    let kb = n as f64 / 1000.0;
    json!({
        "input": input,
        "compressor": label,
        "compressed_bytes": bytes,
        "bpc": bytes as f64 * 8.0 / n.max(1) as f64,
        "compress_s": seconds.0,
        "decompress_s": seconds.1,
        "compress_kb_per_s": kb / seconds.0.max(1e-9),
        "decompress_kb_per_s": kb / seconds.1.max(1e-9),
        "verified": verified,
    })
}

fn measure(name: &str, data: &[u8], s: &Setting<'_>, device: &Device) -> Result<Value> {
    let c = compress(
        data,
        &s.params,
        s.model.as_ref(),
        s.streams,
        device,
        |_, _| {},
    )?;
    let d = decompress(&c.bytes, s.model.as_ref(), device, |_, _| {})?;
    let mut r = row(
        name,
        &s.label,
        data.len(),
        c.bytes.len(),
        (c.seconds, d.seconds),
        d.bytes == data,
    );
    r["mode"] = json!(s.params.mode);
    r["streams"] = json!(c.streams);
    r["compress_model_s"] = json!(c.profile.inference.as_secs_f64());
    r["compress_coder_s"] = json!(c.profile.coder.as_secs_f64());
    r["compress_training_s"] = json!(c.profile.training.as_secs_f64());
    Ok(r)
}

fn measure_llm(name: &str, data: &[u8], s: &LlmSetting<'_>) -> Result<Value> {
    use crate::codecs::llm;
    let c = llm::compress(data, s.model, s.policy, s.threads, |_, _| {})?;
    let d = llm::decompress(&c.bytes, s.model, |_, _| {})?;
    let mut r = row(
        name,
        &s.label,
        data.len(),
        c.bytes.len(),
        (c.seconds, d.seconds),
        d.bytes == data,
    );
    r["tokens"] = json!(c.tokens);
    r["ideal_bpc"] = json!(c.bits / data.len().max(1) as f64);
    r["model_sha256"] = json!(s.model.sha256);
    r["streams"] = json!(s.policy.streams);
    r["peak_memory_mb"] = json!(crate::store::provenance::peak_memory_mb());
    Ok(r)
}

/// Prints one measured row.
fn print_row(r: &Value) {
    println!(
        "  {:<34} {:>9} bytes {:>7.4} bpc  compress {:>8.1} KB/s  decompress {:>8.1} KB/s  {}",
        r["compressor"].as_str().unwrap_or(""),
        r["compressed_bytes"],
        r["bpc"].as_f64().unwrap_or(f64::NAN),
        r["compress_kb_per_s"].as_f64().unwrap_or(0.0),
        r["decompress_kb_per_s"].as_f64().unwrap_or(0.0),
        if r["verified"] == json!(true) {
            "verified"
        } else {
            "ROUND TRIP FAILED"
        }
    )
}

/// The reference compressors on one input: gzip -9, xz -9e, zstd -19 and brotli 11 (linked
/// libraries), then the installed anchors (bzip2 -9, zpaq -m5, 7-Zip PPMd).
fn references(name: &str, data: &[u8], missing: &mut Vec<String>) -> Result<Vec<Value>> {
    let mut rows = Vec::new();
    let policy = crate::codecs::timing::TimingPolicy::default();
    for codec in crate::codecs::algorithm::reference_codecs(true) {
        let (packed, c) = crate::codecs::timing::measure(policy, || codec.compress(data));
        let packed = packed?;
        let (back, d) =
            crate::codecs::timing::measure(policy, || codec.decompress(&packed, data.len()));
        let seconds = (c.seconds, d.seconds);
        rows.push(row(
            name,
            &codec.label(),
            data.len(),
            packed.len(),
            seconds,
            back? == data,
        ));
    }
    let file = Path::new(name)
        .file_name()
        .map_or("input".into(), |f| f.to_string_lossy().into_owned());
    for tool in external::anchors() {
        match tool.measure(&file, data)? {
            ToolResult::Missing => {
                if !missing.iter().any(|m| m == tool.label) {
                    missing.push(tool.label.to_string());
                }
            }
            ToolResult::Measured {
                bytes,
                compress_s,
                decompress_s,
                verified,
                ..
            } => rows.push(row(
                name,
                tool.label,
                data.len(),
                bytes,
                (compress_s, decompress_s),
                verified,
            )),
        }
    }
    Ok(rows)
}

/// bpc of `compressor` on `input` in `rows`.
fn bpc_of(rows: &[Value], input: &str, compressor: &str) -> Option<f64> {
    rows.iter()
        .find(|r| r["input"] == input && r["compressor"] == compressor)
        .and_then(|r| r["bpc"].as_f64())
}

/// Every setting's totals over all inputs: bpc of the whole, KB/s of the whole both ways.
fn trade_off(rows: &[Value], labels: &[String]) -> Vec<Value> {
    labels
        .iter()
        .map(|label| {
            let mine: Vec<&Value> = rows
                .iter()
                .filter(|r| r["compressor"] == label.as_str())
                .collect();
            let sum = |k: &str| mine.iter().filter_map(|r| r[k].as_f64()).sum::<f64>();
            let bytes: f64 = mine
                .iter()
                .filter_map(|r| r["compressed_bytes"].as_f64())
                .sum();
            let n: f64 = mine
                .iter()
                .filter_map(|r| Some(r["compressed_bytes"].as_f64()? * 8.0 / r["bpc"].as_f64()?))
                .sum();
            json!({
                "compressor": label,
                "bpc": bytes * 8.0 / n,
                "compress_kb_per_s": n / 1000.0 / sum("compress_s"),
                "decompress_kb_per_s": n / 1000.0 / sum("decompress_s"),
            })
        })
        .collect()
}

/// The targets for each of runner's settings: below bzip2 -9 and xz -9e on every
/// input (and below zpaq -m5 where it ran), alice29 below 1.90 (adaptive) or 2.0 (with a
/// pretrained model), 20 KB/s both ways.
fn targets(rows: &[Value], plan: &BenchPlan<'_>) -> Vec<Value> {
    let below = |label: &str, anchor: &str| -> Option<bool> {
        let mut all = true;
        for (input, _) in &plan.inputs {
            all &= bpc_of(rows, input, label)? < bpc_of(rows, input, anchor)?;
        }
        Some(all)
    };
    let alice = plan
        .inputs
        .iter()
        .find(|(n, _)| n.contains("alice29"))
        .map(|(n, _)| n.as_str());
    plan.settings
        .iter()
        .map(|s| {
            let mine = rows.iter().filter(|r| r["compressor"] == s.label.as_str());
            let fast = mine.clone().all(|r| {
                r["compress_kb_per_s"].as_f64() >= Some(20.0) && r["decompress_kb_per_s"].as_f64() >= Some(20.0)
            });
            let alice_goal = if s.params.mode == Mode::Adaptive { 1.90 } else { 2.0 };
            json!({
                "compressor": s.label,
                "below_bzip2_9_everywhere": below(&s.label, "bzip2-9"),
                "below_xz_9e_everywhere": below(&s.label, "xz-9e"),
                "below_zpaq_m5_everywhere": below(&s.label, "zpaq-m5"),
                "alice29_goal_bpc": alice_goal,
                "alice29_below_goal": alice.and_then(|a| bpc_of(rows, a, &s.label)).map(|b| b < alice_goal),
                "speed_20kb_both_ways": fast,
            })
        })
        .collect()
}

/// Runs the plan, prints the tables and returns the record.
pub fn run(plan: &BenchPlan<'_>) -> Result<Value> {
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for (name, data) in &plan.inputs {
        println!("{name} ({} bytes)", data.len());
        for r in references(name, data, &mut missing)? {
            print_row(&r);
            rows.push(r);
        }
        for s in &plan.settings {
            let r = measure(name, data, s, &plan.device)?;
            print_row(&r);
            rows.push(r);
        }
        for s in &plan.llm {
            let r = measure_llm(name, data, s)?;
            print_row(&r);
            rows.push(r);
        }
    }
    for m in &missing {
        println!("missing: {m} is not installed (its rows are absent)");
    }
    let labels: Vec<String> = plan
        .settings
        .iter()
        .map(|s| s.label.clone())
        .chain(plan.llm.iter().map(|s| s.label.clone()))
        .collect();
    let curve = trade_off(&rows, &labels);
    println!("trade-off over all inputs:");
    for c in &curve {
        println!(
            "  {:<34} {:>7.4} bpc  compress {:>8.1} KB/s  decompress {:>8.1} KB/s",
            c["compressor"].as_str().unwrap_or(""),
            c["bpc"].as_f64().unwrap_or(f64::NAN),
            c["compress_kb_per_s"].as_f64().unwrap_or(0.0),
            c["decompress_kb_per_s"].as_f64().unwrap_or(0.0)
        );
    }
    let targets = targets(&rows, plan);
    for t in &targets {
        println!("targets: {t}");
    }
    Ok(json!({
        "inputs": plan.inputs.iter().map(|(n, d)| json!({"input": n, "bytes": d.len()})).collect::<Vec<_>>(),
        "settings": plan.settings.iter().map(|s| json!({"label": s.label, "params": s.params, "streams": s.streams}))
            .chain(plan.llm.iter().map(|s| json!({"label": s.label, "model_sha256": s.model.sha256, "policy": s.policy, "threads": s.threads})))
            .collect::<Vec<_>>(),
        "rows": rows,
        "trade_off": curve,
        "targets": targets,
        "missing": missing,
        "machine": crate::store::provenance::hostname(),
        "threads_available": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    }))
}

/// Writes the record where `cargo bench` records go.
pub fn save(record: &Value, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::store::atomic::write_json(path, record)
}
