//! `runner codec FILES...`: classical compressors on files, directories, JSONL responses or
//! SQuAD contexts, with the same statistics as the `codec` task and no spec to write.

use std::path::PathBuf;

use crate::error::ExitCode;
use anyhow::Result;

use crate::codecs::timing::TimingPolicy;
use crate::codecs::{evaluate, stats};
use crate::data::texts::{self, Format, TextSource};

/// Arguments of `runner codec`.
#[derive(clap::Args, Debug)]
pub struct CodecArgs {
    /// Inputs: files, directories, .jsonl responses, SQuAD .json files, or data set names
    /// (canterbury, squad-dev, bible, xquad-en).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Algorithms, comma-separated (gzip, zlib, deflate, xz, lzma, lz4, zstd, brotli, all).
    #[arg(short, long, default_value = "all", value_delimiter = ',')]
    pub algorithms: Vec<String>,
    /// Level: a number, 9e, min, default or max.
    #[arg(short, long, default_value = "max")]
    pub level: String,
    /// JSONL field holding each response.
    #[arg(long, default_value = "text")]
    pub field: String,
    /// tokenizer.json to decode token ids and count tokens.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Minimum measured time per timing.
    #[arg(long, default_value = "5ms")]
    pub min_time: humantime::Duration,
    /// Responses per batch.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Write the per-response results (compression_results.json structure) here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `runner codec`.
pub fn codec(args: CodecArgs) -> Result<ExitCode> {
    let mut config = serde_json::Map::new();
    config.insert("algorithm".into(), serde_json::to_value(&args.algorithms)?);
    let level = match args.level.parse::<i64>() {
        Ok(n) => serde_json::Value::from(n),
        Err(_) => serde_json::Value::from(args.level.clone()),
    };
    config.insert("level".into(), level);
    let codecs = crate::task::codec::codecs_of(&config).map_err(anyhow::Error::msg)?;
    let mut all = Vec::new();
    for input in &args.inputs {
        let source = TextSource {
            path: crate::data::resolve(input),
            format: Format::Auto,
            field: args.field.clone(),
            tokenizer: args.tokenizer.clone(),
            batch_field: None,
        };
        all.extend(texts::load(&source)?);
    }
    let policy = TimingPolicy {
        min_time: *args.min_time,
        ..TimingPolicy::default()
    };
    let batches = evaluate::evaluate(&all, &codecs, args.batch_size, policy, |_| {});
    let summary = stats::summarize(&batches);
    print!("{}", stats::render(&summary));
    if let Some(path) = &args.json {
        crate::store::atomic::write_atomic(path, &serde_json::to_vec_pretty(&batches)?)?;
        eprintln!("wrote {}", path.display());
    }
    let errors: usize = summary.iter().map(|(_, s)| s.errors).sum();
    Ok(if errors > 0 {
        ExitCode::Incomplete
    } else {
        ExitCode::Complete
    })
}
