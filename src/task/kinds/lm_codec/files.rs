//! The files of an `lm-codec` run: each compressed, decompressed and compared, with its
//! time profile and the classical codecs' rows on the same input; the totals of a run.

use std::time::Instant;

use anyhow::Result;
use serde_json::{json, Map, Value};

use crate::codecs::learned::format::Params;
use crate::codecs::learned::{self, ModelRef};
use crate::task::builtin::ExecContext;

/// Compressing, decompressing and checking the run's files.
pub(super) struct Coding<'a> {
    pub(super) params: &'a Params,
    pub(super) model: Option<&'a ModelRef<'a>>,
    pub(super) streams: usize,
    pub(super) baselines: bool,
    pub(super) ctx: &'a ExecContext,
}

impl Coding<'_> {
    /// One row per file, in order.
    pub(super) fn all(&self, files: &[crate::data::texts::Text]) -> Result<Vec<Value>> {
        let total: usize = files.iter().map(|f| f.bytes.len()).sum();
        let mut done = 0usize;
        let mut rows = Vec::new();
        for file in files {
            let report = |t: usize, n: usize| {
                self.ctx
                    .progress(done + t * file.bytes.len() / n.max(1), total, "bytes");
            };
            let row = self.one(&file.source, &file.bytes, report)?;
            println!("{}", serde_json::to_string(&row)?);
            rows.push(row);
            done += file.bytes.len();
        }
        Ok(rows)
    }

    /// Compresses, decompresses and checks one file; returns its row.
    fn one(
        &self,
        name: &str,
        data: &[u8],
        mut progress: impl FnMut(usize, usize) + Send,
    ) -> Result<Value> {
        let io = Instant::now();
        let device = &self.ctx.device;
        let compressed = learned::compress(
            data,
            self.params,
            self.model,
            self.streams,
            device,
            |t, n| progress(t, 2 * n),
        )?;
        let back = learned::decompress(&compressed.bytes, self.model, device, |t, n| {
            progress(n + t, 2 * n)
        })?;
        if back.bytes != data {
            anyhow::bail!("{name}: the round trip failed (decompressed bytes differ)");
        }
        let coding = compressed.seconds + back.seconds;
        let seconds = (compressed.seconds, back.seconds);
        let mut row = verified_row(name, data.len(), compressed.bytes.len(), seconds);
        row["streams"] = json!(compressed.streams);
        row["profile"] = json!({
            "compress": profile_json(&compressed),
            "decompress": profile_json(&back),
            "io_and_checks_s": (io.elapsed().as_secs_f64() - coding).max(0.0),
            "tokenization_s": (compressed.profile.tokenization + back.profile.tokenization).as_secs_f64(),
        });
        if self.baselines {
            row["baselines"] = baselines(data)?;
        }
        Ok(row)
    }
}

/// The row of a file coded both ways and found identical: sizes, ratio, bits per byte and the
/// speed of each direction (`seconds`: compression, decompression).
pub(super) fn verified_row(name: &str, original: usize, size: usize, seconds: (f64, f64)) -> Value {
    let n = original.max(1) as f64;
    json!({
        "file": name,
        "original_bytes": original,
        "compressed_bytes": size,
        "ratio": n / size.max(1) as f64,
        "bpc": size as f64 * 8.0 / n,
        "compress_bytes_per_s": n / seconds.0.max(1e-9),
        "decompress_bytes_per_s": n / seconds.1.max(1e-9),
        "verified": true,
    })
}

/// gzip -9, xz -9, zstd -19 and brotli 11 on the same bytes, round trips checked.
pub(super) fn baselines(data: &[u8]) -> Result<Value> {
    let n = data.len().max(1) as f64;
    let mut rows = Map::new();
    for codec in crate::codecs::algorithm::reference_codecs(false) {
        let c = codec.compress(data)?;
        let ok = codec.decompress(&c, data.len())? == data;
        rows.insert(
            codec.label(),
            json!({"compressed_bytes": c.len(), "ratio": n / c.len().max(1) as f64, "bpc": c.len() as f64 * 8.0 / n, "verified": ok}),
        );
    }
    Ok(Value::Object(rows))
}

fn profile_json(o: &learned::Outcome) -> Value {
    json!({
        "total_s": o.seconds,
        "model_s": o.profile.inference.as_secs_f64(),
        "coder_s": o.profile.coder.as_secs_f64(),
        "training_s": o.profile.training.as_secs_f64(),
        "tokenization_s": o.profile.tokenization.as_secs_f64(),
    })
}

/// Run-level metrics: totals over the files, and the baselines' totals.
pub(super) fn totals(rows: &[Value], model_bytes: Option<u64>) -> Map<String, Value> {
    let sum = |key: &str| -> f64 { rows.iter().filter_map(|r| r[key].as_f64()).sum() };
    let original = sum("original_bytes");
    let compressed = sum("compressed_bytes");
    let seconds = |dir: &str| -> f64 {
        rows.iter()
            .filter_map(|r| r["profile"][dir]["total_s"].as_f64())
            .sum()
    };
    let mut m = Map::new();
    m.insert("original_bytes".into(), json!(original));
    m.insert("compressed_bytes".into(), json!(compressed));
    m.insert("ratio".into(), json!(original / compressed.max(1.0)));
    m.insert("bpc".into(), json!(compressed * 8.0 / original.max(1.0)));
    m.insert(
        "compress_bytes_per_s".into(),
        json!(original / seconds("compress").max(1e-9)),
    );
    m.insert(
        "decompress_bytes_per_s".into(),
        json!(original / seconds("decompress").max(1e-9)),
    );
    m.insert(
        "verified".into(),
        json!(rows.iter().all(|r| r["verified"] == json!(true))),
    );
    if let Some(model) = model_bytes {
        let with_model = compressed + model as f64;
        m.insert("ratio_with_model".into(), json!(original / with_model));
        m.insert(
            "bpc_with_model".into(),
            json!(with_model * 8.0 / original.max(1.0)),
        );
    }
    for part in ["model_s", "coder_s", "training_s"] {
        let s: f64 = rows
            .iter()
            .filter_map(|r| r["profile"]["compress"][part].as_f64())
            .sum();
        m.insert(format!("compress_{part}"), json!(s));
    }
    if let Some(first) = rows.first().and_then(|r| r["baselines"].as_object()) {
        for label in first.keys() {
            let size: f64 = rows
                .iter()
                .filter_map(|r| r["baselines"][label]["compressed_bytes"].as_f64())
                .sum();
            let key = label.replace([' ', '-'], "_");
            m.insert(format!("{key}_bpc"), json!(size * 8.0 / original.max(1.0)));
            m.insert(format!("{key}_ratio"), json!(original / size.max(1.0)));
        }
    }
    m
}
