//! Lossless compression with a learned language model and a range coder: pretrained mode (the
//! decoder is given the same model, checked by hash), adaptive mode (a seeded model learns
//! while coding; the file alone decodes) and dynamic mode (the pretrained model keeps learning
//! while coding, "dynamic evaluation"; the decoder repeats its updates). The input is split into K
//! chunks coded side by side in one batch. Everything runs in a thread pool of a fixed size
//! recorded in the file, and a fingerprint of the model's probabilities on a fixed probe is
//! stored, so a decoder that would compute different numbers refuses instead of producing
//! garbage.

pub mod bench;
pub mod driver;
pub mod format;
pub mod memory;
pub mod mixed;
pub mod mixing;
pub mod mode;
pub mod quantize;
pub mod range_coder;
pub mod symbols;

use std::time::Instant;

use anyhow::{bail, Context, Result};
use burn::tensor::Device;
use sha2::{Digest, Sha256};

use driver::{Decoding, Encoding, Modeler, Probe, Profile};
use format::{Chunk, Header, Params};
use mixed::{MixDecoding, MixEncoding};
use mode::Mode;
use range_coder::Encoder;

use crate::models::device::{backend_of, Backend};
use crate::models::lm::LanguageModel;

/// Smallest chunk worth a stream of its own.
const MIN_CHUNK: usize = 256;

/// A pretrained model, the hash of its files, and its tokenizer for tokenizer-level models.
pub struct ModelRef<'a> {
    /// The model.
    pub model: &'a LanguageModel,
    /// First 16 bytes of the SHA-256 of its weights file (and tokenizer).
    pub hash: [u8; 16],
    /// The tokenizer of a tokenizer-level model.
    pub tokenizer: Option<&'a tokenizers::Tokenizer>,
}

