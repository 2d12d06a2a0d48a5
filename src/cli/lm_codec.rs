//! `runner lm-codec`: pretrain a language model into the artifact store, and compress or
//! decompress single files with one (pretrained or adaptive).

use std::path::PathBuf;

use crate::error::ExitCode;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use crate::artifacts::ArtifactStore;
use crate::codecs::learned::{self, format::Mode};
use crate::task::kinds::lm_codec::llm_file::{self, LlmRequest};
use crate::task::kinds::lm_codec::one_file::{self, CompressRequest};
use crate::task::kinds::lm_codec::LmCodecParams;
use crate::task::params::{parse_key, Names};

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
    Bench(super::lm_codec_bench::BenchArgs),
}

/// `runner lm-codec compress`.
#[derive(Args, Debug)]
pub struct CompressArgs {
    /// File to compress.
    input: PathBuf,
    /// Output file (default: INPUT.rlmc).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Pretrained model: an lm artifact directory or id (see `runner artifacts`), or a
    /// pretrained LLM: a known name (see `runner data list`), a .gguf file or a Hugging Face
    /// checkpoint directory.
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
    /// Adaptive: learning rate of the updates.
    #[arg(long, default_value_t = defaults().learning_rate)]
    learning_rate: f64,
    /// Dynamic: learning rate of the updates.
    #[arg(long, default_value_t = defaults().update_learning_rate)]
    update_learning_rate: f64,
    /// Adaptive and dynamic: symbols per stream between updates.
    #[arg(long, default_value_t = defaults().segment)]
    segment: usize,
    /// Parallel streams (chunks coded side by side) [default: 4; with a pretrained LLM 32].
    #[arg(long)]
    streams: Option<usize>,
    /// Threads of the computation (recorded in the file; decoding uses the same) [default: 1;
    /// with a pretrained LLM the machine's cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Decompress afterwards and check the round trip.
    #[arg(long)]
    verify: bool,
    /// auto (on with --model, counts with --adaptive), on (the network mixed with count, word
    /// and match models), counts (those alone: fast, no network) or off (the network alone).
    /// With a pretrained LLM: on (its token distribution mixed with token counts), auto or off
    /// (the model alone).
    #[arg(long, default_value_t = mixing_name(defaults().mixing))]
    mixing: String,
    /// Most memory coding may take (e.g. 4G; default 2G, or RUNNER_CODEC_MAX_MEMORY).
    #[arg(long, value_parser = memory_size)]
    max_memory: Option<u64>,
    /// With a pretrained LLM as --model: positions its key/value cache holds before it is
    /// rebuilt from the last --context-keep tokens.
    #[arg(long, default_value_t = 1024)]
    context_window: usize,
    /// With a pretrained LLM: tokens of context a rebuilt cache starts from.
    #[arg(long, default_value_t = 256)]
    context_keep: usize,
}

/// A memory size argument (`4G`, `512M`, bytes).
fn memory_size(text: &str) -> std::result::Result<u64, String> {
    crate::codecs::memory_limit::parse_size(text)
        .ok_or_else(|| format!("`{text}` is not a size such as 4G or 512M"))
}

/// The name of a mixing choice.
fn mixing_name(m: learned::mixing::Mixing) -> String {
    use crate::task::params::value::Choice;
    learned::mixing::Mixing::choices()
        .iter()
        .find(|c| c.1 == m)
        .map_or_else(String::new, |c| c.0.to_string())
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
    /// Most memory decoding may take (e.g. 4G; default 2G, or RUNNER_CODEC_MAX_MEMORY): a
    /// file that needs more is refused before anything is allocated.
    #[arg(long, value_parser = memory_size)]
    max_memory: Option<u64>,
}

/// The lm-codec task's defaults: every default below comes from here.
fn defaults() -> LmCodecParams {
    LmCodecParams::default()
}

/// Model shape options.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// gru, lstm or transformer.
    #[arg(long, default_value_t = defaults().arch.name().to_string())]
    pub arch: String,
    /// Hidden width.
    #[arg(long, default_value_t = defaults().hidden)]
    pub hidden: usize,
    /// Layers.
    #[arg(long, default_value_t = defaults().layers)]
    pub layers: usize,
    /// Attention heads (transformer).
    #[arg(long, default_value_t = defaults().heads)]
    pub heads: usize,
    /// Context window (transformer).
    #[arg(long, default_value_t = defaults().window)]
    pub window: usize,
}

impl ModelArgs {
    /// The task's parameters with this shape (the rest at their defaults).
    pub fn params(&self) -> Result<LmCodecParams> {
        let arch = parse_key("arch", &serde_json::Value::String(self.arch.clone()))
            .map_err(|e| anyhow::anyhow!("--{e}"))?;
        Ok(LmCodecParams {
            arch,
            hidden: self.hidden,
            layers: self.layers,
            heads: self.heads,
            window: self.window,
            ..defaults()
        })
    }
}

