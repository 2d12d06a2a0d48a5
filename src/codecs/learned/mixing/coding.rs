//! Coding bytes through the context mixer: one byte of one stream at a time, its 8 bits
//! predicted, coded and learned from, with or without the network's distribution.

use super::bit_coder::{BitDecoder, BitEncoder};
use super::predictor::{network_bit, ContextMixer};

/// Running sums of a distribution over bytes into `out` (257 values, from 0).
pub fn cumulative_into(probs: &[f32], out: &mut Vec<f64>) {
    out.clear();
    let mut total = 0.0f64;
    out.push(0.0);
    for &p in probs {
        total += f64::from(p.max(0.0));
        out.push(total);
    }
}

/// Encodes `byte` of `stream`.
pub fn encode_byte(
    mixer: &mut ContextMixer,
    coder: &mut BitEncoder,
    stream: usize,
    byte: u8,
    network: Option<&[f64]>,
) {
    let mut c0 = 1u32;
    for bits in 0..8 {
        let nn = network.map(|c| network_bit(c, c0, bits));
        let bit = (byte >> (7 - bits)) & 1 == 1;
        coder.encode(bit, mixer.predict(stream, nn));
        mixer.update(stream, bit);
        c0 = (c0 << 1) | u32::from(bit);
    }
}

/// Decodes the next byte of `stream`.
pub fn decode_byte(
    mixer: &mut ContextMixer,
    coder: &mut BitDecoder<'_>,
    stream: usize,
    network: Option<&[f64]>,
) -> u8 {
    let mut c0 = 1u32;
    for bits in 0..8 {
        let nn = network.map(|c| network_bit(c, c0, bits));
        let bit = coder.decode(mixer.predict(stream, nn));
        mixer.update(stream, bit);
        c0 = (c0 << 1) | u32::from(bit);
    }
    (c0 & 0xFF) as u8
}
