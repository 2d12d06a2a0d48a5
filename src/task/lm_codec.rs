//! The `lm-codec` task: lossless compression with a learned language model and a range coder,
//! in pretrained mode (a model trained once on a corpus, shared as an artifact) or adaptive
//! mode (a seeded model that learns while coding). Every file is compressed, decompressed and
//! compared; the run records sizes, ratio, BPC, speed both ways, a time profile, the model's
//! size, and the classical codecs' rows on the same input.
//!
//! ```toml
//! [experiment]
//! task = "lm-codec"
//! [params]
//! input = "canterbury/alice29.txt"   # a file, a directory (every file), or a data set name
//! [grid]
//! arch = ["gru", "lstm", "transformer"]
//! mode = ["pretrained", "adaptive"]
//! ```

use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};

use super::builtin::{int_param, str_param, ExecContext};
use super::schema::{self, Kind, Param};
use super::Task;
use crate::artifacts::lm::{LmArtifactConfig, LM_CODE_VERSION};
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::codecs::learned::format::{AdaptiveSettings, Mode, Params};
use crate::codecs::learned::{self, ModelRef};
use crate::models::lm::train::PretrainConfig;
use crate::models::lm::{Arch, LmConfig};
use crate::spec::{Spec, SpecError};

/// Parameters of the lm-codec task.
pub const PARAMS: &[Param] = &[
    Param {
        name: "input",
        kind: Kind::Str,
        required: true,
        doc: "file, directory (every file in it) or data set name to compress",
    },
    Param {
        name: "mode",
        kind: Kind::Str,
        required: true,
        doc: "pretrained (model trained on `corpus` first), adaptive (a seeded model learns while coding) or dynamic (the pretrained model keeps learning while coding)",
    },
    Param {
        name: "arch",
        kind: Kind::Str,
        required: true,
        doc: "gru, lstm or transformer",
    },
    Param {
        name: "hidden",
        kind: Kind::Int,
        required: false,
        doc: "hidden width (default 256)",
    },
    Param {
        name: "layers",
        kind: Kind::Int,
        required: false,
        doc: "stacked layers (default 1)",
    },
    Param {
        name: "heads",
        kind: Kind::Int,
        required: false,
        doc: "transformer attention heads (default 4)",
    },
    Param {
        name: "window",
        kind: Kind::Int,
        required: false,
        doc: "transformer context window in bytes (default 128)",
    },
    Param {
        name: "streams",
        kind: Kind::Int,
        required: false,
        doc: "chunks coded side by side (default 32)",
    },
    Param {
        name: "threads",
        kind: Kind::Int,
        required: false,
        doc: "threads of the model computation, recorded in the file (default 1)",
    },
    Param {
        name: "learning_rate",
        kind: Kind::Number,
        required: false,
        doc: "Adam learning rate of pretraining or of the adaptive updates (default 3e-3)",
    },
    Param {
        name: "corpus",
        kind: Kind::StrOrList,
        required: false,
        doc: "pretrained: data sets or paths to train on (default [\"bible\", \"squad-dev\"])",
    },
    Param {
        name: "train_steps",
        kind: Kind::Int,
        required: false,
        doc: "pretrained: optimizer steps (default 2500)",
    },
    Param {
        name: "batch_size",
        kind: Kind::Int,
        required: false,
        doc: "pretrained: streams per step (default 32)",
    },
    Param {
        name: "seq_len",
        kind: Kind::Int,
        required: false,
        doc: "pretrained: symbols per stream per step (default 128)",
    },
    Param {
        name: "update_learning_rate",
        kind: Kind::Number,
        required: false,
        doc: "dynamic: learning rate of the updates while coding (default 1e-3)",
    },
    Param {
        name: "tokenizer_vocab",
        kind: Kind::Int,
        required: false,
        doc: "pretrained: a tokenizer-level model over a byte-level BPE of this many tokens (default: bytes)",
    },
    Param {
        name: "segment",
        kind: Kind::Int,
        required: false,
        doc: "adaptive and dynamic: symbols per stream between updates (default 16)",
    },
    Param {
        name: "baselines",
        kind: Kind::Bool,
        required: false,
        doc: "also run gzip -9, xz -9, zstd -19 and brotli 11 on the input (default true)",
    },
];

/// The `lm-codec` task kind.
pub struct LmCodecTask;

const MODES: &[&str] = &["pretrained", "adaptive", "dynamic"];
const ARCHS: &[&str] = &["gru", "lstm", "transformer"];

