//! The `codec` task: classical compressors on texts, with honest timing, a verified round trip
//! per response, compression_results.json per response and statistics per codec.
//!
//! ```toml
//! [experiment]
//! task = "codec"
//! [params]
//! dataset = "canterbury"          # a data set name, a path, or a table (see below)
//! [grid]
//! algorithm = ["gzip", "xz", "zstd", "brotli"]
//! level = ["min", "default", "max"]
//! ```
//! `dataset` as a table: `{ path = "gen.jsonl", field = "response", tokenizer = "tokenizer.json",
//! batch_field = "batch" }` (or `name = "squad-dev"`; `format` = auto, files, jsonl, squad).

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use super::builtin::{duration_param, int_param, ExecContext};
use super::schema::{self, Kind, Param};
use super::Task;
use crate::codecs::algorithm::{Algorithm, Codec, LevelSpec, ALL};
use crate::codecs::timing::TimingPolicy;
use crate::codecs::{evaluate, stats};
use crate::data::texts::{self, Format, TextSource};
use crate::spec::node::NodeKind;
use crate::spec::suggest::help_for;
use crate::spec::{Spec, SpecError};

/// Parameters of the codec task.
pub const PARAMS: &[Param] = &[
    Param { name: "dataset", kind: Kind::StrOrTable, required: true, doc: "data set name (canterbury, squad-dev, bible, xquad-en), a path, or { path, format, field, tokenizer, batch_field }" },
    Param { name: "algorithm", kind: Kind::StrOrList, required: true, doc: "gzip, zlib, deflate, xz, lzma, lz4, zstd, brotli, \"all\", or a list" },
    Param { name: "level", kind: Kind::StrOrInt, required: false, doc: "a level in the algorithm's range, \"9e\" (xz/lzma extreme), or min / default / max" },
    Param { name: "batch_size", kind: Kind::Int, required: false, doc: "responses per batch when the input has no batches (default 32)" },
    Param { name: "max_responses", kind: Kind::Int, required: false, doc: "evaluate a seeded sample of this many responses (input order kept)" },
    Param { name: "min_time", kind: Kind::Duration, required: false, doc: "minimum measured time per timing (default \"5ms\")" },
    Param { name: "write_results", kind: Kind::Bool, required: false, doc: "write compression_results.json (default true)" },
];

/// The `codec` task kind.
pub struct CodecTask;

