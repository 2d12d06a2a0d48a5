//! `runner codec FILES...`: classical compressors on files, directories, JSONL responses or
//! SQuAD contexts, with the same statistics as the `codec` task and no spec to write.

use std::path::PathBuf;

use anyhow::Result;

use crate::codecs::timing::TimingPolicy;
use crate::codecs::{evaluate, stats};
use crate::data::texts::{self, Format, TextSource};
use crate::error::ExitCode;
use crate::task::kinds::codec::CodecParams;
use crate::task::params::{parse_key, HumanDuration, ParamValue};

/// The codec task's defaults: every default below comes from here.
fn defaults() -> CodecParams {
    CodecParams::default()
}

/// Arguments of `runner codec`.
#[derive(clap::Args, Debug)]
pub struct CodecArgs {
    /// Inputs: files, directories, .jsonl responses, SQuAD .json files, or data set names
    /// (canterbury, squad-dev, bible, xquad-en).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Algorithms, comma-separated (gzip, zlib, deflate, xz, lzma, lz4, zstd, brotli, all).
    #[arg(short, long, value_delimiter = ',', default_values_t = [ParamValue::show(&defaults().algorithm).trim_matches('"').to_string()])]
    pub algorithms: Vec<String>,
    /// Level: a number, 9e, min, default or max.
    #[arg(short, long, default_value_t = ParamValue::show(&defaults().level).trim_matches('"').to_string())]
    pub level: String,
    /// JSONL field holding each response.
    #[arg(long, default_value_t = defaults().dataset.field)]
    pub field: String,
    /// tokenizer.json to decode token ids and count tokens.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Minimum measured time per timing.
    #[arg(long, default_value_t = defaults().min_time.0.into())]
    pub min_time: humantime::Duration,
    /// Responses per batch.
    #[arg(long, default_value_t = defaults().batch_size)]
    pub batch_size: usize,
    /// Write the per-response results (compression_results.json structure) here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl CodecArgs {
    /// The codec task's parameters these arguments describe (the inputs aside).
    pub fn params(&self) -> Result<CodecParams> {
        let algorithms = serde_json::to_value(&self.algorithms)?;
        let level = match self.level.parse::<i64>() {
            Ok(n) => serde_json::Value::from(n),
            Err(_) => serde_json::Value::from(self.level.clone()),
        };
        let bad = |e: crate::task::params::ParamError| crate::error::bad_input(format!("-{e}"));
        let params = CodecParams {
            algorithm: parse_key("algorithm", &algorithms).map_err(bad)?,
            level: parse_key("level", &level).map_err(bad)?,
            batch_size: self.batch_size,
            min_time: HumanDuration(*self.min_time),
            ..defaults()
        };
        params.codecs().map_err(crate::error::bad_input)?;
        Ok(params)
    }
}

/// `runner codec`.
pub fn codec(args: CodecArgs) -> Result<ExitCode> {
    let params = args.params()?;
    let codecs = params.codecs().map_err(anyhow::Error::msg)?;
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
        min_time: params.min_time.0,
        ..TimingPolicy::default()
    };
    let batches = evaluate::evaluate(&all, &codecs, params.batch_size.max(1), policy, |_| {});
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Codec {
        #[command(flatten)]
        args: CodecArgs,
    }

    #[test]
    fn the_command_defaults_to_the_tasks_parameters() {
        let args = Codec::try_parse_from(["codec", "alice29.txt"])
            .unwrap()
            .args;
        let params = args.params().unwrap();
        assert_eq!(
            params,
            CodecParams::default(),
            "every algorithm at the task's default level"
        );
        assert_eq!(params.codecs().unwrap().len(), 8);
        let args = Codec::try_parse_from(["codec", "a", "-a", "gzip,xz", "-l", "9e"]);
        assert!(
            args.unwrap().args.params().is_err(),
            "gzip has no extreme level"
        );
    }
}
