//! Vector quantisation (VPTQ-style, without the second-order error feedback): a tensor's
//! weights, in row-major order, are cut into vectors of `dim`; a k-means codebook (k-means++
//! start, Lloyd iterations, on at most [`TRAIN_VECTORS`] seeded samples) replaces each by its
//! nearest centroid, and an optional residual codebook quantises what is left. Codebooks are
//! stored in half precision and counted as side information; indices take log₂ k bits.
//!
//! Rows may carry an importance (an embedding row's token frequency, a layer input's second
//! moment): the k-means objective weights each vector's squared error by its row's importance,
//! so the codebook fits what the model uses most (the assignment of a vector to its nearest
//! centroid does not change; the centroids and the k-means++ draws do).

use anyhow::{bail, Result};
use rayon::prelude::*;

use super::bits::{from_half, to_half, Width};
use super::method::{Encoded, Method, Role, Stream};
use crate::data::sampling::Rng;

/// Vectors a codebook is trained on, at most.
pub const TRAIN_VECTORS: usize = 32_768;
/// Lloyd iterations.
const ITERATIONS: usize = 12;

fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

/// Index of the centroid nearest to `x`.
fn nearest(codebook: &[f32], dim: usize, x: &[f32]) -> usize {
    let mut best = (f32::INFINITY, 0usize);
    for (i, c) in codebook.chunks_exact(dim).enumerate() {
        let d = distance(c, x);
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1
}

/// A k-means codebook of `k` centroids for `vectors` (row-major, `dim` each), each vector's
/// squared error weighted by `weights` (one per vector; none: all 1), half-rounded.
pub fn kmeans(
    vectors: &[f32],
    dim: usize,
    k: usize,
    seed: u64,
    weights: Option<&[f32]>,
) -> Vec<f32> {
    let n = vectors.len() / dim;
    let mut rng = Rng::new(seed);
    let sample: Vec<usize> = if n > TRAIN_VECTORS {
        (0..TRAIN_VECTORS).map(|_| rng.below(n)).collect()
    } else {
        (0..n).collect()
    };
    let data: Vec<f32> = sample
        .iter()
        .flat_map(|&i| vectors[i * dim..(i + 1) * dim].iter().copied())
        .collect();
    let w: Vec<f64> = sample
        .iter()
        .map(|&i| weights.map_or(1.0, |w| f64::from(w[i])))
        .collect();
    let mut codebook = plus_plus(&data, &w, dim, k, &mut rng);
    for _ in 0..ITERATIONS {
        let assign: Vec<usize> = data
            .par_chunks_exact(dim)
            .map(|x| nearest(&codebook, dim, x))
            .collect();
        let mut sums = vec![0.0f64; k * dim];
        let mut mass = vec![0.0f64; k];
        for ((x, &a), &wx) in data.chunks_exact(dim).zip(&assign).zip(&w) {
            mass[a] += wx;
            for j in 0..dim {
                sums[a * dim + j] += f64::from(x[j]) * wx;
            }
        }
        for (a, &m) in mass.iter().enumerate() {
            if m > 0.0 {
                for j in 0..dim {
                    codebook[a * dim + j] = (sums[a * dim + j] / m) as f32;
                }
            }
        }
    }
    codebook.iter().map(|&c| from_half(to_half(c))).collect()
}

/// k-means++ seeding: each next centroid drawn with probability ∝ weight × squared distance.
fn plus_plus(data: &[f32], w: &[f64], dim: usize, k: usize, rng: &mut Rng) -> Vec<f32> {
    let n = data.len() / dim;
    let mut codebook = Vec::with_capacity(k * dim);
    let first = rng.below(n.max(1));
    codebook.extend_from_slice(&data[first * dim..(first + 1) * dim]);
    let mut d2: Vec<f32> = data
        .chunks_exact(dim)
        .map(|x| distance(x, &codebook[..dim]))
        .collect();
    while codebook.len() < k * dim {
        let total: f64 = d2.iter().zip(w).map(|(&d, &wx)| f64::from(d) * wx).sum();
        let pick = if total > 0.0 {
            let target = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            let mut acc = 0.0;
            d2.iter()
                .zip(w)
                .position(|(&d, &wx)| {
                    acc += f64::from(d) * wx;
                    acc >= target
                })
                .unwrap_or(n - 1)
        } else {
            rng.below(n.max(1))
        };
        let c = data[pick * dim..(pick + 1) * dim].to_vec();
        d2.par_iter_mut()
            .zip(data.par_chunks_exact(dim))
            .for_each(|(d, x)| *d = d.min(distance(x, &c)));
        codebook.extend(c);
    }
    codebook
}

fn index_bits(entries: usize) -> Result<u32> {
    if entries < 2 || !entries.is_power_of_two() {
        bail!("a codebook needs a power of two of at least 2 entries, not {entries}");
    }
    Ok(entries.trailing_zeros())
}

/// One codebook stage: indices of `vectors` and the codebook as half bits.
fn stage(
    vectors: &[f32],
    dim: usize,
    k: usize,
    seed: u64,
    weights: Option<&[f32]>,
) -> (Vec<u32>, Vec<f32>) {
    let codebook = kmeans(vectors, dim, k, seed, weights);
    let index = vectors
        .par_chunks_exact(dim)
        .map(|x| nearest(&codebook, dim, x) as u32)
        .collect();
    (index, codebook)
}

/// Each vector's weight: the importance of the row (of `cols` values) it begins in.
fn vector_weights(rows: &[f32], cols: usize, vectors: usize, dim: usize) -> Vec<f32> {
    (0..vectors)
        .map(|v| rows[((v * dim) / cols.max(1)).min(rows.len() - 1)])
        .collect()
}

/// `values` vector-quantised (the last vector padded with zeros); `seed` seeds k-means;
/// `rows`: the importance of each row of `cols` values (none: all equal).
pub fn encode(
    values: &[f32],
    (dim, entries, residual): (usize, usize, usize),
    seed: u64,
    rows: Option<(&[f32], usize)>,
) -> Result<Encoded> {
    let bits = index_bits(entries)?;
    let mut padded = values.to_vec();
    padded.resize(values.len().div_ceil(dim) * dim, 0.0);
    let weights = rows
        .filter(|(r, _)| !r.is_empty())
        .map(|(r, cols)| vector_weights(r, cols, padded.len() / dim, dim));
    let (index, codebook) = stage(&padded, dim, entries, seed, weights.as_deref());
    let half = |c: &[f32]| c.iter().map(|&v| to_half(v)).collect::<Vec<_>>();
    let mut streams = vec![
        Stream::new(Role::Codes, Width::Bits(bits), index.clone()),
        Stream::new(Role::Side, Width::Bits(16), half(&codebook)),
    ];
    if residual > 0 {
        let rbits = index_bits(residual)?;
        let left: Vec<f32> = padded
            .chunks_exact(dim)
            .zip(&index)
            .flat_map(|(x, &i)| {
                let c = &codebook[i as usize * dim..(i as usize + 1) * dim];
                x.iter().zip(c).map(|(a, b)| a - b).collect::<Vec<_>>()
            })
            .collect();
        let (rindex, rbook) = stage(
            &left,
            dim,
            residual,
            seed.wrapping_add(1),
            weights.as_deref(),
        );
        streams.push(Stream::new(Role::Codes, Width::Bits(rbits), rindex));
        streams.push(Stream::new(Role::Side, Width::Bits(16), half(&rbook)));
    }
    Ok(Encoded {
        method: Method::Vq {
            dim,
            entries,
            residual,
        },
        streams,
    })
}

/// The `count` values of an [`encode`]d tensor.
pub fn decode(
    encoded: &Encoded,
    count: usize,
    dim: usize,
    entries: usize,
    residual: usize,
) -> Result<Vec<f32>> {
    let vectors = count.div_ceil(dim);
    let lookup = |index: &[u32], book: &[u32], k: usize| -> Result<Vec<f32>> {
        let book: Vec<f32> = book.iter().map(|&b| from_half(b)).collect();
        index
            .iter()
            .map(|&i| {
                if i as usize >= k {
                    bail!("index {i} is outside a codebook of {k}");
                }
                Ok(book[i as usize * dim..(i as usize + 1) * dim].to_vec())
            })
            .collect::<Result<Vec<_>>>()
            .map(|v| v.concat())
    };
    let mut out = lookup(
        encoded.stream(0, vectors)?,
        encoded.stream(1, entries * dim)?,
        entries,
    )?;
    if residual > 0 {
        let more = lookup(
            encoded.stream(2, vectors)?,
            encoded.stream(3, residual * dim)?,
            residual,
        )?;
        out.iter_mut().zip(more).for_each(|(a, b)| *a += b);
    }
    out.truncate(count);
    Ok(out)
}
