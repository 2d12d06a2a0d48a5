//! `runner lm-codec bench`: runner's learned-codec settings on several inputs, next to the
//! classical and reference compressors, both directions timed and verified
//! ([`crate::codecs::learned::bench`] runs and records it; this module assembles the settings
//! from the lm-codec task's parameters).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::artifacts::ArtifactStore;
use crate::codecs::learned;
use crate::codecs::learned::bench::Setting;
use crate::codecs::learned::format::{AdaptiveSettings, Params};
use crate::codecs::learned::mixing::{Mixing, MixingConfig};
use crate::codecs::learned::mode::Mode;
use crate::models::lm::LmConfig;
use crate::task::kinds::lm_codec::LmCodecParams;
use crate::task::params::parse_key;

/// What the bench codes and how (`runner lm-codec bench`'s options).
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Inputs (paths or data set names such as `canterbury/alice29.txt` or `bible`).
    pub inputs: Vec<String>,
    /// Each input is cut to its first LIMIT bytes (the Bible's first 1 MiB).
    pub limit: usize,
    /// runner's settings: counts-fast, counts, on, off (adaptive), pretrained, pretrained-off,
    /// dynamic (these need --model; skipped without it).
    pub settings: Vec<String>,
    /// Pretrained model (artifact directory or id) for the pretrained and dynamic settings.
    pub model: Option<String>,
    /// Streams of the pretrained and dynamic settings (the task's default).
    pub streams: usize,
    /// Network of the `on` and `off` settings: architecture.
    pub adaptive_arch: String,
    /// Network of the `on` and `off` settings: hidden width.
    pub adaptive_hidden: usize,
    /// Streams of the `on` and `off` settings.
    pub adaptive_streams: usize,
    /// Bytes per stream between the network's updates (`on`, `off`, `dynamic`).
    pub segment: usize,
    /// Learning rate of the adaptive network.
    pub adaptive_learning_rate: f64,
    /// Learning rate of the dynamic updates.
    pub dynamic_learning_rate: f64,
    /// Where to record the results.
    pub out: PathBuf,
    /// A pretrained language model coded beside the settings (a known name, .gguf or directory).
    pub llm: Option<String>,
    /// Its streams.
    pub llm_streams: usize,
    /// Its key/value cache window.
    pub context_window: usize,
    /// Tokens a rebuilt cache starts from.
    pub context_keep: usize,
    /// Its token mixers, one setting each (0: the model alone).
    pub llm_mixers: Vec<u8>,
}

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

/// Reads every input, cut to `limit` bytes.
fn inputs(args: &BenchOptions) -> Result<Vec<(String, Vec<u8>)>> {
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
fn adaptive_network(args: &BenchOptions) -> Result<LmConfig> {
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
    task.network().map_err(crate::error::bad_input)
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
fn adaptive_setting(
    name: &str,
    args: &BenchOptions,
    network: &LmConfig,
) -> Option<Setting<'static>> {
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
fn pretrained_setting<'a>(name: &str, args: &BenchOptions, (config, lm): &'a Found) -> Setting<'a> {
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
fn settings<'a>(args: &BenchOptions, found: Option<&'a Found>) -> Result<Vec<Setting<'a>>> {
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
pub fn run(args: &BenchOptions) -> Result<()> {
    let inputs = inputs(args)?;
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
    let pretrained = match &args.llm {
        Some(m) => Some(crate::models::llama::Pretrained::named(m, &device, false)?),
        None => None,
    };
    let llm = pretrained
        .iter()
        .flat_map(|p| args.llm_mixers.iter().map(move |&mixer| (p, mixer)))
        .map(|(p, mixer)| learned::bench::LlmSetting {
            label: format!(
                "llm {} K={} W={}{}",
                args.llm.as_deref().unwrap_or(""),
                args.llm_streams,
                args.context_window,
                if mixer > 0 { " mixed" } else { "" }
            ),
            model: p,
            policy: crate::codecs::llm::driver::Policy {
                streams: args.llm_streams,
                window: args.context_window,
                keep: args.context_keep,
                start: crate::codecs::llm::start_token(p),
                mixer,
            },
            threads: rayon::current_num_threads(),
        })
        .collect();
    let plan = learned::bench::BenchPlan {
        inputs,
        settings: settings(args, found.as_ref())?,
        llm,
        device: device.clone(),
    };
    let mut record = learned::bench::run(&plan)?;
    record["pretrained_model"] = serde_json::json!(args.model);
    learned::bench::save(&record, &args.out)?;
    println!("recorded in {}", args.out.display());
    Ok(())
}
