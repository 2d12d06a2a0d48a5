//! BitNet b1.58 ternarisation: W ≈ γ·T with γ = mean |W| over the tensor (absmean) and
//! T = RoundClip(W / γ, −1, 1) ∈ {−1, 0, +1}, packed five trits to a byte; γ is stored in
//! single precision.

use anyhow::Result;

use super::bits::Width;
use super::method::{Encoded, Method, Role, Stream};

/// The absmean scale of `values` (never 0).
pub fn absmean(values: &[f32]) -> f32 {
    let mean = values.iter().map(|v| v.abs()).sum::<f32>() / values.len().max(1) as f32;
    mean.max(1e-8)
}

/// The ternary value (−1, 0 or 1) of `x` at scale `gamma`.
pub fn trit(x: f32, gamma: f32) -> f32 {
    (x / gamma).round().clamp(-1.0, 1.0)
}

/// `values` ternarised.
pub fn encode(values: &[f32]) -> Encoded {
    let gamma = absmean(values);
    let trits = values
        .iter()
        .map(|&x| (trit(x, gamma) + 1.0) as u32)
        .collect();
    Encoded {
        method: Method::Ternary,
        streams: vec![
            Stream::new(Role::Codes, Width::Trits, trits),
            Stream::new(Role::Side, Width::Bits(32), vec![gamma.to_bits()]),
        ],
    }
}

/// The values of an [`encode`]d tensor of `count` weights.
pub fn decode(encoded: &Encoded, count: usize) -> Result<Vec<f32>> {
    let trits = encoded.stream(0, count)?;
    let gamma = f32::from_bits(encoded.stream(1, 1)?[0]);
    Ok(trits.iter().map(|&t| (t as f32 - 1.0) * gamma).collect())
}
