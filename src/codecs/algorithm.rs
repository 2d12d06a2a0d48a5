//! The classical compressors and their levels. One code path per algorithm for compression
//! and decompression, used by the `codec` task, `runner codec`, and the lm-codec baselines.
//!
//! Framing: gzip (RFC 1952, no file name stored), zlib (RFC 1950), raw deflate (RFC 1951), all
//! by flate2 (miniz_oxide); xz (.xz container, CRC64) and lzma (legacy .lzma "alone" format)
//! by liblzma; lz4 frame format by lz4_flex; zstd frames (content size, no checksum) by zstd;
//! brotli raw stream (window 2^22, as the `brotli` CLI) by brotli.

use std::fmt;
use std::io::{Read, Write};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// A compression algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// gzip container around deflate.
    Gzip,
    /// zlib container around deflate.
    Zlib,
    /// Raw deflate.
    Deflate,
    /// xz container around LZMA2.
    Xz,
    /// Legacy .lzma format.
    Lzma,
    /// LZ4 frame format.
    Lz4,
    /// Zstandard.
    Zstd,
    /// Brotli.
    Brotli,
}

/// Every algorithm, in the order reports list them.
pub const ALL: [Algorithm; 8] = [
    Algorithm::Gzip,
    Algorithm::Zlib,
    Algorithm::Deflate,
    Algorithm::Xz,
    Algorithm::Lzma,
    Algorithm::Lz4,
    Algorithm::Zstd,
    Algorithm::Brotli,
];

/// Level ranges: (min, default, max) or None for algorithms without levels.
impl Algorithm {
    /// Name used in specs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Gzip => "gzip",
            Algorithm::Zlib => "zlib",
            Algorithm::Deflate => "deflate",
            Algorithm::Xz => "xz",
            Algorithm::Lzma => "lzma",
            Algorithm::Lz4 => "lz4",
            Algorithm::Zstd => "zstd",
            Algorithm::Brotli => "brotli",
        }
    }

    /// Parses a name (`deflate` also accepts `raw-deflate`).
    pub fn parse(name: &str) -> Option<Algorithm> {
        let name = name.to_ascii_lowercase();
        ALL.into_iter()
            .find(|a| a.name() == name)
            .or(match name.as_str() {
                "raw-deflate" | "raw_deflate" => Some(Algorithm::Deflate),
                _ => None,
            })
    }

    /// (lowest, default, highest) level, or None when the algorithm has a single setting.
    pub fn levels(self) -> Option<(i32, i32, i32)> {
        match self {
            // Level 0 of deflate stores without compressing; `min` means the fastest that compresses.
            Algorithm::Gzip | Algorithm::Zlib | Algorithm::Deflate => Some((0, 6, 9)),
            Algorithm::Xz | Algorithm::Lzma => Some((0, 6, 9)),
            Algorithm::Lz4 => None,
            Algorithm::Zstd => Some((1, 3, 22)),
            Algorithm::Brotli => Some((0, 11, 11)),
        }
    }

    /// Whether the algorithm has the "extreme" variant of its levels (xz -e).
    pub fn has_extreme(self) -> bool {
        matches!(self, Algorithm::Xz | Algorithm::Lzma)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A level as written by a user: a number, or `min`, `default`, `max` (max of xz/lzma is `9e`).
#[derive(Debug, Clone, PartialEq)]
pub enum LevelSpec {
    /// An explicit level; `extreme` for `9e`-style xz levels.
    Number(i32, bool),
    /// The lowest level.
    Min,
    /// The library's default.
    Default,
    /// The strongest level.
    Max,
}

impl LevelSpec {
    /// Parses `"9"`, `"9e"`, `"min"`, `"default"`, `"max"`.
    pub fn parse(text: &str) -> Option<LevelSpec> {
        match text {
            "min" => Some(LevelSpec::Min),
            "default" => Some(LevelSpec::Default),
            "max" => Some(LevelSpec::Max),
            t => match t.strip_suffix('e') {
                Some(n) => n.parse().ok().map(|n| LevelSpec::Number(n, true)),
                None => t.parse().ok().map(|n| LevelSpec::Number(n, false)),
            },
        }
    }
}

/// An algorithm at a level: the unit that compresses and decompresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Codec {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Its level (0 for algorithms without levels).
    pub level: i32,
    /// xz/lzma extreme presets.
    pub extreme: bool,
}

