//! `runner lm-codec`: pretrain a language model into the artifact store, and compress or
//! decompress single files with one (pretrained or adaptive).

use std::path::{Path, PathBuf};

use crate::error::ExitCode;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use crate::artifacts::lm::{LmArtifactConfig, LM_CODE_VERSION};
use crate::artifacts::ArtifactStore;
use crate::codecs::learned::{
    self,
    format::{AdaptiveSettings, Mode, Params},
};
use crate::models::lm::train::PretrainConfig;
use crate::models::lm::{Arch, LmConfig};

/// `runner lm-codec ...`.
#[derive(Subcommand, Debug)]
pub enum LmCodecCommand {
    /// Train a language model on a corpus and keep it in the artifact store.
    Pretrain(PretrainArgs),
    /// Compress a file (pretrained: --model; self-contained: --adaptive).
    Compress(CompressArgs),
    /// Decompress a file (pretrained files need the same --model).
    Decompress(DecompressArgs),
    /// Benchmark on one file: pretrained and adaptive modes against the classical codecs.
    Bench(BenchArgs),
}

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

/// `runner lm-codec compress`.
#[derive(Args, Debug)]
pub struct CompressArgs {
    /// File to compress.
    input: PathBuf,
    /// Output file (default: INPUT.rlmc).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Pretrained model: an artifact directory or id (see `runner artifacts`).
    #[arg(long, conflicts_with = "adaptive")]
    model: Option<String>,
    /// Learn while coding from a seeded model (the file alone decodes).
    #[arg(long)]
    adaptive: bool,
    /// With --model: keep training the pretrained model while coding (dynamic evaluation).
    #[arg(long, requires = "model")]
    dynamic: bool,
    #[command(flatten)]
    shape: ModelArgs,
    /// Adaptive: seed of the initial model.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Adaptive and dynamic: learning rate of the updates.
    #[arg(long, default_value_t = 2e-3)]
    learning_rate: f64,
    /// Adaptive and dynamic: symbols per stream between updates.
    #[arg(long, default_value_t = 32)]
    segment: usize,
    /// Parallel streams (chunks coded side by side).
    #[arg(long, default_value_t = 32)]
    streams: usize,
    /// Threads of the computation (recorded in the file; decoding uses the same).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Decompress afterwards and check the round trip.
    #[arg(long)]
    verify: bool,
}

/// `runner lm-codec decompress`.
#[derive(Args, Debug)]
pub struct DecompressArgs {
    /// Compressed file.
    input: PathBuf,
    /// Output file (default: INPUT without .rlmc, or INPUT.out).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The pretrained model the file was compressed with.
    #[arg(long)]
    model: Option<String>,
}

/// Model shape options.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// gru, lstm or transformer.
    #[arg(long, default_value = "gru")]
    pub arch: String,
    /// Hidden width.
    #[arg(long, default_value_t = 256)]
    pub hidden: usize,
    /// Layers.
    #[arg(long, default_value_t = 1)]
    pub layers: usize,
    /// Attention heads (transformer).
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    /// Context window (transformer).
    #[arg(long, default_value_t = 128)]
    pub window: usize,
}

impl ModelArgs {
    /// The model config, checked.
    pub fn config(&self) -> Result<LmConfig> {
        let arch = Arch::parse(&self.arch).ok_or_else(|| {
            anyhow::anyhow!("--arch `{}`: use gru, lstm or transformer", self.arch)
        })?;
        let config = LmConfig {
            arch,
            hidden: self.hidden,
            layers: self.layers,
            heads: self.heads,
            window: self.window,
            vocab: crate::models::lm::BYTES,
        };
        config.validate().map_err(anyhow::Error::msg)?;
        Ok(config)
    }
}

/// `runner lm-codec pretrain`.
#[derive(Args, Debug)]
pub struct PretrainArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Data sets or paths forming the corpus.
    #[arg(long, default_values_t = vec!["bible".to_string(), "squad-dev".to_string()])]
    corpus: Vec<String>,
    /// Optimizer steps.
    #[arg(long, default_value_t = 2000)]
    steps: usize,
    /// Streams per step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Symbols per stream per step.
    #[arg(long, default_value_t = 128)]
    seq_len: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-3)]
    learning_rate: f64,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Tokenizer-level model: train a byte-level BPE tokenizer of this many tokens first.
    #[arg(long)]
    tokenizer_vocab: Option<usize>,
    /// Artifact store (default: $RUNNER_ARTIFACTS or runs/artifacts).
    #[arg(long)]
    store: Option<PathBuf>,
}

/// Runs a `runner lm-codec` command.
pub fn run(command: LmCodecCommand) -> Result<ExitCode> {
    match command {
        LmCodecCommand::Pretrain(args) => {
            let config = LmArtifactConfig {
                code_version: LM_CODE_VERSION,
                model: args.model.config()?,
                corpus: args.corpus,
                train: PretrainConfig {
                    steps: args.steps,
                    batch_size: args.batch_size,
                    seq_len: args.seq_len,
                    learning_rate: args.learning_rate,
                    seed: args.seed,
                },
                tokenizer_vocab: args.tokenizer_vocab,
            };
            let store = store_of(args.store);
            let artifact = crate::artifacts::lm::get(&store, &config, &|_, _, _| {})?;
            println!("{}", artifact.dir.display());
            Ok(ExitCode::Complete)
        }
        LmCodecCommand::Compress(args) => compress(args),
        LmCodecCommand::Decompress(args) => decompress(args),
        LmCodecCommand::Bench(args) => bench(args),
    }
}

