//! The compressed file format.
//!
//! ```text
//! magic "RLMC" | version u8 | params length (varint) | params (JSON: mode, model shape,
//! adaptive settings, threads) | model hash (16 bytes) | numerics fingerprint (8 bytes) |
//! original length (varint) | chunk count K (varint) | K × (original length varint,
//! compressed length varint, CRC-32 of the original chunk u32 LE) | CRC-32 of everything
//! before it u32 LE | the K coded streams, back to back
//! ```
//! Reading checks the magic, the version, the header checksum and the payload length, so a
//! corrupted or truncated file is an error naming the problem, never a panic.

use super::mixing::MixingConfig;
pub use super::mode::Mode;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::models::lm::LmConfig;

/// First bytes of every file.
pub const MAGIC: &[u8; 4] = b"RLMC";
/// Format version of files without context mixing.
pub const VERSION: u8 = 1;
/// Format version of files with context mixing (bit-wise coding: older runners must refuse);
/// their parameter block is deflated.
pub const MIXING_VERSION: u8 = 2;
/// The largest inflated parameter block accepted.
const MAX_PARAMS: u64 = 1 << 16;

/// The parameter block as stored: JSON, deflated in files of version [`MIXING_VERSION`].
fn pack_params(params: &Params) -> Result<Vec<u8>> {
    use std::io::Write;
    let json = serde_json::to_vec(params)?;
    if params.mixing.is_none() {
        return Ok(json);
    }
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&json)?;
    Ok(e.finish()?)
}

/// The JSON of a stored parameter block.
fn unpack_params(stored: &[u8], version: u8) -> Result<Vec<u8>> {
    use std::io::Read;
    if version != MIXING_VERSION {
        return Ok(stored.to_vec());
    }
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(stored)
        .take(MAX_PARAMS)
        .read_to_end(&mut json)
        .context("corrupted file: unreadable parameter block")?;
    Ok(json)
}

/// Settings of the adaptive mode (what the decoder must repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveSettings {
    /// Seed of the initial model.
    pub seed: u64,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Symbols per stream between updates (the training segment).
    pub segment: usize,
}

/// Everything the decoder needs besides the streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Pretrained or adaptive.
    pub mode: Mode,
    /// Model shape.
    pub model: LmConfig,
    /// Update settings (adaptive and dynamic modes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveSettings>,
    /// CPU threads of the computation (fixed so that results do not depend on the machine).
    pub threads: usize,
    /// The input's line endings were all CRLF and are coded as LF (restored on decoding).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub crlf: bool,
    /// CRC-32 of the original text (tokenizer-level models: checks the detokenized output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_crc: Option<u32>,
    /// The burn backend that computed the probabilities, when not the CPU's `flex` (set by
    /// compression): other backends' kernels round differently, so the decoder must use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// Context mixing: the bytes are coded bit by bit, the network's prediction one input of a
    /// mixer beside count and match models (None: the network's distribution alone, coded by
    /// the range coder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixing: Option<MixingConfig>,
}

/// One chunk (stream) of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Original bytes.
    pub original: usize,
    /// Coded bytes.
    pub coded: usize,
    /// CRC-32 of the original bytes.
    pub crc: u32,
}

/// A parsed header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Decoder parameters.
    pub params: Params,
    /// First 16 bytes of the model's SHA-256 (pretrained) or of its settings (adaptive).
    pub model_hash: [u8; 16],
    /// Hash of the probabilities the model computed on a fixed probe.
    pub fingerprint: [u8; 8],
    /// Symbols coded (bytes after the line-ending transform, or tokens).
    pub original_len: usize,
    /// Chunks in order.
    pub chunks: Vec<Chunk>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            bail!("truncated file: it ends inside the {what}");
        };
        let data: &'a [u8] = self.data;
        let slice = &data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn varint(&mut self, what: &str) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.bytes(1, what)?[0];
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        bail!("corrupted file: invalid {what}")
    }

    fn size(&mut self, what: &str) -> Result<usize> {
        let v = self.varint(what)?;
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= 1 << 40)
            .with_context(|| format!("corrupted file: implausible {what} {v}"))
    }
}

/// The fewest coded bytes of a chunk: the coders' flush alone writes 4.
pub const MIN_CODED: usize = 4;

/// Most CPU threads a file may ask the decoder for.
pub const MAX_THREADS: usize = 1024;

impl Params {
    /// Checks values read from a file before anything is allocated for them.
    pub fn validate(&self) -> std::result::Result<(), String> {
        self.model.validate()?;
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(format!("{} threads (1 to {MAX_THREADS})", self.threads));
        }
        if let Some(a) = &self.adaptive {
            if !(1..=1 << 20).contains(&a.segment) || !a.learning_rate.is_finite() {
                return Err(format!(
                    "implausible update settings (segment {}, learning rate {})",
                    a.segment, a.learning_rate
                ));
            }
        }
        if let Some(m) = &self.mixing {
            m.validate()?;
            if self.model.vocab != crate::models::lm::BYTES {
                return Err("context mixing codes bytes: the model must be byte-level".into());
            }
        }
        Ok(())
    }
}

