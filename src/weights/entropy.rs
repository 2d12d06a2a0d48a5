//! The lossless last stage. Per stream: an order-0 range coder over the codes (a static
//! frequency table of the stream, stored in front of it: 2 bytes per symbol of the alphabet),
//! used only where it is smaller than the packed codes. Over the whole body: zstd (level 19) or
//! xz (preset 9 extreme), used only where smaller than the body as it is. So the stage never
//! makes the file larger, and the file records what was chosen.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::bits::{pack, unpack, Width};
use crate::codecs::learned::quantize::Table;
use crate::codecs::learned::range_coder::{Decoder, Encoder, TOTAL};

/// Largest alphabet worth a frequency table.
pub const MAX_ALPHABET: u64 = 4096;

/// How a stream's codes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coding {
    /// Packed at their width.
    Packed,
    /// Range-coded with the stream's own order-0 table.
    Range,
}

/// The compressor over the whole body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyCoding {
    /// Stored as it is.
    None,
    /// zstd, level 19.
    Zstd,
    /// xz, preset 9 extreme.
    Xz,
}

/// The stream's bytes: range-coded when `allow_range` and that is smaller, else packed.
pub fn code_stream(codes: &[u32], width: Width, allow_range: bool) -> (Coding, Vec<u8>) {
    let packed = pack(codes, width);
    if !allow_range || width.alphabet() > MAX_ALPHABET || codes.is_empty() {
        return (Coding::Packed, packed);
    }
    let ranged = range_code(codes, width.alphabet() as usize);
    if ranged.len() < packed.len() {
        (Coding::Range, ranged)
    } else {
        (Coding::Packed, packed)
    }
}

fn range_code(codes: &[u32], alphabet: usize) -> Vec<u8> {
    let mut counts = vec![0f32; alphabet];
    for &c in codes {
        counts[c as usize] += 1.0;
    }
    let mut table = Table::new(alphabet);
    table.fill(&counts);
    let mut out: Vec<u8> = (0..alphabet)
        .flat_map(|s| ((table.interval(s).1 - 1) as u16).to_le_bytes())
        .collect();
    let mut encoder = Encoder::default();
    for &c in codes {
        let (cum, freq) = table.interval(c as usize);
        encoder.encode(cum, freq);
    }
    out.extend(encoder.finish());
    out
}

/// The `count` codes of a stream stored as `coding`.
pub fn decode_stream(bytes: &[u8], coding: Coding, width: Width, count: usize) -> Result<Vec<u32>> {
    match coding {
        Coding::Packed => unpack(bytes, width, count),
        Coding::Range => {
            let alphabet = width.alphabet() as usize;
            if width.alphabet() > MAX_ALPHABET || bytes.len() < 2 * alphabet {
                bail!("a range-coded stream's table is missing");
            }
            let mut table = Table::new(alphabet);
            for s in 0..alphabet {
                let f = u32::from(u16::from_le_bytes([bytes[2 * s], bytes[2 * s + 1]])) + 1;
                table.cum[s + 1] = table.cum[s] + f;
            }
            if table.cum[alphabet] != TOTAL {
                bail!("a range-coded stream's table does not sum to {TOTAL}");
            }
            let mut decoder = Decoder::new(&bytes[2 * alphabet..]);
            let codes: Vec<u32> = (0..count)
                .map(|_| {
                    let s = table.find(decoder.target());
                    let (cum, freq) = table.interval(s);
                    decoder.consume(cum, freq);
                    s as u32
                })
                .collect();
            if decoder.overran() {
                bail!("a range-coded stream is cut short");
            }
            Ok(codes)
        }
    }
}

/// The body compressed the way that makes it smallest (none, zstd or xz).
pub fn code_body(body: &[u8], allow: bool) -> Result<(BodyCoding, Vec<u8>)> {
    let mut best = (BodyCoding::None, body.to_vec());
    if !allow {
        return Ok(best);
    }
    let z = zstd::bulk::compress(body, 19).context("zstd")?;
    if z.len() < best.1.len() {
        best = (BodyCoding::Zstd, z);
    }
    let x = xz(body)?;
    if x.len() < best.1.len() {
        best = (BodyCoding::Xz, x);
    }
    Ok(best)
}

fn xz(body: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = liblzma::write::XzEncoder::new(Vec::new(), 9 | liblzma::stream::PRESET_EXTREME);
    enc.write_all(body)?;
    Ok(enc.finish()?)
}

/// The body as it was before [`code_body`]; `raw_len` is its recorded length.
pub fn decode_body(bytes: &[u8], coding: BodyCoding, raw_len: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let body = match coding {
        BodyCoding::None => bytes.to_vec(),
        BodyCoding::Zstd => zstd::bulk::decompress(bytes, raw_len).context("zstd body")?,
        BodyCoding::Xz => {
            let mut out = Vec::with_capacity(raw_len);
            liblzma::read::XzDecoder::new(bytes)
                .read_to_end(&mut out)
                .context("xz body")?;
            out
        }
    };
    if body.len() != raw_len {
        bail!(
            "the body is {} bytes, the header says {raw_len}",
            body.len()
        );
    }
    Ok(body)
}
