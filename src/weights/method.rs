//! The methods a weight tensor can be compressed with, and what any of them produces: streams
//! of integer codes (the payload: the quantised weights) and of side information (scales, zero
//! points, exponents, seeds, codebooks), each with its width, so that every bit is counted.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

use super::bits::Width;

/// How one tensor is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// IEEE half precision (biases, norms, small tensors).
    Half,
    /// Round to nearest, asymmetric: `bits` per weight, a half-precision scale and minimum
    /// per group of `group` weights along a row (0: one group per row, i.e. per channel),
    /// the clipping range searched per group for the least squared error.
    Rtn {
        /// Bits per code.
        bits: u32,
        /// Weights per group (0: a whole row).
        group: usize,
    },
    /// BitNet b1.58: weights in {-1, 0, +1} times the tensor's mean absolute value, five
    /// trits to a byte.
    Ternary,
    /// SeedLM: each block of `block` weights ≈ U(seed)·t, U from a 16-bit LFSR, t with
    /// `coefficients` 4-bit values sharing a 4-bit exponent.
    SeedLm {
        /// Weights per block (C).
        block: usize,
        /// Coefficients per block (P).
        coefficients: usize,
    },
    /// Vector quantisation: vectors of `dim` weights replaced by the nearest of `entries`
    /// k-means centroids (a half-precision codebook per tensor), optionally plus the nearest
    /// of `residual` centroids of what is left.
    Vq {
        /// Weights per vector (v).
        dim: usize,
        /// Centroids of the first codebook (k).
        entries: usize,
        /// Centroids of the residual codebook (0: none).
        residual: usize,
    },
}

/// What a stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quantised weights (the papers' "bits per weight").
    Codes,
    /// Everything else needed to decode them.
    Side,
}

/// One stream of codes.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// Payload or side information.
    pub role: Role,
    /// Layout of each code.
    pub width: Width,
    /// The codes.
    pub codes: Vec<u32>,
}

impl Stream {
    /// A stream of `codes` of `width`.
    pub fn new(role: Role, width: Width, codes: Vec<u32>) -> Stream {
        Stream { role, width, codes }
    }

    /// Bits the stream takes packed.
    pub fn packed_bits(&self) -> u64 {
        8 * self.width.packed_bytes(self.codes.len()) as u64
    }
}

/// A tensor in compressed form.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// The method that made it.
    pub method: Method,
    /// Its streams, in the order the method reads them back.
    pub streams: Vec<Stream>,
}

impl Encoded {
    /// Packed bits of the streams with `role`.
    pub fn bits(&self, role: Role) -> u64 {
        self.streams
            .iter()
            .filter(|s| s.role == role)
            .map(Stream::packed_bits)
            .sum()
    }

    /// The `i`-th stream, which must have `count` codes (a damaged file otherwise).
    pub fn stream(&self, i: usize, count: usize) -> Result<&[u32]> {
        let Some(s) = self.streams.get(i) else {
            bail!("{:?}: stream {i} is missing", self.method);
        };
        if s.codes.len() != count {
            bail!(
                "{:?}: stream {i} holds {} codes, expected {count}",
                self.method,
                s.codes.len()
            );
        }
        Ok(&s.codes)
    }
}

/// A tensor's values seen as a matrix of `rows` × `cols` (rows: the first axis).
pub fn matrix_shape(shape: &[usize]) -> (usize, usize) {
    let rows = shape.first().copied().unwrap_or(1).max(1);
    let total: usize = shape.iter().product();
    (rows, total / rows)
}
