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

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::codecs::algorithm::{Algorithm, Codec, LevelSpec, ALL};
use crate::codecs::timing::TimingPolicy;
use crate::codecs::{evaluate, stats};
use crate::data::texts::{self, Format, TextSource};
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::spec::suggest::help_for;
use crate::task::builtin::{ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::need::{self, Need};
use crate::task::params::define::params;
use crate::task::params::{HumanDuration, Invalid, ParamError, ParamValue};

params! {
    /// Parameters of the `codec` task.
    pub struct CodecParams {
        /// data set name (canterbury, squad-dev, bible, xquad-en), a path, or { path, format, field, tokenizer, batch_field }
        pub dataset: TextInput = TextInput::named("canterbury"), required;
        /// gzip, zlib, deflate, xz, lzma, lz4, zstd, brotli, "all", or a list
        pub algorithm: Algorithms = Algorithms::All, required;
        /// a level in the algorithm's range, "9e" (xz/lzma extreme), or min / default / max
        pub level: LevelSpec = LevelSpec::Default;
        /// responses per batch when the input has no batches
        pub batch_size: usize = 32;
        /// evaluate a seeded sample of this many responses (input order kept; none: all)
        pub max_responses: Option<usize> = None;
        /// minimum measured time per timing (short calls repeat until it is reached)
        pub min_time: HumanDuration = HumanDuration(std::time::Duration::from_millis(5));
        /// write compression_results.json
        pub write_results: bool = true;
    }
}

impl CodecParams {
    /// The codecs the parameters name, each at the level.
    pub fn codecs(&self) -> Result<Vec<Codec>, String> {
        self.algorithm
            .list()
            .into_iter()
            .map(|a| Codec::new(a, &self.level))
            .collect()
    }
}

const METRICS: &[MetricDef] = &[
    MetricDef::headline("bits_per_byte", "bits per byte", Better::Lower),
    MetricDef::headline("ratio_mean", "compressed / original (mean)", Better::Lower),
    MetricDef::headline("compression_mb_s", "compression (MB/s)", Better::Higher),
    MetricDef::headline("decompression_mb_s", "decompression (MB/s)", Better::Higher),
    MetricDef::detail(
        "factor_mean",
        "compression factor (×, mean)",
        Better::Higher,
    ),
    MetricDef::detail(
        "ratio_median",
        "compressed / original (median)",
        Better::Lower,
    ),
    MetricDef::detail("ratio_min", "compressed / original (min)", Better::Lower),
    MetricDef::detail("ratio_max", "compressed / original (max)", Better::Lower),
    MetricDef::detail(
        "ratio_aggregate",
        "compressed / original (all bytes)",
        Better::Lower,
    ),
    MetricDef::detail(
        "compression_time_mean",
        "compression time (s per response)",
        Better::Lower,
    ),
    MetricDef::detail(
        "decompression_time_mean",
        "decompression time (s per response)",
        Better::Lower,
    ),
    MetricDef::count("samples", "responses compressed"),
    MetricDef::count("errors", "round-trip errors"),
    MetricDef::count("responses", "responses"),
    MetricDef::count("batches", "batches"),
    MetricDef::count("total_original_bytes", "original bytes"),
    MetricDef::count("total_compressed_bytes", "compressed bytes"),
];

/// The `codec` task kind.
pub struct CodecTask;

impl BuiltinTask for CodecTask {
    type Params = CodecParams;
    const NAME: &'static str = "codec";
    const SUMMARY: &'static str =
        "classical compressors (gzip ... brotli) on texts: ratio, timing, verified round trip";
    const PLACEMENT: Placement = Placement::Cpu;

    fn metrics(&self) -> &'static [MetricDef] {
        METRICS
    }

    fn needs_for(&self, p: &CodecParams) -> Vec<Need> {
        let mut needs = vec![need::data("dataset", &p.dataset.path)];
        if let Some(t) = &p.dataset.tokenizer {
            needs.push(Need::Path {
                key: "dataset.tokenizer".into(),
                path: t.into(),
            });
        }
        needs
    }

    fn check_params(&self, p: &CodecParams) -> Result<(), ParamError> {
        p.codecs().map(|_| ()).map_err(|message| ParamError {
            key: "level".into(),
            message,
            help: None,
        })
    }

    fn run(&self, p: &CodecParams, ctx: &ExecContext) -> anyhow::Result<RunOutput> {
        let codecs = p.codecs().map_err(anyhow::Error::msg)?;
        let mut inputs = texts::load(&p.dataset.source())?;
        if let Some(n) = p.max_responses {
            inputs = crate::data::sampling::sample(inputs, n, ctx.seed);
        }
        let policy = TimingPolicy {
            min_time: p.min_time.0,
            ..TimingPolicy::default()
        };
        let total = inputs.len();
        let batches = evaluate::evaluate(&inputs, &codecs, p.batch_size.max(1), policy, |done| {
            if done % 16 == 0 || done == total {
                ctx.progress(done, total, "responses");
            }
        });
        if p.write_results {
            let text = serde_json::to_vec_pretty(&batches)?;
            crate::store::atomic::write_atomic(&ctx.out("compression_results.json"), &text)?;
        }
        let summary = stats::summarize(&batches);
        println!("{}", stats::render(&summary));
        for r in batches.iter().flat_map(|b| &b.responses) {
            for c in r.compression_results.iter().filter(|c| c.error.is_some()) {
                let error = c.error.as_deref().unwrap_or("");
                eprintln!(
                    "response {} ({}), {}: {error}",
                    r.response_index, r.source, c.algorithm
                );
            }
        }
        Ok(RunOutput::metrics(stats::metrics_json(
            &summary,
            total,
            batches.len(),
        )))
    }
}

