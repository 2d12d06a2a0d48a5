//! `runner lm-codec bench`: the learned codec's benchmark on one file (alice29.txt by
//! default, which no pretrained model sees): pretrained mode at several stream counts, adaptive
//! mode, and the classical codecs, with the targets checked and everything recorded in
//! a JSON file.

use std::path::Path;

use anyhow::Result;
use burn::tensor::Device;
use serde_json::{json, Value};

use super::format::{AdaptiveSettings, Mode, Params};
use super::{compress, decompress, ModelRef};
use crate::models::lm::LmConfig;

/// bzip2 -9 on alice29.txt, in bits per character (the pretrained target).
pub const BZIP2_BPC: f64 = 2.272;

/// What to benchmark.
pub struct BenchPlan<'a> {
    /// The input's name and bytes.
    pub input: (&'a str, &'a [u8]),
    /// A pretrained model (its config, reference and artifact id), if any.
    pub pretrained: Option<(LmConfig, ModelRef<'a>, String)>,
    /// Stream counts for the pretrained model.
    pub streams: Vec<usize>,
    /// The adaptive configuration (model, settings, streams), if any.
    pub adaptive: Option<(LmConfig, AdaptiveSettings, usize)>,
    /// Dynamic evaluation of the pretrained model (update settings, streams), if any.
    pub dynamic: Option<(AdaptiveSettings, usize)>,
    /// Where the models compute.
    pub device: Device,
}

fn measure(
    data: &[u8],
    params: &Params,
    model: Option<&ModelRef<'_>>,
    streams: usize,
    device: &Device,
) -> Result<Value> {
    let c = compress(data, params, model, streams, device, |_, _| {})?;
    let d = decompress(&c.bytes, model, device, |_, _| {})?;
    let n = data.len() as f64;
    Ok(json!({
        "streams": c.streams,
        "compressed_bytes": c.bytes.len(),
        "bpc": c.bytes.len() as f64 * 8.0 / n,
        "compress_kb_per_s": n / 1000.0 / c.seconds,
        "decompress_kb_per_s": n / 1000.0 / d.seconds,
        "verified": d.bytes == data,
        "compress_model_s": c.profile.inference.as_secs_f64(),
        "compress_coder_s": c.profile.coder.as_secs_f64(),
        "compress_training_s": c.profile.training.as_secs_f64(),
    }))
}

/// Prints one measured row.
fn print_row(label: &str, r: &Value) {
    println!(
        "{label:<28} {:>9} bytes {:>7.4} bpc  compress {:>6.1} KB/s  decompress {:>6.1} KB/s  {}",
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

/// gzip -9, xz -9e, zstd -19 and brotli 11 on the input, printed.
fn baselines(data: &[u8]) -> Result<serde_json::Map<String, Value>> {
    let n = data.len() as f64;
    let mut baselines = serde_json::Map::new();
    for codec in crate::codecs::algorithm::reference_codecs(true) {
        let size = codec.round_trip(data)?.len();
        let bpc = size as f64 * 8.0 / n;
        baselines.insert(codec.label(), json!({"compressed_bytes": size, "bpc": bpc}));
        println!("{:<28} {:>9} bytes {:>7.4} bpc", codec.label(), size, bpc);
    }
    Ok(baselines)
}

/// The pretrained model at every stream count, then its dynamic evaluation.
fn pretrained_rows(plan: &BenchPlan<'_>) -> Result<(Vec<Value>, Option<Value>)> {
    let mut rows = Vec::new();
    let mut dynamic = None;
    let Some((config, model, id)) = &plan.pretrained else {
        return Ok((rows, dynamic));
    };
    let data = plan.input.1;
    let params = Params {
        mode: Mode::Pretrained,
        model: config.clone(),
        adaptive: None,
        threads: 1,
        crlf: false,
        text_crc: None,
        backend: None,
    };
    for &k in &plan.streams {
        let r = measure(data, &params, Some(model), k, &plan.device)?;
        print_row(&format!("pretrained {} K={k}", config.arch.name()), &r);
        rows.push(r);
    }
    if let Some((settings, k)) = &plan.dynamic {
        let params = Params {
            mode: Mode::Dynamic,
            adaptive: Some(settings.clone()),
            ..params
        };
        let r = measure(data, &params, Some(model), *k, &plan.device)?;
        print_row(&format!("dynamic {} K={k}", config.arch.name()), &r);
        dynamic = Some(r);
    }
    println!("  (model {id})");
    Ok((rows, dynamic))
}

/// The adaptive model's row, if the plan has one.
fn adaptive_row(plan: &BenchPlan<'_>) -> Result<Option<Value>> {
    let Some((config, settings, k)) = &plan.adaptive else {
        return Ok(None);
    };
    let params = Params {
        mode: Mode::Adaptive,
        model: config.clone(),
        adaptive: Some(settings.clone()),
        threads: 1,
        crlf: false,
        text_crc: None,
        backend: None,
    };
    let r = measure(plan.input.1, &params, None, *k, &plan.device)?;
    print_row(
        &format!("adaptive {} h{} K={k}", config.arch.name(), config.hidden),
        &r,
    );
    Ok(Some(r))
}

/// Runs the plan, prints a table and returns the record.
pub fn run(plan: &BenchPlan<'_>) -> Result<Value> {
    let (name, data) = plan.input;
    let baselines = baselines(data)?;
    let xz_bpc = baselines
        .iter()
        .find(|(k, _)| k.starts_with("xz"))
        .and_then(|(_, v)| v["bpc"].as_f64())
        .unwrap_or(f64::NAN);
    let (pretrained_rows, dynamic_row) = pretrained_rows(plan)?;
    let adaptive_row = adaptive_row(plan)?;
    let best_pretrained = pretrained_rows
        .iter()
        .filter_map(|r| r["bpc"].as_f64())
        .fold(f64::NAN, f64::min);
    let dynamic_bpc = dynamic_row.as_ref().and_then(|r: &Value| r["bpc"].as_f64());
    let best_with_model = dynamic_bpc.map_or(best_pretrained, |d| d.min(best_pretrained));
    let targets = json!({
        "pretrained_below_bzip2": best_pretrained < BZIP2_BPC,
        "pretrained_below_2": best_pretrained < 2.0,
        "with_model_below_bzip2": best_with_model < BZIP2_BPC,
        "with_model_below_2": best_with_model < 2.0,
        "adaptive_below_xz_9e": adaptive_row.as_ref().and_then(|r| r["bpc"].as_f64()).map(|b| b < xz_bpc),
        "pretrained_speed_20kb": pretrained_rows.iter().any(|r| r["compress_kb_per_s"].as_f64() >= Some(20.0) && r["decompress_kb_per_s"].as_f64() >= Some(20.0)),
    });
    println!("targets: {targets}");
    Ok(json!({
        "input": name,
        "bytes": data.len(),
        "baselines": baselines,
        "pretrained_model": plan.pretrained.as_ref().map(|p| p.2.clone()),
        "pretrained": pretrained_rows,
        "adaptive_config": plan.adaptive.as_ref().map(|(c, s, k)| json!({"model": c, "settings": s, "streams": k})),
        "adaptive": adaptive_row,
        "dynamic_config": plan.dynamic.as_ref().map(|(s, k)| json!({"settings": s, "streams": k})),
        "dynamic": dynamic_row,
        "targets": targets,
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