impl Codec {
    /// Resolves a level spec for an algorithm, or says which levels are allowed.
    pub fn new(algorithm: Algorithm, level: &LevelSpec) -> Result<Codec, String> {
        let Some((lo, default, hi)) = algorithm.levels() else {
            return match level {
                LevelSpec::Number(..) => Err(format!(
                    "{algorithm} (lz4_flex frame) has a single level; use \"default\""
                )),
                _ => Ok(Codec {
                    algorithm,
                    level: 0,
                    extreme: false,
                }),
            };
        };
        let (n, extreme) = match *level {
            LevelSpec::Min => (
                if lo == 0
                    && matches!(
                        algorithm,
                        Algorithm::Gzip | Algorithm::Zlib | Algorithm::Deflate
                    )
                {
                    1
                } else {
                    lo
                },
                false,
            ),
            LevelSpec::Default => (default, false),
            LevelSpec::Max => (hi, algorithm.has_extreme()),
            LevelSpec::Number(n, e) => (n, e),
        };
        if !(lo..=hi).contains(&n) {
            return Err(format!(
                "level {n} is out of range for {algorithm}: {lo}..={hi} (or min, default, max)"
            ));
        }
        if extreme && !algorithm.has_extreme() {
            return Err(format!("{algorithm} has no extreme (`e`) levels"));
        }
        Ok(Codec {
            algorithm,
            level: n,
            extreme,
        })
    }

    /// `gzip-9`, `xz-9e`, `lz4`.
    pub fn label(&self) -> String {
        match self.algorithm.levels() {
            None => self.algorithm.name().to_string(),
            Some(_) => format!(
                "{}-{}{}",
                self.algorithm,
                self.level,
                if self.extreme { "e" } else { "" }
            ),
        }
    }

    /// Compresses `data`.
    pub fn compress(&self, data: &[u8]) -> Result<Vec<u8>> {
        let out = Vec::with_capacity(data.len() / 2 + 64);
        let level = self.level as u32;
        Ok(match self.algorithm {
            Algorithm::Gzip => {
                let mut e = flate2::write::GzEncoder::new(out, flate2::Compression::new(level));
                e.write_all(data)?;
                e.finish()?
            }
            Algorithm::Zlib => {
                let mut e = flate2::write::ZlibEncoder::new(out, flate2::Compression::new(level));
                e.write_all(data)?;
                e.finish()?
            }
            Algorithm::Deflate => {
                let mut e =
                    flate2::write::DeflateEncoder::new(out, flate2::Compression::new(level));
                e.write_all(data)?;
                e.finish()?
            }
            Algorithm::Xz | Algorithm::Lzma => {
                let preset = level
                    | if self.extreme {
                        liblzma::stream::PRESET_EXTREME
                    } else {
                        0
                    };
                let stream = if self.algorithm == Algorithm::Xz {
                    liblzma::stream::Stream::new_easy_encoder(
                        preset,
                        liblzma::stream::Check::Crc64,
                    )?
                } else {
                    liblzma::stream::Stream::new_lzma_encoder(
                        &liblzma::stream::LzmaOptions::new_preset(preset)?,
                    )?
                };
                let mut e = liblzma::write::XzEncoder::new_stream(out, stream);
                e.write_all(data)?;
                e.finish()?
            }
            Algorithm::Lz4 => {
                let mut e = lz4_flex::frame::FrameEncoder::new(out);
                e.write_all(data)?;
                e.finish().context("lz4 frame")?
            }
            Algorithm::Zstd => zstd::bulk::compress(data, self.level)?,
            Algorithm::Brotli => {
                let mut e = brotli::CompressorWriter::new(out, 4096, level, 22);
                e.write_all(data)?;
                e.flush()?;
                e.into_inner()
            }
        })
    }

