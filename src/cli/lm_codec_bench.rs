//! `runner lm-codec bench`: the learned codec's settings next to the reference compressors on
//! the same files (four Canterbury texts and the King James Bible's first 1 MiB by default),
//! recorded in a JSON file (`codecs::learned::bench`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::artifacts::ArtifactStore;
use crate::codecs::learned::bench::Setting;
use crate::codecs::learned::format::{Mode, Params};
use crate::codecs::learned::mixing::{Mixing, MixingConfig};
use crate::codecs::learned::{self, format::AdaptiveSettings};
use crate::error::ExitCode;
use crate::models::lm::LmConfig;
use crate::task::lm_codec::LmCodecParams;
use crate::task::params::parse_key;

/// The settings the bench knows, with what each is.
const SETTINGS: &[(&str, &str)] = &[
    (
        "counts-fast",
        "adaptive, count models of orders 2-4 in 2^16-bucket tables, no word model",
    ),
    (
        "counts",
        "adaptive, the default count, word and match models (the default of --adaptive)",
    ),
    (
        "on",
        "adaptive, the count models mixed with a network learning while it codes",
    ),
    ("off", "adaptive, the network alone (no mixing)"),
    (
        "pretrained",
        "the pretrained model mixed with the count models (the default with --model)",
    ),
    ("pretrained-off", "the pretrained model alone"),
    (
        "dynamic",
        "the pretrained model learning while it codes, mixed with the count models",
    ),
];

/// `runner lm-codec bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Inputs (paths or data set names such as `canterbury/alice29.txt` or `bible`).
    #[arg(long, value_delimiter = ',', default_values_t = [
        "canterbury/alice29.txt", "canterbury/asyoulik.txt", "canterbury/lcet10.txt",
        "canterbury/plrabn12.txt", "bible"].map(String::from))]
    inputs: Vec<String>,
    /// Each input is cut to its first LIMIT bytes (the Bible's first 1 MiB).
    #[arg(long, default_value_t = 1 << 20)]
    limit: usize,
    /// runner's settings: counts-fast, counts, on, off (adaptive), pretrained, pretrained-off,
    /// dynamic (these need --model; skipped without it).
    #[arg(long, value_delimiter = ',', default_values_t = [
        "counts-fast", "counts", "pretrained", "pretrained-off"].map(String::from))]
    settings: Vec<String>,
    /// Pretrained model (artifact directory or id) for the pretrained and dynamic settings.
    #[arg(long)]
    model: Option<String>,
    /// Streams of the pretrained and dynamic settings (the task's default).
    #[arg(long, default_value_t = LmCodecParams::default().streams)]
    streams: usize,
    /// Network of the `on` and `off` settings: architecture.
    #[arg(long, default_value = "gru")]
    adaptive_arch: String,
    /// Network of the `on` and `off` settings: hidden width.
    #[arg(long, default_value_t = 64)]
    adaptive_hidden: usize,
    /// Streams of the `on` and `off` settings.
    #[arg(long, default_value_t = 1)]
    adaptive_streams: usize,
    /// Bytes per stream between the network's updates (`on`, `off`, `dynamic`).
    #[arg(long, default_value_t = 16)]
    segment: usize,
    /// Learning rate of the adaptive network.
    #[arg(long, default_value_t = 5e-3)]
    adaptive_learning_rate: f64,
    /// Learning rate of the dynamic updates.
    #[arg(long, default_value_t = 3e-3)]
    dynamic_learning_rate: f64,
    /// Where to record the results.
    #[arg(long, default_value = "target/bench/lm_codec.json")]
    out: PathBuf,
}

/// Reads every input, cut to `limit` bytes.
fn inputs(args: &BenchArgs) -> Result<Vec<(String, Vec<u8>)>> {
    args.inputs
        .iter()
        .map(|name| {
            let path = crate::data::resolve(name);
            let mut data =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            data.truncate(args.limit);
            Ok((name.clone(), data))
        })
        .collect()
}

/// The adaptive network of the `on` and `off` settings.
fn adaptive_network(args: &BenchArgs) -> Result<LmConfig> {
    let arch = parse_key(
        "arch",
        &serde_json::Value::String(args.adaptive_arch.clone()),
    )
    .map_err(|e| crate::error::bad_input(format!("--adaptive-{e}")))?;
    let task = LmCodecParams {
        arch,
        hidden: args.adaptive_hidden,
        ..LmCodecParams::default()
    };
    task.model().map_err(crate::error::bad_input)
}