/// The shape of the model a config asks for.
pub fn model_config(config: &Map<String, Value>) -> Result<LmConfig, String> {
    let arch = str_param(config, "arch").unwrap_or("gru");
    let model = LmConfig {
        arch: Arch::parse(arch).ok_or_else(|| format!("unknown arch `{arch}`"))?,
        hidden: int_param(config, "hidden").unwrap_or(256).max(0) as usize,
        layers: int_param(config, "layers").unwrap_or(1).max(0) as usize,
        heads: int_param(config, "heads").unwrap_or(4).max(0) as usize,
        window: int_param(config, "window").unwrap_or(128).max(0) as usize,
        vocab: crate::models::lm::BYTES,
    };
    model.validate()?;
    Ok(model)
}

fn learning_rate(config: &Map<String, Value>) -> f64 {
    config
        .get("learning_rate")
        .and_then(Value::as_f64)
        .unwrap_or(3e-3)
}

/// The pretrained model a config needs (its artifact identity).
pub fn artifact_config(config: &Map<String, Value>, seed: u64) -> Result<LmArtifactConfig, String> {
    let corpus = match config.get("corpus") {
        None => vec!["bible".to_string(), "squad-dev".to_string()],
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Some(_) => return Err("`corpus` must be a string or a list of strings".into()),
    };
    Ok(LmArtifactConfig {
        code_version: LM_CODE_VERSION,
        model: model_config(config)?,
        corpus,
        train: PretrainConfig {
            steps: int_param(config, "train_steps").unwrap_or(2500).max(1) as usize,
            batch_size: int_param(config, "batch_size").unwrap_or(32).max(1) as usize,
            seq_len: int_param(config, "seq_len").unwrap_or(128).max(1) as usize,
            learning_rate: learning_rate(config),
            seed,
        },
        tokenizer_vocab: int_param(config, "tokenizer_vocab").map(|v| v.max(0) as usize),
    })
}

fn seed_of(config: &Map<String, Value>) -> u64 {
    config.get("seed").and_then(Value::as_i64).unwrap_or(0) as u64
}

impl Task for LmCodecTask {
    fn name(&self) -> &'static str {
        "lm-codec"
    }

    fn summary(&self) -> &'static str {
        "lossless compression with a learned language model (GRU, LSTM, transformer) and a range coder: BPC, ratio, speed, verified round trip"
    }

    fn placement(&self) -> super::Placement {
        super::Placement::Burn
    }

    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError> {
        schema::check(spec, self.name(), PARAMS)?;
        schema::check_names(spec, "mode", MODES, "modes")?;
        schema::check_names(spec, "arch", ARCHS, "architectures")
    }

    fn check_run(&self, config: &Map<String, Value>) -> Result<(), (String, String)> {
        if config.contains_key("tokenizer_vocab") && str_param(config, "mode") != Some("pretrained")
        {
            return Err((
                "tokenizer_vocab".into(),
                "tokenizer-level models need mode = \"pretrained\" (adaptive mode codes bytes)"
                    .into(),
            ));
        }
        model_config(config)
            .map(|_| ())
            .map_err(|e| ("hidden".to_string(), e))
    }

    fn artifacts(&self, config: &Map<String, Value>) -> Vec<ArtifactRequest> {
        if !matches!(str_param(config, "mode"), Some("pretrained" | "dynamic")) {
            return Vec::new();
        }
        match artifact_config(config, seed_of(config)) {
            Ok(c) => vec![ArtifactRequest {
                kind: "lm".into(),
                config: serde_json::to_value(c).unwrap_or_default(),
            }],
            Err(_) => Vec::new(),
        }
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<Value> {
        let input = str_param(config, "input").context("no `input`")?;
        let files = crate::data::texts::load(&crate::data::texts::TextSource {
            format: crate::data::texts::Format::Files,
            ..crate::data::texts::TextSource::path(crate::data::resolve(input))
        })?;
        let model = model_config(config).map_err(anyhow::Error::msg)?;
        let mode = match str_param(config, "mode") {
            Some("pretrained") => Mode::Pretrained,
            Some("dynamic") => Mode::Dynamic,
            _ => Mode::Adaptive,
        };
        let update_rate = match mode {
            Mode::Dynamic => config
                .get("update_learning_rate")
                .and_then(Value::as_f64)
                .unwrap_or(1e-3),
            _ => learning_rate(config),
        };
        let params = Params {
            mode,
            model: model.clone(),
            adaptive: (mode != Mode::Pretrained).then(|| AdaptiveSettings {
                seed: ctx.seed,
                learning_rate: update_rate,
                segment: int_param(config, "segment").unwrap_or(16).max(1) as usize,
            }),
            threads: int_param(config, "threads").unwrap_or(1).max(1) as usize,
            crlf: false,
            text_crc: None,
        };
        let streams = int_param(config, "streams").unwrap_or(32).max(1) as usize;
        let mut extra = Map::new();
        let pretrained = match mode {
            Mode::Pretrained | Mode::Dynamic => {
                let store = ArtifactStore::for_workdir(&std::env::current_dir()?);
                let wanted = artifact_config(config, ctx.seed).map_err(anyhow::Error::msg)?;
                let loaded = crate::artifacts::lm::load(&store, &wanted)?;
                let last = loaded.curve.last();
                extra.insert("artifacts".into(), json!([loaded.artifact.id]));
                extra.insert("model_bytes".into(), json!(loaded.file_bytes));
                extra.insert(
                    "pretrain_heldout_bpc".into(),
                    json!(last.map(|c| c.heldout_bpc)),
                );
                extra.insert("pretrain_seconds".into(), json!(last.map(|c| c.seconds)));
                let _ = std::fs::copy(
                    loaded.artifact.dir.join("curves.jsonl"),
                    ctx.out("curves.jsonl"),
                );
                Some(loaded)
            }
            Mode::Adaptive => None,
        };
        let model_ref = pretrained.as_ref().map(|p| p.model_ref());
        let params = Params {
            model: pretrained
                .as_ref()
                .map_or(params.model.clone(), |p| LmConfig {
                    vocab: p.model.vocab(),
                    ..params.model.clone()
                }),
            ..params
        };
        let baselines = config
            .get("baselines")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let mut rows = Vec::new();
        let total_bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
        let mut done = 0usize;
        for file in &files {
            let report = |t: usize, n: usize| {
                ctx.progress(done + t * file.bytes.len() / n.max(1), total_bytes, "bytes");
            };
            let row = one_file(
                &file.source,
                &file.bytes,
                &params,
                model_ref.as_ref(),
                streams,
                baselines,
                report,
            )?;
            println!("{}", serde_json::to_string(&row)?);
            rows.push(row);
            done += file.bytes.len();
        }
        crate::store::atomic::write_json(&ctx.out("lm_codec_results.json"), &rows)?;
        let mut metrics = totals(&rows, extra.get("model_bytes").and_then(Value::as_u64));
        metrics.extend(extra);
        metrics.insert(
            "parameters".into(),
            json!(crate::models::lm::train::init_seeded(
                &params.model,
                0,
                &burn::tensor::Device::default()
            )
            .parameters()),
        );
        metrics.insert("files".into(), json!(rows.len()));
        metrics.insert("vocab".into(), json!(params.model.vocab));
        Ok(Value::Object(metrics))
    }
}

