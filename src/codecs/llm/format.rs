//! The file of the pretrained-model codec.
//!
//! ```text
//! magic "RLLM" | version u8 | model SHA-256 (32 bytes) | tokenizer SHA-256 (first 8 bytes) |
//! settings length (varint) | settings (deflated JSON: vocabulary, policy, threads, backend) |
//! checkpoints: count (varint), 8 bytes each | original length in bytes (varint) | CRC-32 of
//! the original u32 LE | tokens (varint) | CRC-32 of everything before it u32 LE | the coded
//! bytes (one range coder: the streams' tokens in the order the loop visits them)
//! ```
//! Every size is checked against what the file holds before anything is allocated from it.
//! Version 3 added the token mixer to the policy (`mixer`; version 2 files have none and are
//! still read); version 1 (one coder per stream, a chunk table) is no longer read.

use std::io::{Read, Write};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::driver::Policy;

/// First bytes of every file.
pub const MAGIC: &[u8; 4] = b"RLLM";
/// The format version.
pub const VERSION: u8 = 3;
/// The oldest version read.
const OLDEST: u8 = 2;
/// The largest settings block accepted (inflated).
const MAX_SETTINGS: u64 = 1 << 16;

/// What the decoder needs besides the streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmHeader {
    /// SHA-256 of the model's weights file (hex).
    #[serde(skip)]
    pub model_sha256: String,
    /// SHA-256 over every token's bytes, in id order (hex; its first 8 bytes are stored).
    #[serde(skip)]
    pub tokenizer_sha256: String,
    /// Tokens of the vocabulary.
    pub vocab: usize,
    /// Streams, window and start token.
    pub policy: Policy,
    /// CPU threads of the computation (fixed: results must not depend on the machine's).
    pub threads: usize,
    /// The burn backend that computed the probabilities.
    pub backend: String,
}

/// A whole file's header.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmFile {
    /// Decoder settings.
    pub header: LlmHeader,
    /// Numerics checkpoints of stream 0.
    pub checkpoints: Vec<[u8; 8]>,
    /// Bytes of the original.
    pub original_len: usize,
    /// CRC-32 of the original.
    pub crc: u32,
    /// Tokens of the original (each at least one byte of it).
    pub tokens: usize,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first `n` bytes a hex text gives (zeros for what is not hex).
fn unhex(text: &str, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            text.get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0)
        })
        .collect()
}

/// Writes the header and the coded bytes into one file image.
pub fn write(file: &LlmFile, coded: &[u8]) -> Result<Vec<u8>> {
    let mut out = MAGIC.to_vec();
    out.push(VERSION);
    out.extend(unhex(&file.header.model_sha256, 32));
    out.extend(unhex(&file.header.tokenizer_sha256, 8));
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&serde_json::to_vec(&file.header)?)?;
    let settings = e.finish()?;
    put_varint(&mut out, settings.len() as u64);
    out.extend(settings);
    put_varint(&mut out, file.checkpoints.len() as u64);
    file.checkpoints.iter().for_each(|c| out.extend(c));
    put_varint(&mut out, file.original_len as u64);
    out.extend(file.crc.to_le_bytes());
    put_varint(&mut out, file.tokens as u64);
    let crc = crc32fast::hash(&out);
    out.extend(crc.to_le_bytes());
    out.extend(coded);
    Ok(out)
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.pos.checked_add(n).filter(|&e| e <= self.data.len()) {
            Some(end) => {
                let s = &self.data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => bail!("truncated file: it ends inside the {what}"),
        }
    }

    /// A count; items of `each` bytes must fit in what is left of the file.
    fn count(&mut self, what: &str, each: usize) -> Result<usize> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.bytes(1, what)?[0];
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                let left = (self.data.len() - self.pos) as u64;
                return usize::try_from(v)
                    .ok()
                    .filter(|&n| each == 0 || (n as u64).saturating_mul(each as u64) <= left)
                    .with_context(|| format!("corrupted file: implausible {what} {v}"));
            }
        }
        bail!("corrupted file: invalid {what}")
    }
}

/// Parses a file image into its header and its coded bytes (every error is the file's: bad
/// input).
pub fn read(data: &[u8]) -> Result<(LlmFile, &[u8])> {
    crate::error::Classify::bad_input(read_file(data))
}

fn read_file(data: &[u8]) -> Result<(LlmFile, &[u8])> {
    if data.len() < 5 || &data[..4] != MAGIC {
        bail!("not a pretrained-model lm-codec file (no RLLM magic number)");
    }
    if !(OLDEST..=VERSION).contains(&data[4]) {
        bail!(
            "format version {} is not supported (this runner reads versions {OLDEST} to {VERSION})",
            data[4]
        );
    }
    let mut r = Reader { data, pos: 5 };
    let model = hex(r.bytes(32, "model hash")?);
    let tokenizer = hex(r.bytes(8, "tokenizer hash")?);
    let n = r.count("settings length", 1)?;
    let settings = r.bytes(n, "settings")?;
    let checkpoints = (0..r.count("checkpoint count", 8)?)
        .map(|_| Ok(r.bytes(8, "checkpoints")?.try_into()?))
        .collect::<Result<Vec<[u8; 8]>>>()?;
    let original_len = r.count("original length", 0)?;
    let crc = u32::from_le_bytes(r.bytes(4, "checksum")?.try_into()?);
    let tokens = r.count("token count", 0)?;
    let end = r.pos;
    let stored = u32::from_le_bytes(r.bytes(4, "header checksum")?.try_into()?);
    if crc32fast::hash(&data[..end]) != stored {
        bail!("corrupted file: the header checksum does not match");
    }
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(settings)
        .take(MAX_SETTINGS)
        .read_to_end(&mut json)
        .context("corrupted file: unreadable settings")?;
    let mut header: LlmHeader =
        serde_json::from_slice(&json).context("corrupted file: unreadable settings")?;
    (header.model_sha256, header.tokenizer_sha256) = (model, tokenizer);
    if data[4] < 3 && header.policy.mixer != 0 {
        bail!(
            "corrupted file: a version {} file with a token mixer",
            data[4]
        );
    }
    if tokens > original_len || (original_len > 0 && tokens == 0) {
        bail!("corrupted file: {tokens} tokens for {original_len} bytes");
    }
    if header.policy.streams > tokens.max(1) {
        bail!(
            "corrupted file: {} streams for {tokens} tokens",
            header.policy.streams
        );
    }
    Ok((
        LlmFile {
            header,
            checkpoints,
            original_len,
            crc,
            tokens,
        },
        &data[r.pos..],
    ))
}