/// The algorithms of a run: every one, or a list.
#[derive(Debug, Clone, PartialEq)]
pub enum Algorithms {
    /// All eight.
    All,
    /// These.
    List(Vec<Algorithm>),
}

impl Algorithms {
    /// The algorithms, in order.
    pub fn list(&self) -> Vec<Algorithm> {
        match self {
            Algorithms::All => ALL.to_vec(),
            Algorithms::List(list) => list.clone(),
        }
    }
}

impl Serialize for Algorithms {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Algorithms::All => s.serialize_str("all"),
            Algorithms::List(list) => list.serialize(s),
        }
    }
}

impl ParamValue for Algorithms {
    fn type_name() -> String {
        let names: Vec<&str> = ALL.iter().map(|a| a.name()).collect();
        format!("{} | all, or a list", names.join(" | "))
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        let names: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut list = Vec::new();
        for v in names {
            let Some(name) = v.as_str() else {
                return Err(Invalid::expected("an algorithm name", v));
            };
            if name == "all" {
                return Ok(Algorithms::All);
            }
            let known: Vec<&str> = ALL.iter().map(|a| a.name()).chain(["all"]).collect();
            let a = Algorithm::parse(name).ok_or_else(|| {
                Invalid::new(format!("unknown algorithm `{name}`")).help(help_for(
                    name,
                    &known,
                    "algorithms",
                ))
            })?;
            list.push(a);
        }
        Ok(Algorithms::List(list))
    }
}

impl Serialize for LevelSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LevelSpec::Number(n, false) => s.serialize_i32(*n),
            LevelSpec::Number(n, true) => s.serialize_str(&format!("{n}e")),
            LevelSpec::Min => s.serialize_str("min"),
            LevelSpec::Default => s.serialize_str("default"),
            LevelSpec::Max => s.serialize_str("max"),
        }
    }
}

impl ParamValue for LevelSpec {
    fn type_name() -> String {
        "a level number, \"9e\", \"min\", \"default\" or \"max\"".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        let help = "a number, \"9e\" (xz/lzma extreme), \"min\", \"default\" or \"max\"";
        match value {
            Value::Number(n) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(|n| LevelSpec::Number(n, false))
                .ok_or_else(|| Invalid::new(format!("invalid level {n}")).help(help)),
            Value::String(s) => LevelSpec::parse(s)
                .ok_or_else(|| Invalid::new(format!("invalid level `{s}`")).help(help)),
            other => Err(Invalid::expected("a level", other)),
        }
    }
}

/// What texts to compress: a data set name or path, or a table saying how to read them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextInput {
    /// A data set name or a path.
    pub path: String,
    /// auto, files, jsonl or squad.
    pub format: String,
    /// JSONL field holding the text or the token ids.
    pub field: String,
    /// tokenizer.json to decode token ids and count tokens.
    pub tokenizer: Option<String>,
    /// JSONL field holding a batch index.
    pub batch_field: Option<String>,
}

impl TextInput {
    /// A data set name or path, read with the defaults.
    pub fn named(reference: &str) -> TextInput {
        TextInput {
            path: reference.into(),
            format: "auto".into(),
            field: "text".into(),
            tokenizer: None,
            batch_field: None,
        }
    }

    /// The source to load.
    pub fn source(&self) -> TextSource {
        TextSource {
            path: crate::data::resolve(&self.path),
            format: match self.format.as_str() {
                "files" => Format::Files,
                "jsonl" => Format::Jsonl,
                "squad" => Format::Squad,
                _ => Format::Auto,
            },
            field: self.field.clone(),
            tokenizer: self.tokenizer.as_ref().map(Into::into),
            batch_field: self.batch_field.clone(),
        }
    }
}

const TABLE_KEYS: &[&str] = &[
    "path",
    "name",
    "format",
    "field",
    "tokenizer",
    "batch_field",
];

impl ParamValue for TextInput {
    fn type_name() -> String {
        "a data set name, a path, or a table".into()
    }

    fn parse(value: &Value) -> Result<Self, Invalid> {
        let table = match value {
            Value::String(s) => return Ok(TextInput::named(s)),
            Value::Object(t) => t,
            other => return Err(Invalid::expected("a string or a table", other)),
        };
        if let Some(k) = table.keys().find(|k| !TABLE_KEYS.contains(&k.as_str())) {
            return Err(Invalid::new(format!("`dataset` has no key `{k}`"))
                .help(help_for(k, TABLE_KEYS, "its keys")));
        }
        let text = |k: &str| -> Result<Option<String>, Invalid> {
            table.get(k).map(String::parse).transpose()
        };
        let reference = text("path")?
            .or(text("name")?)
            .ok_or_else(|| Invalid::new("`dataset` needs `path` or `name`"))?;
        let format = text("format")?.unwrap_or_else(|| "auto".into());
        if !["auto", "files", "jsonl", "squad"].contains(&format.as_str()) {
            return Err(Invalid::new(format!(
                "`dataset.format` `{format}`: use auto, files, jsonl or squad"
            )));
        }
        Ok(TextInput {
            path: reference,
            format,
            field: text("field")?.unwrap_or_else(|| "text".into()),
            tokenizer: text("tokenizer")?,
            batch_field: text("batch_field")?,
        })
    }
}
