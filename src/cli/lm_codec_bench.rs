//! `runner lm-codec bench`: the learned codec's benchmark on one file — a pretrained model at
//! several stream counts, dynamic evaluation and an adaptive model, next to the classical
//! codecs — recorded in a JSON file (`codecs::learned::bench`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::artifacts::ArtifactStore;
use crate::codecs::learned::{self, format::AdaptiveSettings};
use crate::error::ExitCode;
use crate::task::lm_codec::LmCodecParams;
use crate::task::params::parse_key;

/// `runner lm-codec bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Input (a path or `canterbury/NAME`).
    #[arg(long, default_value = "canterbury/alice29.txt")]
    input: String,
    /// Pretrained model (artifact directory or id); without it only adaptive mode runs.
    #[arg(long)]
    model: Option<String>,
    /// Stream counts for the pretrained model.
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 32, 64])]
    streams: Vec<usize>,
    /// Skip the adaptive mode.
    #[arg(long)]
    no_adaptive: bool,
    /// Adaptive: architecture.
    #[arg(long, default_value = "gru")]
    adaptive_arch: String,
    /// Adaptive: hidden width.
    #[arg(long, default_value_t = 256)]
    adaptive_hidden: usize,
    /// Adaptive: streams.
    #[arg(long, default_value_t = 4)]
    adaptive_streams: usize,
    /// Adaptive: symbols per stream between updates.
    #[arg(long, default_value_t = 16)]
    adaptive_segment: usize,
    /// Adaptive: learning rate.
    #[arg(long, default_value_t = 5e-3)]
    adaptive_learning_rate: f64,
    /// Skip dynamic evaluation of the pretrained model.
    #[arg(long)]
    no_dynamic: bool,
    /// Dynamic: learning rate of the updates.
    #[arg(long, default_value_t = 3e-3)]
    dynamic_learning_rate: f64,
    /// Dynamic: streams.
    #[arg(long, default_value_t = 8)]
    dynamic_streams: usize,
    /// Dynamic: symbols per stream between updates.
    #[arg(long, default_value_t = 32)]
    dynamic_segment: usize,
    /// Where to record the results.
    #[arg(long, default_value = "target/bench/lm_codec.json")]
    out: PathBuf,
}

/// Runs the benchmark.
pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    let path = crate::data::resolve(&args.input);
    let data = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let device = crate::models::device::from_environment()?;
    let found = match &args.model {
        Some(m) => Some(crate::artifacts::lm::find(
            &ArtifactStore::default_location(),
            m,
            &device,
        )?),
        None => None,
    };
    let arch = parse_key(
        "arch",
        &serde_json::Value::String(args.adaptive_arch.clone()),
    )
    .map_err(|e| crate::error::bad_input(format!("--adaptive-{e}")))?;
    let adaptive_model = LmCodecParams {
        arch,
        hidden: args.adaptive_hidden,
        ..LmCodecParams::default()
    }
    .model()
    .map_err(crate::error::bad_input)?;
    let plan = learned::bench::BenchPlan {
        input: (&args.input, &data),
        pretrained: found.as_ref().map(|f| {
            (
                f.0.model_config(f.1.model.vocab()),
                f.1.model_ref(),
                args.model.clone().unwrap_or_default(),
            )
        }),
        streams: args.streams.clone(),
        adaptive: (!args.no_adaptive).then_some((
            adaptive_model,
            AdaptiveSettings {
                seed: 0,
                learning_rate: args.adaptive_learning_rate,
                segment: args.adaptive_segment,
            },
            args.adaptive_streams,
        )),
        device: device.clone(),
        dynamic: (!args.no_dynamic).then_some((
            AdaptiveSettings {
                seed: 0,
                learning_rate: args.dynamic_learning_rate,
                segment: args.dynamic_segment,
            },
            args.dynamic_streams,
        )),
    };
    let record = learned::bench::run(&plan)?;
    learned::bench::save(&record, &args.out)?;
    println!("recorded in {}", args.out.display());
    Ok(ExitCode::Complete)
}
