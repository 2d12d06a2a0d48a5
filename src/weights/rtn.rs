//! Round-to-nearest quantisation with a scale and a minimum per group (asymmetric), both
//! stored in half precision. The clipping range of each group is searched over a few shrink
//! factors for the least squared error (a cheap stand-in for HQQ's zero-point optimisation:
//! an outlier no longer stretches every other weight's step).

use anyhow::Result;

use super::bits::{from_half, round_half, to_half, Width};
use super::method::{matrix_shape, Encoded, Method, Role, Stream};

/// Shrink factors of the clipping range tried per group.
const SHRINK: [f32; 7] = [1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7];

/// The groups of a `rows` × `cols` matrix: `(start, len)` in row-major order.
fn groups(rows: usize, cols: usize, group: usize) -> Vec<(usize, usize)> {
    let size = if group == 0 { cols } else { group.min(cols) }.max(1);
    (0..rows)
        .flat_map(|r| {
            (0..cols)
                .step_by(size)
                .map(move |c| (r * cols + c, size.min(cols - c)))
        })
        .collect()
}

/// Codes, scale and minimum (both half-rounded) of one group at `bits`.
fn quantise(w: &[f32], bits: u32) -> (Vec<u32>, f32, f32) {
    let top = ((1u32 << bits) - 1) as f32;
    let lo = w.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut best: Option<(f32, Vec<u32>, f32, f32)> = None;
    for s in SHRINK {
        let min = round_half(lo * s);
        let scale = round_half((hi * s - min) / top);
        let codes: Vec<u32> = w
            .iter()
            .map(|&x| {
                if scale > 0.0 {
                    ((x - min) / scale).round().clamp(0.0, top) as u32
                } else {
                    0
                }
            })
            .collect();
        let err: f32 = w
            .iter()
            .zip(&codes)
            .map(|(&x, &q)| (x - (min + q as f32 * scale)).powi(2))
            .sum();
        if best.as_ref().is_none_or(|b| err < b.0) {
            best = Some((err, codes, scale, min));
        }
    }
    let (_, codes, scale, min) = best.unwrap_or_default();
    (codes, scale, min)
}

/// `values` (a tensor of `shape`) at `bits` bits per weight, groups of `group` along rows.
pub fn encode(values: &[f32], shape: &[usize], bits: u32, group: usize) -> Encoded {
    let (rows, cols) = matrix_shape(shape);
    let mut codes = Vec::with_capacity(values.len());
    let (mut scales, mut mins) = (Vec::new(), Vec::new());
    for (start, len) in groups(rows, cols, group) {
        let (c, scale, min) = quantise(&values[start..start + len], bits);
        codes.extend(c);
        scales.push(to_half(scale));
        mins.push(to_half(min));
    }
    Encoded {
        method: Method::Rtn { bits, group },
        streams: vec![
            Stream::new(Role::Codes, Width::Bits(bits), codes),
            Stream::new(Role::Side, Width::Bits(16), scales),
            Stream::new(Role::Side, Width::Bits(16), mins),
        ],
    }
}

/// The values of an [`encode`]d tensor of `shape`.
pub fn decode(encoded: &Encoded, shape: &[usize], group: usize) -> Result<Vec<f32>> {
    let (rows, cols) = matrix_shape(shape);
    let groups = groups(rows, cols, group);
    let codes = encoded.stream(0, rows * cols)?;
    let scales = encoded.stream(1, groups.len())?;
    let mins = encoded.stream(2, groups.len())?;
    let mut out = vec![0.0f32; rows * cols];
    for (g, (start, len)) in groups.into_iter().enumerate() {
        let (scale, min) = (from_half(scales[g]), from_half(mins[g]));
        for i in start..start + len {
            out[i] = min + codes[i] as f32 * scale;
        }
    }
    Ok(out)
}