impl Task for CodecTask {
    fn name(&self) -> &'static str {
        "codec"
    }

    fn summary(&self) -> &'static str {
        "classical compressors (gzip ... brotli) on texts: ratio, timing, verified round trip"
    }

    fn placement(&self) -> super::Placement {
        super::Placement::Cpu
    }

    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError> {
        schema::check(spec, self.name(), PARAMS)?;
        let names: Vec<&str> = ALL.iter().map(|a| a.name()).chain(["all"]).collect();
        for node in schema::values_of(spec, "algorithm") {
            let items: Vec<&crate::spec::node::Node> = match &node.kind {
                NodeKind::Array(items) => items.iter().collect(),
                _ => vec![node],
            };
            for item in items {
                let name = item.as_str("algorithm")?;
                if name != "all" && Algorithm::parse(name).is_none() {
                    return Err(SpecError::at(
                        &item.loc,
                        "algorithm",
                        format!("unknown algorithm `{name}`"),
                    )
                    .help(help_for(name, &names, "algorithms")));
                }
            }
        }
        for node in schema::values_of(spec, "level") {
            if let NodeKind::Str(s) = &node.kind {
                if LevelSpec::parse(s).is_none() {
                    return Err(
                        SpecError::at(&node.loc, "level", format!("invalid level `{s}`")).help(
                            "a number, \"9e\" (xz/lzma extreme), \"min\", \"default\" or \"max\"",
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn check_run(&self, config: &Map<String, Value>) -> Result<(), (String, String)> {
        codecs_of(config)
            .map(|_| ())
            .map_err(|e| ("level".to_string(), e))
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<Value> {
        let codecs = codecs_of(config).map_err(anyhow::Error::msg)?;
        let source = source_of(config.get("dataset").context("no `dataset`")?)?;
        let mut texts = texts::load(&source)?;
        if let Some(n) = int_param(config, "max_responses") {
            texts = crate::data::sampling::sample(texts, n.max(0) as usize, ctx.seed);
        }
        let policy = TimingPolicy {
            min_time: duration_param(config, "min_time")?
                .unwrap_or(std::time::Duration::from_millis(5)),
            ..TimingPolicy::default()
        };
        let batch_size = int_param(config, "batch_size").unwrap_or(32).max(1) as usize;
        let total = texts.len();
        let batches = evaluate::evaluate(&texts, &codecs, batch_size, policy, |done| {
            if done % 16 == 0 || done == total {
                ctx.progress(done, total, "responses");
            }
        });
        if config
            .get("write_results")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            let text = serde_json::to_vec_pretty(&batches)?;
            crate::store::atomic::write_atomic(&ctx.out("compression_results.json"), &text)?;
        }
        let summary = stats::summarize(&batches);
        println!("{}", stats::render(&summary));
        for b in &batches {
            for r in &b.responses {
                for c in r.compression_results.iter().filter(|c| c.error.is_some()) {
                    eprintln!(
                        "response {} ({}), {}: {}",
                        r.response_index,
                        r.source,
                        c.algorithm,
                        c.error.as_deref().unwrap_or("")
                    );
                }
            }
        }
        Ok(stats::metrics_json(&summary, total, batches.len()))
    }
}

/// The codecs a config asks for (algorithm(s) at its level).
pub fn codecs_of(config: &Map<String, Value>) -> Result<Vec<Codec>, String> {
    let names: Vec<String> = match config.get("algorithm") {
        Some(Value::String(s)) if s == "all" => ALL.iter().map(|a| a.name().to_string()).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => return Err("no `algorithm`".into()),
    };
    let level = match config.get("level") {
        None => LevelSpec::Default,
        Some(Value::Number(n)) => LevelSpec::Number(n.as_i64().unwrap_or(-1) as i32, false),
        Some(Value::String(s)) => {
            LevelSpec::parse(s).ok_or_else(|| format!("invalid level `{s}`"))?
        }
        Some(other) => return Err(format!("invalid level {other}")),
    };
    names
        .iter()
        .map(|n| {
            let a = Algorithm::parse(n).ok_or_else(|| format!("unknown algorithm `{n}`"))?;
            Codec::new(a, &level)
        })
        .collect()
}

/// A text source from the `dataset` value.
pub fn source_of(value: &Value) -> Result<TextSource> {
    match value {
        Value::String(s) => Ok(TextSource::path(crate::data::resolve(s))),
        Value::Object(t) => {
            let reference = t
                .get("path")
                .or_else(|| t.get("name"))
                .and_then(Value::as_str)
                .context("`dataset` needs `path` or `name`")?;
            let format = match t.get("format").and_then(Value::as_str).unwrap_or("auto") {
                "auto" => Format::Auto,
                "files" => Format::Files,
                "jsonl" => Format::Jsonl,
                "squad" => Format::Squad,
                other => bail!("`dataset.format` `{other}`: use auto, files, jsonl or squad"),
            };
            Ok(TextSource {
                path: crate::data::resolve(reference),
                format,
                field: t
                    .get("field")
                    .and_then(Value::as_str)
                    .unwrap_or("text")
                    .to_string(),
                tokenizer: t.get("tokenizer").and_then(Value::as_str).map(Into::into),
                batch_field: t
                    .get("batch_field")
                    .and_then(Value::as_str)
                    .map(String::from),
            })
        }
        _ => bail!("`dataset` must be a string or a table"),
    }
}