/// The parameters of a file in `mode` with `mixing`.
fn params(
    mode: Mode,
    model: LmConfig,
    updates: Option<AdaptiveSettings>,
    mixing: Option<MixingConfig>,
) -> Params {
    Params {
        mode,
        model,
        adaptive: updates,
        threads: 1,
        crlf: false,
        text_crc: None,
        backend: None,
        mixing,
    }
}

/// A pretrained model and its artifact's config.
type Found = (
    crate::artifacts::lm::LmArtifactConfig,
    crate::artifacts::lm::PretrainedLm,
);

/// An adaptive setting (`counts-fast`, `counts`, `on`, `off`), if `name` is one.
fn adaptive_setting(name: &str, args: &BenchArgs, network: &LmConfig) -> Option<Setting<'static>> {
    let fast = MixingConfig {
        orders: vec![2, 3, 4],
        word: false,
        table_bits: 16,
        neural: false,
        ..MixingConfig::default()
    };
    let net = format!(
        "{} h{} K={}",
        network.arch.name(),
        network.hidden,
        args.adaptive_streams
    );
    let (label, mixing, streams) = match name {
        "counts-fast" => (name.to_string(), Some(fast), 1),
        "counts" => (name.to_string(), Mixing::Counts.config(Mode::Adaptive), 1),
        "on" => (
            format!("on {net}"),
            Mixing::On.config(Mode::Adaptive),
            args.adaptive_streams,
        ),
        "off" => (format!("off {net}"), None, args.adaptive_streams),
        _ => return None,
    };
    let updates = AdaptiveSettings {
        seed: 0,
        learning_rate: args.adaptive_learning_rate,
        segment: args.segment,
    };
    Some(Setting {
        label,
        params: params(Mode::Adaptive, network.clone(), Some(updates), mixing),
        model: None,
        streams,
    })
}

/// A setting with the pretrained model (`pretrained`, `pretrained-off`, `dynamic`).
fn pretrained_setting<'a>(name: &str, args: &BenchArgs, (config, lm): &'a Found) -> Setting<'a> {
    let model = config.model_config(lm.model.vocab());
    let net = format!("{} h{} K={}", model.arch.name(), model.hidden, args.streams);
    let mixing = match name {
        "pretrained-off" => None,
        _ => Mixing::On.config(Mode::Pretrained),
    };
    let (mode, updates) = match name {
        "dynamic" => {
            let updates = AdaptiveSettings {
                seed: 0,
                learning_rate: args.dynamic_learning_rate,
                segment: args.segment,
            };
            (Mode::Dynamic, Some(updates))
        }
        _ => (Mode::Pretrained, None),
    };
    Setting {
        label: format!("{name} {net}"),
        params: params(mode, model, updates, mixing),
        model: Some(lm.model_ref()),
        streams: args.streams,
    }
}

/// The named settings of the plan (those needing a model are skipped without one).
fn settings<'a>(args: &BenchArgs, found: Option<&'a Found>) -> Result<Vec<Setting<'a>>> {
    let network = adaptive_network(args)?;
    let mut out = Vec::new();
    for name in &args.settings {
        if let Some(s) = adaptive_setting(name, args, &network) {
            out.push(s);
            continue;
        }
        if !matches!(name.as_str(), "pretrained" | "pretrained-off" | "dynamic") {
            let known: Vec<&str> = SETTINGS.iter().map(|s| s.0).collect();
            bail!(
                "--settings: no setting `{name}` (known: {})",
                known.join(", ")
            );
        }
        match found {
            Some(f) => out.push(pretrained_setting(name, args, f)),
            None => println!("skipping {name}: it needs --model"),
        }
    }
    Ok(out)
}

/// Runs the benchmark.
pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    let inputs = inputs(&args)?;
    let device = crate::models::device::from_environment()?;
    let found = match &args.model {
        Some(m) => Some(crate::artifacts::lm::find(
            &ArtifactStore::default_location(),
            m,
            &device,
        )?),
        None => None,
    };
    for (name, what) in SETTINGS {
        if args.settings.iter().any(|s| s == name) {
            println!("{name}: {what}");
        }
    }
    let plan = learned::bench::BenchPlan {
        inputs,
        settings: settings(&args, found.as_ref())?,
        device: device.clone(),
    };
    let mut record = learned::bench::run(&plan)?;
    record["pretrained_model"] = serde_json::json!(args.model);
    learned::bench::save(&record, &args.out)?;
    println!("recorded in {}", args.out.display());
    Ok(ExitCode::Complete)
}