fn bench(args: BenchArgs) -> Result<ExitCode> {
    let path = crate::data::resolve(&args.input);
    let data = read(&path)?;
    let found = match &args.model {
        Some(m) => Some(crate::artifacts::lm::find(
            &ArtifactStore::default_location(),
            m,
        )?),
        None => None,
    };
    let adaptive_model = ModelArgs {
        arch: args.adaptive_arch.clone(),
        hidden: args.adaptive_hidden,
        layers: 1,
        heads: 4,
        window: 128,
    }
    .config()?;
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

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn compress(args: CompressArgs) -> Result<ExitCode> {
    let data = read(&args.input)?;
    let loaded = match &args.model {
        Some(m) => Some(crate::artifacts::lm::find(
            &ArtifactStore::default_location(),
            m,
        )?),
        None if args.adaptive => None,
        None => bail!("give --model ARTIFACT (pretrained mode) or --adaptive"),
    };
    let params = Params {
        mode: match (&loaded, args.dynamic) {
            (Some(_), true) => Mode::Dynamic,
            (Some(_), false) => Mode::Pretrained,
            (None, _) => Mode::Adaptive,
        },
        model: match &loaded {
            Some(l) => l.0.model_config(l.1.model.vocab()),
            None => args.shape.config()?,
        },
        adaptive: (args.adaptive || args.dynamic).then_some(AdaptiveSettings {
            seed: args.seed,
            learning_rate: args.learning_rate,
            segment: args.segment,
        }),
        threads: args.threads,
        crlf: false,
        text_crc: None,
    };
    let model_ref = loaded.as_ref().map(|l| l.1.model_ref());
    let bar = progress_bar(data.len());
    let out = learned::compress(&data, &params, model_ref.as_ref(), args.streams, |t, n| {
        bar.set_length(n as u64);
        bar.set_position(t as u64)
    })?;
    bar.finish_and_clear();
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.rlmc", args.input.display())));
    crate::store::atomic::write_atomic(&output, &out.bytes)?;
    let bpc = out.bytes.len() as f64 * 8.0 / data.len().max(1) as f64;
    println!(
        "{} -> {}: {} -> {} bytes, ratio {:.3}, {:.4} bpc, {} streams, {:.1} KB/s",
        args.input.display(),
        output.display(),
        data.len(),
        out.bytes.len(),
        data.len() as f64 / out.bytes.len().max(1) as f64,
        bpc,
        out.streams,
        data.len() as f64 / 1000.0 / out.seconds.max(1e-9)
    );
    print_profile(&out);
    if args.verify {
        let back = learned::decompress(&out.bytes, model_ref.as_ref(), |_, _| {})?;
        if back.bytes != data {
            bail!("round trip failed: the decompressed bytes differ from the input");
        }
        println!(
            "round trip verified: decompression {:.1} KB/s",
            data.len() as f64 / 1000.0 / back.seconds.max(1e-9)
        );
        print_profile(&back);
    }
    Ok(ExitCode::Complete)
}

fn decompress(args: DecompressArgs) -> Result<ExitCode> {
    let file = read(&args.input)?;
    let loaded = match &args.model {
        Some(m) => Some(crate::artifacts::lm::find(
            &ArtifactStore::default_location(),
            m,
        )?),
        None => None,
    };
    let params = learned::params_of(&file).with_context(|| format!("{}", args.input.display()))?;
    if params.mode != Mode::Adaptive && loaded.is_none() {
        bail!(
            "{} was compressed with a pretrained {} model: give it with --model",
            args.input.display(),
            params.model.arch.name()
        );
    }
    let model_ref = loaded.as_ref().map(|l| l.1.model_ref());
    let bar = progress_bar(0);
    let out = learned::decompress(&file, model_ref.as_ref(), |t, n| {
        bar.set_length(n as u64);
        bar.set_position(t as u64)
    })
    .with_context(|| format!("{}", args.input.display()))?;
    bar.finish_and_clear();
    let output = args.output.clone().unwrap_or_else(|| {
        let name = args.input.display().to_string();
        PathBuf::from(match name.strip_suffix(".rlmc") {
            Some(stem) => stem.to_string(),
            None => format!("{name}.out"),
        })
    });
    crate::store::atomic::write_atomic(&output, &out.bytes)?;
    println!(
        "{} -> {}: {} bytes, {:.1} KB/s",
        args.input.display(),
        output.display(),
        out.bytes.len(),
        out.bytes.len() as f64 / 1000.0 / out.seconds.max(1e-9)
    );
    Ok(ExitCode::Complete)
}

fn progress_bar(len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} steps {eta}") {
        bar.set_style(style);
    }
    bar
}

fn print_profile(out: &learned::Outcome) {
    let p = &out.profile;
    println!(
        "  time: {:.2}s total, model {:.2}s, coder {:.2}s, training {:.2}s",
        out.seconds,
        p.inference.as_secs_f64(),
        p.coder.as_secs_f64(),
        p.training.as_secs_f64()
    );
}

fn store_of(path: Option<PathBuf>) -> ArtifactStore {
    path.map_or_else(ArtifactStore::default_location, ArtifactStore::new)
}