/// The hash identifying a weights file.
pub fn file_hash(bytes: &[u8]) -> [u8; 16] {
    let digest = Sha256::digest(bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// Result of one direction.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Compressed or decompressed bytes.
    pub bytes: Vec<u8>,
    /// Where the time went.
    pub profile: Profile,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Streams used.
    pub streams: usize,
}

fn modeler(
    params: &Params,
    pretrained: Option<&ModelRef<'_>>,
    device: &Device,
) -> Result<(Modeler, [u8; 16])> {
    match params.mode {
        Mode::Pretrained => {
            let m = pretrained.context("pretrained mode needs the model")?;
            Ok((Modeler::Frozen(m.model.clone()), m.hash))
        }
        Mode::Dynamic => {
            let m = pretrained.context("dynamic mode needs the pretrained model")?;
            let settings = params
                .adaptive
                .clone()
                .context("dynamic mode needs its update settings")?;
            Ok((
                Modeler::dynamic(&params.model, m.model, settings, device),
                m.hash,
            ))
        }
        Mode::Adaptive => {
            let settings = params
                .adaptive
                .clone()
                .context("adaptive mode needs its settings")?;
            // The settings without the backend, which the encoder records after hashing.
            let settings_only = Params {
                backend: None,
                ..params.clone()
            };
            let hash = file_hash(&serde_json::to_vec(&settings_only)?);
            Ok((Modeler::adaptive(&params.model, settings, device), hash))
        }
    }
}

fn fingerprint(modeler: &Modeler) -> Result<[u8; 8]> {
    const PROBE: &[u8] = b"The fingerprint probe: 0123456789 \n\t{}[]\xff\x00 ...";
    let model = match modeler {
        Modeler::Frozen(m) => m.clone(),
        Modeler::Adaptive { model, .. } => model.clone(),
    };
    let vocab = model.vocab() as u32;
    let mut frozen = Modeler::Frozen(model);
    let probe: Vec<u32> = PROBE.iter().map(|&b| u32::from(b) % vocab).collect();
    let (a, b) = probe.split_at(probe.len() / 2);
    let mut probe = Probe {
        chunks: vec![a, b],
        hasher: Sha256::new(),
        table: quantize::Table::new(vocab as usize),
    };
    driver::run(&mut frozen, &[a.len(), b.len()], &mut probe, |_, _| {})?;
    let mut out = [0u8; 8];
    out.copy_from_slice(&probe.hasher.finalize()[..8]);
    Ok(out)
}

/// `data` with every CRLF turned into LF, if its line endings are all CRLF (every `\n` follows
/// a `\r` and every `\r` precedes a `\n`): models trained on LF text then see familiar input.
/// The transform is flagged in the file and undone exactly by [`add_cr`].
pub fn strip_cr(data: &[u8]) -> Option<Vec<u8>> {
    let lf = data.iter().filter(|&&b| b == b'\n').count();
    let cr = data.iter().filter(|&&b| b == b'\r').count();
    if lf == 0 || cr != lf || data.windows(2).filter(|w| w == b"\r\n").count() != lf {
        return None;
    }
    Some(data.iter().copied().filter(|&b| b != b'\r').collect())
}

/// Undoes [`strip_cr`].
pub fn add_cr(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 32);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Compresses `data` with up to `streams` parallel streams; adaptive and dynamic models learn
/// on `device` (a pretrained model computes where it is).
pub fn compress(
    data: &[u8],
    params: &Params,
    pretrained: Option<&ModelRef<'_>>,
    streams: usize,
    device: &Device,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<Outcome> {
    params.model.validate().map_err(anyhow::Error::msg)?;
    let started = Instant::now();
    if params.model.vocab != crate::models::lm::BYTES && params.mode != Mode::Pretrained {
        bail!(
            "adaptive and dynamic modes code bytes: a tokenizer-level model needs pretrained mode"
        );
    }
    let stripped = strip_cr(data);
    let tokenizer = pretrained.and_then(|p| p.tokenizer);
    let tokenized = Instant::now();
    let symbols = symbols::encode(stripped.as_deref().unwrap_or(data), tokenizer)?;
    let tokenization = tokenized.elapsed();
    let params = &Params {
        crlf: stripped.is_some(),
        text_crc: tokenizer.map(|_| crc32fast::hash(data)),
        ..params.clone()
    };
    let bytes = tokenizer.is_none();
    let data: &[u32] = &symbols;
    crate::codecs::pool::in_pool(params.threads, || {
        let (mut modeler, model_hash) = modeler(params, pretrained, device)?;
        if modeler.vocab() != params.model.vocab {
            bail!(
                "the model has {} symbols, the parameters say {}",
                modeler.vocab(),
                params.model.vocab
            );
        }
        let fingerprint = fingerprint(&modeler)?;
        let backend = backend_of(&crate::models::device_of(modeler.model()));
        // Count models alone learn best from one stream (the network batches streams).
        let streams = match &params.mixing {
            Some(m) if !m.neural => 1,
            _ => streams,
        };
        let k = streams.max(1).min(data.len().div_ceil(MIN_CHUNK)).max(1);
        let chunk_len = data.len().div_ceil(k).max(1);
        let chunks: Vec<&[u32]> = if data.is_empty() {
            Vec::new()
        } else {
            data.chunks(chunk_len).collect()
        };
        let lengths: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
        memory::check(params, lengths.len(), data.len())?;
        let (coded, mut profile) = match &params.mixing {
            Some(config) => {
                let mut coder = MixEncoding::new(chunks.clone(), config)?;
                let profile = driver::run(&mut modeler, &lengths, &mut coder, progress)?;
                (coder.finish(), profile)
            }
            None => {
                let mut coder = Encoding::new(chunks.clone(), modeler.vocab());
                let profile = driver::run(&mut modeler, &lengths, &mut coder, progress)?;
                let coded = coder.encoders.into_iter().map(Encoder::finish).collect();
                (coded, profile)
            }
        };
        profile.tokenization = tokenization;
        let header = Header {
            params: Params {
                backend: backend.gpu_name().map(String::from),
                ..params.clone()
            },
            model_hash,
            fingerprint,
            original_len: data.len(),
            chunks: chunks
                .iter()
                .zip(&coded)
                .map(|(c, s)| Chunk {
                    original: c.len(),
                    coded: s.len(),
                    crc: symbols::crc(c, bytes),
                })
                .collect(),
        };
        Ok(Outcome {
            bytes: format::write(&header, &coded)?,
            profile,
            seconds: started.elapsed().as_secs_f64(),
            streams: chunks.len(),
        })
    })
}

/// Refuses to decode on another backend than the encoder's: its probabilities would differ.
fn same_backend(params: &Params, modeler: &Modeler) -> Result<()> {
    let here = backend_of(&crate::models::device_of(modeler.model()));
    let wanted = params.backend.as_deref().unwrap_or("flex");
    if here.name() == wanted {
        return Ok(());
    }
    let how = match Backend::parse(wanted) {
        Some(Backend::Flex) => "decompress on the CPU (RUNNER_DEVICE=cpu, the default)".to_string(),
        Some(b) if crate::models::device::compiled().contains(&b) => format!(
            "decompress on a {wanted} device (RUNNER_DEVICE=cuda:N for a GPU{})",
            if b == Backend::Wgpu { ", or wgpu" } else { "" }
        ),
        Some(b) => format!(
            "decompress with a runner built with `--features {}`, on a {wanted} device",
            b.feature().unwrap_or(wanted)
        ),
        None => format!("this runner does not know backend `{wanted}`"),
    };
    bail!(
        "this file was compressed on burn's {wanted} backend and this decoder computes on {}: \
         other kernels give other probabilities, so {how}",
        here.name()
    )
}

/// The parameters stored in a compressed file (to find the model it needs).
pub fn params_of(file: &[u8]) -> Result<Params> {
    Ok(format::read(file)?.0.params)
}

/// Decompresses a file written by [`compress`]; pretrained files need the same model, and
/// the same device kind as the encoder's (the numerics fingerprint checks it).
pub fn decompress(
    file: &[u8],
    pretrained: Option<&ModelRef<'_>>,
    device: &Device,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<Outcome> {
    let started = Instant::now();
    let (header, streams) = format::read(file)?;
    let params = &header.params;
    params
        .model
        .validate()
        .map_err(|e| anyhow::anyhow!("corrupted file: {e}"))?;
    memory::check(params, header.chunks.len(), header.original_len)?;
    crate::codecs::pool::in_pool(params.threads, || {
        let (mut modeler, model_hash) = modeler(params, pretrained, device)?;
        if model_hash != header.model_hash {
            bail!(
                "this file was compressed with a different model (model hash {} expected, the \
                 given model has {})",
                hex(&header.model_hash),
                hex(&model_hash)
            );
        }
        same_backend(params, &modeler)?;
        if fingerprint(&modeler)? != header.fingerprint {
            bail!(
                "this machine computes different probabilities from the same model than the \
                 one that compressed the file (numerics fingerprint mismatch): decompress with \
                 the same runner build on a CPU with the same features"
            );
        }
        let lengths: Vec<usize> = header.chunks.iter().map(|c| c.original).collect();
        let (decoded, mut profile) = match &params.mixing {
            Some(config) => {
                let mut coder = MixDecoding::new(&streams, &lengths, config)?;
                let profile = driver::run(&mut modeler, &lengths, &mut coder, progress)?;
                (coder.chunks, profile)
            }
            None => {
                let mut coder = Decoding::new(&streams, &lengths, modeler.vocab());
                let profile = driver::run(&mut modeler, &lengths, &mut coder, progress)?;
                (coder.chunks, profile)
            }
        };
        let k = header.chunks.len();
        let tokenizer = pretrained.and_then(|p| p.tokenizer);
        let mut all = Vec::with_capacity(header.original_len.min(1 << 26));
        for (i, (chunk, symbols)) in header.chunks.iter().zip(&decoded).enumerate() {
            if symbols::crc(symbols, tokenizer.is_none()) != chunk.crc {
                bail!(
                    "chunk {} of {k} does not match its checksum: the file is corrupted",
                    i + 1
                );
            }
            all.extend_from_slice(symbols);
        }
        let detokenized = Instant::now();
        let mut out = symbols::decode(&all, tokenizer)?;
        profile.tokenization = detokenized.elapsed();
        if params.crlf {
            out = add_cr(&out);
        }
        if params.text_crc.is_some_and(|c| c != crc32fast::hash(&out)) {
            bail!("the detokenized text does not match its checksum");
        }
        Ok(Outcome {
            bytes: out,
            profile,
            seconds: started.elapsed().as_secs_f64(),
            streams: k,
        })
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
