//! Streams of small integer codes and their byte forms: codes of `width` bits packed
//! little-endian into bytes, trits packed five to a byte (3^5 = 243 ≤ 256), and IEEE half
//! floats for side information.

use anyhow::{bail, Result};

/// How the codes of a stream are laid out in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Width {
    /// Each code takes this many bits (1..=32).
    Bits(u32),
    /// Each code is a trit (0, 1, 2), five to a byte.
    Trits,
}

impl Width {
    /// Distinct codes a stream of this width can hold.
    pub fn alphabet(self) -> u64 {
        match self {
            Width::Bits(b) => 1u64 << b,
            Width::Trits => 3,
        }
    }

    /// Bytes that `count` codes take when packed.
    pub fn packed_bytes(self, count: usize) -> usize {
        match self {
            Width::Bits(b) => (count * b as usize).div_ceil(8),
            Width::Trits => count.div_ceil(5),
        }
    }
}

/// Packs `codes` (each below the width's alphabet) into bytes.
pub fn pack(codes: &[u32], width: Width) -> Vec<u8> {
    match width {
        Width::Bits(b) => pack_bits(codes, b),
        Width::Trits => codes
            .chunks(5)
            .map(|c| c.iter().rev().fold(0u32, |acc, &t| acc * 3 + t) as u8)
            .collect(),
    }
}

/// The `count` codes packed in `bytes`; an error when the bytes are too few or hold a value
/// no packing makes.
pub fn unpack(bytes: &[u8], width: Width, count: usize) -> Result<Vec<u32>> {
    if bytes.len() < width.packed_bytes(count) {
        bail!(
            "a stream of {count} codes needs {} bytes, has {}",
            width.packed_bytes(count),
            bytes.len()
        );
    }
    match width {
        Width::Bits(b) => Ok(unpack_bits(bytes, b, count)),
        Width::Trits => {
            let mut out = Vec::with_capacity(count);
            for &byte in bytes.iter().take(count.div_ceil(5)) {
                if byte >= 243 {
                    bail!("byte {byte} is not five trits");
                }
                let mut v = u32::from(byte);
                for _ in 0..5 {
                    out.push(v % 3);
                    v /= 3;
                }
            }
            out.truncate(count);
            Ok(out)
        }
    }
}

fn pack_bits(codes: &[u32], bits: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((codes.len() * bits as usize).div_ceil(8));
    let (mut acc, mut filled) = (0u64, 0u32);
    for &c in codes {
        acc |= u64::from(c) << filled;
        filled += bits;
        while filled >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            filled -= 8;
        }
    }
    if filled > 0 {
        out.push(acc as u8);
    }
    out
}

fn unpack_bits(bytes: &[u8], bits: u32, count: usize) -> Vec<u32> {
    let mask = if bits == 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << bits) - 1
    };
    let mut out = Vec::with_capacity(count);
    let (mut acc, mut filled, mut next) = (0u64, 0u32, 0usize);
    while out.len() < count {
        while filled < bits {
            acc |= u64::from(bytes[next]) << filled;
            next += 1;
            filled += 8;
        }
        out.push((acc & mask) as u32);
        acc >>= bits;
        filled -= bits;
    }
    out
}

/// A float as IEEE half-precision bits (round to nearest).
pub fn to_half(x: f32) -> u32 {
    u32::from(half::f16::from_f32(x).to_bits())
}

/// The float of half-precision bits.
pub fn from_half(bits: u32) -> f32 {
    half::f16::from_bits(bits as u16).to_f32()
}

/// A float rounded to what half precision keeps.
pub fn round_half(x: f32) -> f32 {
    from_half(to_half(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_width_round_trips() {
        for bits in [1u32, 2, 3, 4, 5, 7, 8, 12, 16, 32] {
            let max = if bits == 32 {
                u32::MAX
            } else {
                (1u32 << bits) - 1
            };
            let codes: Vec<u32> = (0..97u32)
                .map(|i| i.wrapping_mul(2_654_435_761) & max)
                .collect();
            let bytes = pack(&codes, Width::Bits(bits));
            assert_eq!(bytes.len(), Width::Bits(bits).packed_bytes(97));
            assert_eq!(
                unpack(&bytes, Width::Bits(bits), 97).unwrap(),
                codes,
                "{bits} bits"
            );
        }
        let trits: Vec<u32> = (0..23u32).map(|i| (i * 7) % 3).collect();
        let bytes = pack(&trits, Width::Trits);
        assert_eq!(bytes.len(), 5);
        assert_eq!(unpack(&bytes, Width::Trits, 23).unwrap(), trits);
    }

    #[test]
    fn short_or_impossible_bytes_are_errors() {
        assert!(unpack(&[1, 2], Width::Bits(4), 5).is_err());
        assert!(unpack(&[250], Width::Trits, 5).is_err());
    }
}
