//! `runner llm`: a pretrained language model (a known name such as `smollm2-135m-instruct`, a
//! GGUF file or a Hugging Face checkpoint directory) described, scoring files, or generating.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use crate::error::ExitCode;
use crate::models::llama::{Pretrained, Windows};
use crate::task::kinds::llm_eval::measure::{bits_per_byte, generate};

/// `runner llm ...`.
#[derive(Subcommand, Debug)]
pub enum LlmCommand {
    /// The model's shape, tokenizer, file and SHA-256.
    Info(ModelArg),
    /// Bits per byte of files, read in windows.
    Score(ScoreArgs),
    /// Greedy generation from a prompt.
    Generate(GenerateArgs),
}

/// The model.
#[derive(Args, Debug)]
pub struct ModelArg {
    /// A known model (`runner data list`), a .gguf file or a checkpoint directory.
    pub model: String,
    /// Download nothing (also RUNNER_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
}

/// `runner llm score`.
#[derive(Args, Debug)]
pub struct ScoreArgs {
    #[command(flatten)]
    model: ModelArg,
    /// Files to score (UTF-8 text).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Tokens per window.
    #[arg(long, default_value_t = 2048)]
    window: usize,
    /// Tokens of context every scored token after the first window has at least.
    #[arg(long, default_value_t = 512)]
    min_context: usize,
    /// Write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// `runner llm generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    model: ModelArg,
    /// The prompt.
    #[arg(long)]
    prompt: String,
    /// Apply the model's chat template (a user turn, the assistant's opened).
    #[arg(long)]
    chat: bool,
    /// The system message of a chat prompt (default: the template's own).
    #[arg(long, requires = "chat")]
    system: Option<String>,
    /// Most tokens generated.
    #[arg(long, default_value_t = 64)]
    max_tokens: usize,
}

fn load(arg: &ModelArg) -> Result<Pretrained> {
    let env = std::env::var("RUNNER_OFFLINE").is_ok_and(|v| !v.is_empty() && v != "0");
    let device = crate::models::device::from_environment()?;
    Pretrained::named(&arg.model, &device, arg.offline || env)
}

/// Runs a `runner llm` command.
pub fn run(command: LlmCommand) -> Result<ExitCode> {
    match command {
        LlmCommand::Info(arg) => {
            let p = load(&arg)?;
            println!(
                "{} ({}, {} bytes)",
                p.path.display(),
                p.format,
                p.file_bytes
            );
            println!("sha256 {}", p.sha256);
            println!("{}", serde_json::to_string_pretty(&p.config)?);
            println!("parameters {}", p.config.parameters());
            println!(
                "tokenizer: {} tokens, eos {:?}, bos {:?}",
                p.vocab.tokenizer.get_vocab_size(true),
                p.vocab.eos,
                p.vocab.bos
            );
        }
        LlmCommand::Score(args) => {
            let p = load(&args.model)?;
            let windows = Windows {
                window: args.window,
                min_context: args.min_context,
            };
            let mut all = Vec::new();
            for file in &args.files {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
                let s = bits_per_byte(&p, &text, windows)?;
                println!(
                    "{}: {:.4} bits per byte ({} tokens, {} scored, {} bytes scored), {:.1} tokens/s, windows of {} with at least {} tokens of context",
                    file.display(), s.bits_per_byte, s.tokens, s.scored_tokens, s.scored_bytes, s.tokens_per_s, windows.window, windows.min_context
                );
                all.push(serde_json::json!({"file": file, "model_sha256": p.sha256, "score": s}));
            }
            if let Some(out) = &args.json {
                crate::store::atomic::write_json(out, &all)?;
            }
        }
        LlmCommand::Generate(args) => {
            let p = load(&args.model)?;
            let g = generate(
                &p,
                &args.prompt,
                args.chat,
                args.system.as_deref(),
                args.max_tokens,
            )?;
            println!("{}", g.text);
            eprintln!(
                "{} prompt tokens, {} generated, {:.1} tokens/s",
                g.prompt_tokens,
                g.ids.len(),
                g.tokens_per_s
            );
        }
    }
    Ok(ExitCode::Complete)
}
