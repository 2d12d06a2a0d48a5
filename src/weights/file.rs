//! The compressed-model file: versioned and checksummed, read back for every evaluation.
//!
//! ```text
//! "RUNNERWC"  format (u32 LE)  header length (u32 LE)  header (JSON)
//! body length (u64 LE)  body  SHA-256 of everything before it (32 bytes)
//! ```
//! The header names the model, every tensor (name, shape, method) and every stream of each
//! (role, width, code count, coding, bytes); the body is the streams' bytes one after another,
//! passed through the body coding the header names. A file whose checksum, sizes or codes do
//! not add up is an error, never a model.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::bits::Width;
use super::entropy::{code_body, code_stream, decode_body, decode_stream, BodyCoding, Coding};
use super::method::{Encoded, Method, Role, Stream};

const MAGIC: &[u8; 8] = b"RUNNERWC";
/// Version of the file layout.
pub const FORMAT: u32 = 1;

/// One stream as the header describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamEntry {
    /// Payload or side information.
    pub role: Role,
    /// Layout of a code.
    pub width: Width,
    /// Codes in the stream.
    pub count: usize,
    /// How they are stored.
    pub coding: Coding,
    /// Bytes they take in the body.
    pub bytes: usize,
}

/// One tensor as the header describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorEntry {
    /// Parameter path in the model.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// How it was compressed.
    pub method: Method,
    /// Its streams.
    pub streams: Vec<StreamEntry>,
}

/// The file's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// What model this is (kind, artifact, configuration): enough to rebuild its shape.
    pub model: serde_json::Value,
    /// The tensors, in the model's parameter order.
    pub tensors: Vec<TensorEntry>,
    /// The coding of the body.
    pub body: BodyCoding,
    /// Length of the body before that coding.
    pub body_len: usize,
}

/// The bytes of a file holding `encoded` (one per tensor of `names`/`shapes`); `entropy`
/// turns the lossless stage on.
pub fn serialize(
    model: &serde_json::Value,
    tensors: &[(String, Vec<usize>)],
    encoded: &[Encoded],
    entropy: bool,
) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut entries = Vec::with_capacity(tensors.len());
    for ((name, shape), e) in tensors.iter().zip(encoded) {
        let streams = e
            .streams
            .iter()
            .map(|s| {
                let (coding, bytes) = code_stream(&s.codes, s.width, entropy);
                body.extend_from_slice(&bytes);
                StreamEntry {
                    role: s.role,
                    width: s.width,
                    count: s.codes.len(),
                    coding,
                    bytes: bytes.len(),
                }
            })
            .collect();
        entries.push(TensorEntry {
            name: name.clone(),
            shape: shape.clone(),
            method: e.method,
            streams,
        });
    }
    let (coding, coded) = code_body(&body, entropy)?;
    let header = Header {
        model: model.clone(),
        tensors: entries,
        body: coding,
        body_len: body.len(),
    };
    let json = serde_json::to_vec(&header)?;
    let mut out = Vec::with_capacity(json.len() + coded.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&(coded.len() as u64).to_le_bytes());
    out.extend_from_slice(&coded);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Writes [`serialize`]d bytes atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::store::atomic::write_atomic(path, bytes)
}

/// The header and every tensor's streams of a file's `bytes` (`what` names it in errors).
pub fn parse(bytes: &[u8], what: &str) -> Result<(Header, Vec<Encoded>)> {
    let fail = |m: &str| anyhow::anyhow!("{what}: {m}");
    if bytes.len() < 8 + 4 + 4 + 8 + 32 || &bytes[..8] != MAGIC {
        return Err(fail("not a runner compressed-model file"));
    }
    let (content, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(content).as_slice() != digest {
        return Err(fail("checksum mismatch: the file is damaged"));
    }
    let format = u32::from_le_bytes(content[8..12].try_into()?);
    if format != FORMAT {
        return Err(fail(&format!(
            "format {format}, this runner reads {FORMAT}"
        )));
    }
    let json_len = u32::from_le_bytes(content[12..16].try_into()?) as usize;
    let body_at = 16 + json_len + 8;
    if content.len() < body_at {
        return Err(fail("the header is cut short"));
    }
    let header: Header = serde_json::from_slice(&content[16..16 + json_len])
        .with_context(|| format!("{what}: header"))?;
    let body_len = u64::from_le_bytes(content[16 + json_len..body_at].try_into()?) as usize;
    if content.len() != body_at + body_len {
        return Err(fail("the body's length does not match the file"));
    }
    let body = decode_body(&content[body_at..], header.body, header.body_len)
        .with_context(|| what.to_string())?;
    let encoded = split(&header, &body).with_context(|| what.to_string())?;
    Ok((header, encoded))
}

fn split(header: &Header, body: &[u8]) -> Result<Vec<Encoded>> {
    let mut at = 0usize;
    let mut out = Vec::with_capacity(header.tensors.len());
    for t in &header.tensors {
        let mut streams = Vec::with_capacity(t.streams.len());
        for s in &t.streams {
            let Some(bytes) = body.get(at..at + s.bytes) else {
                bail!("tensor {}: its streams run past the body", t.name);
            };
            let codes = decode_stream(bytes, s.coding, s.width, s.count)
                .with_context(|| format!("tensor {}", t.name))?;
            if codes.iter().any(|&c| u64::from(c) >= s.width.alphabet()) {
                bail!("tensor {}: a code does not fit its width", t.name);
            }
            streams.push(Stream::new(s.role, s.width, codes));
            at += s.bytes;
        }
        out.push(Encoded {
            method: t.method,
            streams,
        });
    }
    if at != body.len() {
        bail!(
            "the body holds {} bytes the header does not describe",
            body.len() - at
        );
    }
    Ok(out)
}