/// `runner lm-codec pretrain`.
#[derive(Args, Debug)]
pub struct PretrainArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Data sets or paths forming the corpus.
    #[arg(long, default_values_t = defaults().corpus.0)]
    corpus: Vec<String>,
    /// Optimizer steps.
    #[arg(long, default_value_t = defaults().train_steps)]
    steps: usize,
    /// Streams per step.
    #[arg(long, default_value_t = defaults().batch_size)]
    batch_size: usize,
    /// Symbols per stream per step.
    #[arg(long, default_value_t = defaults().seq_len)]
    seq_len: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = defaults().learning_rate)]
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

impl PretrainArgs {
    /// The lm-codec parameters these arguments describe.
    pub fn params(&self) -> Result<LmCodecParams> {
        Ok(LmCodecParams {
            corpus: Names(self.corpus.clone()),
            train_steps: self.steps,
            batch_size: self.batch_size,
            seq_len: self.seq_len,
            learning_rate: self.learning_rate,
            tokenizer_vocab: self.tokenizer_vocab,
            ..self.model.params()?
        })
    }
}

/// Runs a `runner lm-codec` command.
pub fn run(command: LmCodecCommand) -> Result<ExitCode> {
    match command {
        LmCodecCommand::Pretrain(args) => {
            let config = args
                .params()?
                .artifact(args.seed)
                .map_err(anyhow::Error::msg)?;
            let store = store_of(args.store);
            let device = crate::models::device::from_environment()?;
            let artifact = crate::artifacts::lm::get(&store, &config, &device, &|_, _, _| {})?;
            println!("{}", artifact.dir.display());
            Ok(ExitCode::Complete)
        }
        LmCodecCommand::Compress(args) => compress(args),
        LmCodecCommand::Decompress(args) => decompress(args),
        LmCodecCommand::Bench(args) => super::lm_codec_bench::bench(args),
    }
}

/// The task's parameters these arguments give (the mode from --model, --dynamic, --adaptive).
fn task_params(args: &CompressArgs) -> Result<LmCodecParams> {
    let mode = match (&args.model, args.dynamic, args.adaptive) {
        (Some(_), true, _) => Mode::Dynamic,
        (None, _, true) => Mode::Adaptive,
        _ => Mode::Pretrained,
    };
    Ok(LmCodecParams {
        mode,
        learning_rate: args.learning_rate,
        update_learning_rate: args.update_learning_rate,
        segment: args.segment,
        streams: args.streams.unwrap_or(defaults().streams),
        mixing: parse_key("mixing", &serde_json::Value::String(args.mixing.clone()))
            .map_err(|e| anyhow::anyhow!("--{e}"))?,
        ..args.shape.params()?
    })
}

fn compress(args: CompressArgs) -> Result<ExitCode> {
    if let Some(bytes) = args.max_memory {
        crate::codecs::memory_limit::set_limit(bytes);
    }
    if let Some(model) = args.model.as_deref().filter(|m| llm_file::is_llm(m)) {
        return compress_llm(&args, model);
    }
    let request = CompressRequest {
        input: args.input.clone(),
        output: args.output.clone(),
        model: args.model.clone(),
        params: task_params(&args)?,
        seed: args.seed,
        threads: args.threads.unwrap_or(1),
        verify: args.verify,
    };
    let done = with_bar(|progress| one_file::compress(&request, progress))?;
    let (n, out) = (done.input_bytes, &done.outcome);
    println!(
        "{} -> {}: {} -> {} bytes, ratio {:.3}, {:.4} bpc, {} streams, {:.1} KB/s",
        args.input.display(),
        done.output.display(),
        n,
        out.bytes.len(),
        n as f64 / out.bytes.len().max(1) as f64,
        out.bytes.len() as f64 * 8.0 / n.max(1) as f64,
        out.streams,
        n as f64 / 1000.0 / out.seconds.max(1e-9)
    );
    print_profile(out);
    if let Some(back) = &done.verified {
        println!(
            "round trip verified: decompression {:.1} KB/s",
            n as f64 / 1000.0 / back.seconds.max(1e-9)
        );
        print_profile(back);
    }
    Ok(ExitCode::Complete)
}

fn decompress(args: DecompressArgs) -> Result<ExitCode> {
    if let Some(bytes) = args.max_memory {
        crate::codecs::memory_limit::set_limit(bytes);
    }
    let head = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    if llm_file::is_llm_file(&head) {
        return decompress_llm(&args, &head);
    }
    let bar = progress_bar(0);
    let done = one_file::decompress(
        &args.input,
        args.output.clone(),
        args.model.as_deref(),
        |t, n| {
            bar.set_length(n as u64);
            bar.set_position(t as u64)
        },
    )?;
    bar.finish_and_clear();
    let out = &done.outcome;
    println!(
        "{} -> {}: {} bytes, {:.1} KB/s",
        args.input.display(),
        done.output.display(),
        out.bytes.len(),
        out.bytes.len() as f64 / 1000.0 / out.seconds.max(1e-9)
    );
    Ok(ExitCode::Complete)
}

