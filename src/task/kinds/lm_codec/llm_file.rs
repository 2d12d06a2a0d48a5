//! One file coded with a pretrained language model (`runner lm-codec compress FILE --model
//! smollm2-135m-instruct`, a .gguf file or a Hugging Face checkpoint directory): the model
//! loaded on the run's device, the file coded by `codecs::llm` and written atomically, the round
//! trip checked on request; decompression finds the file's kind by its magic number.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::codecs::llm::{self, driver::Policy, LlmOutcome};
use crate::models::llama::Pretrained;

/// Whether a `--model` reference names a pretrained LLM (a known name, a .gguf file or a
/// checkpoint directory) rather than an lm artifact.
pub fn is_llm(reference: &str) -> bool {
    let path = Path::new(reference);
    crate::data::models::find(reference).is_some()
        || path.extension().is_some_and(|e| e == "gguf")
        || path.join("config.json").is_file()
}

/// Whether a file was written by the pretrained-model codec.
pub fn is_llm_file(bytes: &[u8]) -> bool {
    bytes.starts_with(llm::format::MAGIC)
}

/// The model a reference names, loaded on this process's device.
pub fn load(reference: &str) -> Result<Pretrained> {
    let device = crate::models::device::from_environment()?;
    let offline = std::env::var("RUNNER_OFFLINE").is_ok_and(|v| !v.is_empty() && v != "0");
    Pretrained::named(reference, &device, offline)
}

/// A compressed file and, when verified, its decompression.
pub struct LlmCompressed {
    /// Where it was written.
    pub output: PathBuf,
    /// The input's length.
    pub input_bytes: usize,
    /// Compression.
    pub outcome: LlmOutcome,
    /// The round trip's decompression, when verified.
    pub verified: Option<LlmOutcome>,
}

/// What to compress and how.
#[derive(Debug, Clone)]
pub struct LlmRequest {
    /// The file.
    pub input: PathBuf,
    /// Where the compressed file goes (default: INPUT.rlmc).
    pub output: Option<PathBuf>,
    /// The model: a known name, a .gguf file or a checkpoint directory.
    pub model: String,
    /// Streams coded side by side.
    pub streams: usize,
    /// Positions the key/value cache holds before it is rebuilt.
    pub window: usize,
    /// Tokens a rebuilt cache starts from.
    pub keep: usize,
    /// Threads of the computation (recorded in the file).
    pub threads: usize,
    /// Decompress afterwards and compare.
    pub verify: bool,
    /// The token mixer: 0 none, 1 mixer 1.
    pub mixer: u8,
}

/// Compresses `r.input` with the model it names.
pub fn compress(
    r: &LlmRequest,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<LlmCompressed> {
    let data =
        std::fs::read(&r.input).with_context(|| format!("cannot read {}", r.input.display()))?;
    let p = load(&r.model)?;
    let policy = Policy {
        streams: r.streams,
        window: r.window,
        keep: r.keep,
        start: llm::start_token(&p),
        mixer: r.mixer,
    };
    let outcome = llm::compress(&data, &p, policy, r.threads, progress)?;
    let (input, verify) = (&r.input, r.verify);
    let output = r
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.rlmc", input.display())));
    crate::store::atomic::write_atomic(&output, &outcome.bytes)?;
    let verified = match verify {
        true => {
            let back = llm::decompress(&outcome.bytes, &p, |_, _| {})?;
            if back.bytes != data {
                anyhow::bail!("round trip failed: the decompressed bytes differ from the input");
            }
            Some(back)
        }
        false => None,
    };
    Ok(LlmCompressed {
        output,
        input_bytes: data.len(),
        outcome,
        verified,
    })
}

/// Decompresses an RLLM file with the model `reference` names.
pub fn decompress(
    file: &[u8],
    reference: &str,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<LlmOutcome> {
    let p = load(reference)?;
    llm::decompress(file, &p, progress)
}