    /// Decompresses `data`; `size_hint` (the original size, when known) sizes the buffer.
    pub fn decompress(&self, data: &[u8], size_hint: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(size_hint);
        match self.algorithm {
            Algorithm::Gzip => flate2::read::GzDecoder::new(data).read_to_end(&mut out)?,
            Algorithm::Zlib => flate2::read::ZlibDecoder::new(data).read_to_end(&mut out)?,
            Algorithm::Deflate => flate2::read::DeflateDecoder::new(data).read_to_end(&mut out)?,
            Algorithm::Xz | Algorithm::Lzma => {
                let stream = if self.algorithm == Algorithm::Xz {
                    liblzma::stream::Stream::new_stream_decoder(u64::MAX, 0)?
                } else {
                    liblzma::stream::Stream::new_lzma_decoder(u64::MAX)?
                };
                liblzma::read::XzDecoder::new_stream(data, stream).read_to_end(&mut out)?
            }
            Algorithm::Lz4 => lz4_flex::frame::FrameDecoder::new(data).read_to_end(&mut out)?,
            Algorithm::Zstd => {
                out = zstd::bulk::decompress(
                    data,
                    size_hint.max(zstd::bulk::Decompressor::upper_bound(data).unwrap_or(0)),
                )?;
                out.len()
            }
            Algorithm::Brotli => {
                // BrotliDecompress drives the decoder with large buffers; the `Read` adapter
                // (4 KB reads) is about 7x slower on short texts.
                brotli::BrotliDecompress(&mut &data[..], &mut out)?;
                out.len()
            }
        };
        Ok(out)
    }

    /// Compresses, decompresses, and checks that the bytes come back.
    pub fn round_trip(&self, data: &[u8]) -> Result<Vec<u8>> {
        let packed = self.compress(data)?;
        let unpacked = self.decompress(&packed, data.len())?;
        if unpacked != data {
            bail!(
                "round trip mismatch: {} bytes in, {} bytes out",
                data.len(),
                unpacked.len()
            );
        }
        Ok(packed)
    }
}

/// The classical codecs learned compressors are compared with: gzip -9, xz -9 (`-9e` with
/// `xz_extreme`), zstd -19 and brotli 11.
pub fn reference_codecs(xz_extreme: bool) -> Vec<Codec> {
    [
        (Algorithm::Gzip, LevelSpec::Number(9, false)),
        (Algorithm::Xz, LevelSpec::Number(9, xz_extreme)),
        (Algorithm::Zstd, LevelSpec::Number(19, false)),
        (Algorithm::Brotli, LevelSpec::Number(11, false)),
    ]
    .into_iter()
    .filter_map(|(a, l)| Codec::new(a, &l).ok())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_codecs() -> Vec<Codec> {
        let mut v = Vec::new();
        for a in ALL {
            for l in [LevelSpec::Min, LevelSpec::Default, LevelSpec::Max] {
                v.push(Codec::new(a, &l).unwrap());
            }
        }
        v
    }

    #[test]
    fn round_trips_edge_cases() {
        let mut random = vec![0u8; 5000];
        let mut x: u64 = 0x9E3779B97F4A7C15;
        for b in random.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let text = b"the quick brown fox jumps over the lazy dog. ".repeat(50);
        for codec in all_codecs() {
            for input in [&b""[..], b"a", &random, &text] {
                let packed = codec
                    .round_trip(input)
                    .unwrap_or_else(|e| panic!("{}: {e}", codec.label()));
                if input.len() == random.len() && input == random.as_slice() {
                    assert!(
                        packed.len() > input.len() - 100,
                        "{} cannot shrink random bytes",
                        codec.label()
                    );
                }
            }
        }
    }

    #[test]
    fn levels_are_checked() {
        assert!(Codec::new(Algorithm::Gzip, &LevelSpec::Number(10, false))
            .unwrap_err()
            .contains("0..=9"));
        assert!(Codec::new(Algorithm::Zstd, &LevelSpec::Number(19, false)).is_ok());
        assert!(Codec::new(Algorithm::Lz4, &LevelSpec::Number(1, false)).is_err());
        assert!(Codec::new(Algorithm::Gzip, &LevelSpec::Number(9, true)).is_err());
        let xz = Codec::new(Algorithm::Xz, &LevelSpec::Max).unwrap();
        assert_eq!(xz.label(), "xz-9e");
        assert_eq!(LevelSpec::parse("9e"), Some(LevelSpec::Number(9, true)));
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        for codec in all_codecs() {
            let mut packed = codec
                .compress(&b"hello hello hello hello".repeat(20))
                .unwrap();
            let mid = packed.len() / 2;
            packed[mid] ^= 0xff;
            packed.truncate(packed.len() - 3);
            let _ = codec.decompress(&packed, 10);
        }
    }
}