/// Runs `f` with a progress bar it reports (done, total) to, cleared afterwards.
fn with_bar<T>(f: impl FnOnce(&mut (dyn FnMut(usize, usize) + Send)) -> T) -> T {
    let bar = progress_bar(0);
    let out = f(&mut |t, n| {
        bar.set_length(n as u64);
        bar.set_position(t as u64)
    });
    bar.finish_and_clear();
    out
}

/// The token mixer `--mixing` names with a pretrained LLM.
fn llm_mixer(mixing: &str) -> Result<u8> {
    let choice: learned::mixing::Mixing =
        parse_key("mixing", &serde_json::Value::String(mixing.to_string()))
            .map_err(|e| crate::error::bad_input(format!("--{e}")))?;
    crate::task::kinds::lm_codec::llm_run::mixer_of(choice).ok_or_else(|| {
        crate::error::bad_input(
            "--mixing counts has no meaning with a pretrained LLM: on (mixed with token counts), auto or off",
        )
    })
}

/// Streams of a pretrained LLM by default (see docs/tasks/lm-codec.md for the trade-off).
const LLM_STREAMS: usize = 32;

fn compress_llm(args: &CompressArgs, model: &str) -> Result<ExitCode> {
    let request = LlmRequest {
        input: args.input.clone(),
        output: args.output.clone(),
        model: model.to_string(),
        streams: args.streams.unwrap_or(LLM_STREAMS),
        window: args.context_window,
        keep: args.context_keep,
        threads: args.threads.unwrap_or_else(crate::codecs::pool::cores),
        verify: args.verify,
        mixer: llm_mixer(&args.mixing)?,
    };
    let done = with_bar(|progress| llm_file::compress(&request, progress))?;
    let (n, out) = (done.input_bytes, &done.outcome);
    println!(
        "{} -> {}: {} -> {} bytes, {:.4} bits per byte ({} tokens, {:.4} ideal), {:.3} KB/s",
        args.input.display(),
        done.output.display(),
        n,
        out.bytes.len(),
        out.bytes.len() as f64 * 8.0 / n.max(1) as f64,
        out.tokens,
        out.bits / n.max(1) as f64,
        n as f64 / 1000.0 / out.seconds.max(1e-9)
    );
    if let Some(back) = &done.verified {
        println!(
            "round trip verified: decompression {:.3} KB/s",
            n as f64 / 1000.0 / back.seconds.max(1e-9)
        );
    }
    Ok(ExitCode::Complete)
}

fn decompress_llm(args: &DecompressArgs, file: &[u8]) -> Result<ExitCode> {
    let model = args.model.as_deref().context(
        "this file was compressed with a pretrained language model: give it with --model",
    )?;
    let bar = progress_bar(0);
    let out = llm_file::decompress(file, model, |t, n| {
        bar.set_length(n as u64);
        bar.set_position(t as u64)
    })?;
    bar.finish_and_clear();
    let output = args.output.clone().unwrap_or_else(|| {
        let name = args.input.display().to_string();
        PathBuf::from(
            name.strip_suffix(".rlmc")
                .map_or(format!("{name}.out"), str::to_string),
        )
    });
    crate::store::atomic::write_atomic(&output, &out.bytes)?;
    println!(
        "{} -> {}: {} bytes, {:.3} KB/s",
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::artifacts::ArtifactRequest;

    #[derive(Parser)]
    struct Pretrain {
        #[command(flatten)]
        args: PretrainArgs,
    }

    #[derive(Parser)]
    struct Compress {
        #[command(flatten)]
        args: CompressArgs,
    }

    #[test]
    fn the_commands_default_to_the_tasks_parameters() {
        let _alone = crate::models::draws_alone();
        let cli = Pretrain::try_parse_from(["pretrain"]).unwrap().args;
        let from_cli = cli.params().unwrap().artifact(0).unwrap();
        let from_task = LmCodecParams::default().artifact(0).unwrap();
        assert_eq!(
            ArtifactRequest::Lm(from_cli).id(),
            ArtifactRequest::Lm(from_task).id(),
            "the same default model"
        );
        let args = Compress::try_parse_from(["compress", "x.txt", "--adaptive"])
            .unwrap()
            .args;
        let params = one_file::coding_params(&task_params(&args).unwrap(), None, 0, 1).unwrap();
        let task = LmCodecParams {
            mode: Mode::Adaptive,
            ..LmCodecParams::default()
        };
        assert_eq!(params.adaptive, task.updates(0));
        assert_eq!(params.model, task.network().unwrap());
        assert_eq!(args.streams.unwrap_or(defaults().streams), task.streams);
    }
}