/// Compresses, decompresses and checks one file; returns its row.
fn one_file(
    name: &str,
    data: &[u8],
    params: &Params,
    model: Option<&ModelRef<'_>>,
    streams: usize,
    baselines: bool,
    mut progress: impl FnMut(usize, usize) + Send,
) -> Result<Value> {
    let io = Instant::now();
    let compressed = learned::compress(data, params, model, streams, |t, n| progress(t, 2 * n))?;
    let back = learned::decompress(&compressed.bytes, model, |t, n| progress(n + t, 2 * n))?;
    let verified = back.bytes == data;
    if !verified {
        anyhow::bail!("{name}: the round trip failed (decompressed bytes differ)");
    }
    let coding = compressed.seconds + back.seconds;
    let n = data.len().max(1) as f64;
    let size = compressed.bytes.len();
    let mut row = json!({
        "file": name,
        "original_bytes": data.len(),
        "compressed_bytes": size,
        "ratio": n / size.max(1) as f64,
        "bpc": size as f64 * 8.0 / n,
        "compress_bytes_per_s": n / compressed.seconds.max(1e-9),
        "decompress_bytes_per_s": n / back.seconds.max(1e-9),
        "verified": verified,
        "streams": compressed.streams,
        "profile": {
            "compress": profile_json(&compressed),
            "decompress": profile_json(&back),
            "io_and_checks_s": (io.elapsed().as_secs_f64() - coding).max(0.0),
            "tokenization_s": (compressed.profile.tokenization + back.profile.tokenization).as_secs_f64(),
        },
    });
    if baselines {
        let mut rows = Map::new();
        for codec in crate::codecs::algorithm::reference_codecs(false) {
            let c = codec.compress(data)?;
            let ok = codec.decompress(&c, data.len())? == data;
            rows.insert(
                codec.label(),
                json!({"compressed_bytes": c.len(), "ratio": n / c.len().max(1) as f64, "bpc": c.len() as f64 * 8.0 / n, "verified": ok}),
            );
        }
        row["baselines"] = Value::Object(rows);
    }
    Ok(row)
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
fn totals(rows: &[Value], model_bytes: Option<u64>) -> Map<String, Value> {
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
