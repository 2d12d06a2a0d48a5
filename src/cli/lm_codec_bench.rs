//! `runner lm-codec bench`: the learned codec's settings next to the reference compressors on
//! the same files (four Canterbury texts and the King James Bible's first 1 MiB by default),
//! recorded in a JSON file (`codecs::learned::bench`).

use clap::Args;

use crate::bench::lm_codec::{run, BenchOptions};
use crate::error::ExitCode;
use crate::task::kinds::lm_codec::LmCodecParams;

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
    out: std::path::PathBuf,
    /// A pretrained language model coded beside the settings (smollm2-135m-instruct, a .gguf
    /// file or a checkpoint directory).
    #[arg(long)]
    llm: Option<String>,
    /// Its streams.
    #[arg(long, default_value_t = 32)]
    llm_streams: usize,
    /// Its key/value cache window.
    #[arg(long, default_value_t = 1024)]
    context_window: usize,
    /// Tokens a rebuilt cache starts from.
    #[arg(long, default_value_t = 256)]
    context_keep: usize,
    /// The pretrained model's settings: off (the model alone), on (mixed with token counts).
    #[arg(long, value_delimiter = ',', default_values_t = ["off", "on"].map(String::from))]
    llm_mixing: Vec<String>,
}

/// Runs the benchmark.
pub fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    run(&BenchOptions {
        inputs: args.inputs,
        limit: args.limit,
        settings: args.settings,
        model: args.model,
        streams: args.streams,
        adaptive_arch: args.adaptive_arch,
        adaptive_hidden: args.adaptive_hidden,
        adaptive_streams: args.adaptive_streams,
        segment: args.segment,
        adaptive_learning_rate: args.adaptive_learning_rate,
        dynamic_learning_rate: args.dynamic_learning_rate,
        out: args.out,
        llm: args.llm,
        llm_streams: args.llm_streams,
        context_window: args.context_window,
        context_keep: args.context_keep,
        llm_mixers: args
            .llm_mixing
            .iter()
            .map(|m| match m.as_str() {
                "off" => Ok(0),
                "on" => Ok(1),
                _ => Err(crate::error::bad_input(format!(
                    "--llm-mixing: `{m}` is neither off nor on"
                ))),
            })
            .collect::<anyhow::Result<_>>()?,
    })?;
    Ok(ExitCode::Complete)
}