/// The most symbols `coded` bytes can hold: every symbol costs at least the bits of the
/// likeliest interval a table can give (all others at 1 of `TOTAL`), and the coder's flush
/// adds a few bytes.
pub fn most_symbols(coded: usize, vocab: usize, mixing: bool) -> f64 {
    if mixing {
        // Eight bits, each at the likeliest probability the mixer gives (4095 of 4096).
        let min_bits = -8.0 * (4095.0f64 / 4096.0).log2();
        return ((coded + 8) as f64 * 8.0 / min_bits).ceil();
    }
    let total = f64::from(super::range_coder::TOTAL);
    let best = (total - (vocab.max(2) - 1) as f64) / total;
    let min_bits = -best.log2();
    ((coded + 8) as f64 * 8.0 / min_bits).ceil()
}

/// Writes header and streams into one file image.
pub fn write(header: &Header, streams: &[Vec<u8>]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(if header.params.mixing.is_some() {
        MIXING_VERSION
    } else {
        VERSION
    });
    let params = pack_params(&header.params)?;
    put_varint(&mut out, params.len() as u64);
    out.extend_from_slice(&params);
    out.extend_from_slice(&header.model_hash);
    out.extend_from_slice(&header.fingerprint);
    put_varint(&mut out, header.original_len as u64);
    put_varint(&mut out, header.chunks.len() as u64);
    for c in &header.chunks {
        put_varint(&mut out, c.original as u64);
        put_varint(&mut out, c.coded as u64);
        out.extend_from_slice(&c.crc.to_le_bytes());
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    for s in streams {
        out.extend_from_slice(s);
    }
    Ok(out)
}

/// Parses a file image into its header and the slices of its streams. Every error is the
/// file's (bad input, exit 2), whatever reading it tripped over.
pub fn read(data: &[u8]) -> Result<(Header, Vec<&[u8]>)> {
    crate::error::Classify::bad_input(read_file(data))
}

fn read_file(data: &[u8]) -> Result<(Header, Vec<&[u8]>)> {
    if data.len() < 5 || &data[..4] != MAGIC {
        bail!("not an lm-codec file (no RLMC magic number)");
    }
    if data[4] != VERSION && data[4] != MIXING_VERSION {
        bail!(
            "lm-codec format version {} is not supported (this runner reads versions {VERSION} and {MIXING_VERSION})",
            data[4]
        );
    }
    let mut r = Reader { data, pos: 5 };
    let n = r.size("parameter block length")?;
    let params_bytes = r.bytes(n, "parameter block")?.to_vec();
    let mut model_hash = [0u8; 16];
    model_hash.copy_from_slice(r.bytes(16, "model hash")?);
    let mut fingerprint = [0u8; 8];
    fingerprint.copy_from_slice(r.bytes(8, "numerics fingerprint")?);
    let original_len = r.size("original length")?;
    let k = r.size("chunk count")?;
    if k > 1 << 20 {
        bail!("corrupted file: implausible chunk count {k}");
    }
    let mut chunks = Vec::with_capacity(k);
    for _ in 0..k {
        let original = r.size("chunk table")?;
        let coded = r.size("chunk table")?;
        let crc = u32::from_le_bytes(r.bytes(4, "chunk table")?.try_into()?);
        chunks.push(Chunk {
            original,
            coded,
            crc,
        });
    }
    let header_end = r.pos;
    let stored = u32::from_le_bytes(r.bytes(4, "header checksum")?.try_into()?);
    if crc32fast::hash(&data[..header_end]) != stored {
        bail!("corrupted file: the header checksum does not match");
    }
    let params: Params = serde_json::from_slice(&unpack_params(&params_bytes, data[4])?)
        .context("corrupted file: unreadable parameter block")?;
    params
        .validate()
        .map_err(|e| anyhow::anyhow!("corrupted file: {e}"))?;
    if params.mixing.is_some() != (data[4] == MIXING_VERSION) {
        bail!("corrupted file: the format version does not match the parameter block");
    }
    for (i, c) in chunks.iter().enumerate() {
        // Every coder's flush writes at least this much: the chunk count is bounded by the
        // payload the file really holds.
        if c.coded < MIN_CODED {
            bail!(
                "corrupted file: chunk {} of {k} has {} coded bytes (every chunk has at least {MIN_CODED})",
                i + 1,
                c.coded
            );
        }
        let most = most_symbols(c.coded, params.model.vocab, params.mixing.is_some());
        if c.original as f64 > most {
            bail!(
                "corrupted file: chunk {} of {k} claims {} symbols, more than its {} coded bytes can hold",
                i + 1,
                c.original,
                c.coded
            );
        }
    }
    if chunks.iter().map(|c| c.original).sum::<usize>() != original_len {
        bail!("corrupted file: chunk lengths do not add up to the original length");
    }
    let mut streams = Vec::with_capacity(k);
    for (i, c) in chunks.iter().enumerate() {
        let s = r
            .bytes(c.coded, "coded streams")
            .with_context(|| format!("stream {i} of {k}"))?;
        streams.push(s);
    }
    if r.pos != data.len() {
        bail!(
            "corrupted file: {} unexpected bytes after the last stream",
            data.len() - r.pos
        );
    }
    Ok((
        Header {
            params,
            model_hash,
            fingerprint,
            original_len,
            chunks,
        },
        streams,
    ))
}
