//! One file coded outside a spec (`runner lm-codec compress` / `decompress`): the coding
//! parameters from the task's parameters, the pretrained model found in the artifact store,
//! the output written atomically, and the round trip checked on request.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::task::LmCodecParams;
use crate::artifacts::lm::{LmArtifactConfig, PretrainedLm};
use crate::artifacts::ArtifactStore;
use crate::codecs::learned::format::Params;
use crate::codecs::learned::mixing::Mixing;
use crate::codecs::learned::mode::Mode;
use crate::codecs::learned::{self, Outcome};

/// A pretrained model and its artifact's config.
pub type Loaded = (LmArtifactConfig, PretrainedLm);

/// What to compress and how.
#[derive(Debug, Clone)]
pub struct CompressRequest {
    /// The file.
    pub input: PathBuf,
    /// Where the compressed file goes (default: INPUT.rlmc).
    pub output: Option<PathBuf>,
    /// The pretrained model (an artifact directory or id); none in adaptive mode.
    pub model: Option<String>,
    /// The task's parameters (mode, shape, mixing, updates, streams).
    pub params: LmCodecParams,
    /// Seed of the adaptive model.
    pub seed: u64,
    /// Threads of the computation (recorded in the file).
    pub threads: usize,
    /// Decompress afterwards and compare.
    pub verify: bool,
}

/// A compressed file.
pub struct Compressed {
    /// Where it was written.
    pub output: PathBuf,
    /// The input's length in bytes.
    pub input_bytes: usize,
    /// The compression's outcome (bytes, streams, time, profile).
    pub outcome: Outcome,
    /// The round trip's decompression, when verified.
    pub verified: Option<Outcome>,
}

/// A decompressed file.
pub struct Decompressed {
    /// Where it was written.
    pub output: PathBuf,
    /// The decompression's outcome.
    pub outcome: Outcome,
}

/// The coding parameters of one file: the task's parameters, with the shape and vocabulary of
/// the pretrained model when there is one.
pub fn coding_params(
    task: &LmCodecParams,
    loaded: Option<&Loaded>,
    seed: u64,
    threads: usize,
) -> Result<Params> {
    let model = match loaded {
        Some(l) => l.0.model_config(l.1.model.vocab()),
        None => task.network().map_err(anyhow::Error::msg)?,
    };
    // A tokenizer-level model codes tokens: auto mixing (bit by bit over bytes) is off.
    let tokens = model.vocab != crate::models::lm::BYTES;
    Ok(Params {
        mode: task.mode,
        mixing: match task.mixing {
            Mixing::Auto if tokens => None,
            _ => task.mixing_config(),
        },
        model,
        adaptive: task.updates(seed),
        threads,
        crlf: false,
        text_crc: None,
        backend: None,
    })
}

/// The pretrained model `name` names (an artifact directory or id), if any.
fn load(name: Option<&str>, device: &burn::tensor::Device) -> Result<Option<Loaded>> {
    name.map(|m| crate::artifacts::lm::find(&ArtifactStore::default_location(), m, device))
        .transpose()
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Compresses `request.input`; `progress` hears (done, total) steps.
pub fn compress(
    request: &CompressRequest,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<Compressed> {
    let data = read(&request.input)?;
    let device = crate::models::device::from_environment()?;
    let loaded = load(request.model.as_deref(), &device)?;
    if loaded.is_none() && request.params.mode != Mode::Adaptive {
        bail!("give --model ARTIFACT (pretrained mode) or --adaptive");
    }
    let params = coding_params(
        &request.params,
        loaded.as_ref(),
        request.seed,
        request.threads,
    )?;
    let model_ref = loaded.as_ref().map(|l| l.1.model_ref());
    let streams = request.params.streams;
    let outcome = learned::compress(
        &data,
        &params,
        model_ref.as_ref(),
        streams,
        &device,
        progress,
    )?;
    let output = request
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.rlmc", request.input.display())));
    crate::store::atomic::write_atomic(&output, &outcome.bytes)?;
    let verified = match request.verify {
        true => {
            let back = learned::decompress(&outcome.bytes, model_ref.as_ref(), &device, |_, _| {})?;
            if back.bytes != data {
                bail!("round trip failed: the decompressed bytes differ from the input");
            }
            Some(back)
        }
        false => None,
    };
    Ok(Compressed {
        output,
        input_bytes: data.len(),
        outcome,
        verified,
    })
}

/// Decompresses `input` (a pretrained file needs its `model`) into `output` (default: INPUT
/// without .rlmc, or INPUT.out); `progress` hears (done, total) steps.
pub fn decompress(
    input: &Path,
    output: Option<PathBuf>,
    model: Option<&str>,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<Decompressed> {
    let file = read(input)?;
    let device = crate::models::device::from_environment()?;
    let loaded = load(model, &device)?;
    let params = learned::params_of(&file).with_context(|| format!("{}", input.display()))?;
    if params.mode != Mode::Adaptive && loaded.is_none() {
        bail!(
            "{} was compressed with a pretrained {} model: give it with --model",
            input.display(),
            params.model.arch.name()
        );
    }
    let model_ref = loaded.as_ref().map(|l| l.1.model_ref());
    let outcome = learned::decompress(&file, model_ref.as_ref(), &device, progress)
        .with_context(|| format!("{}", input.display()))?;
    let output = output.unwrap_or_else(|| {
        let name = input.display().to_string();
        PathBuf::from(match name.strip_suffix(".rlmc") {
            Some(stem) => stem.to_string(),
            None => format!("{name}.out"),
        })
    });
    crate::store::atomic::write_atomic(&output, &outcome.bytes)?;
    Ok(Decompressed { output, outcome })
}
