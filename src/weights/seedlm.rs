//! SeedLM (Shafipour et al. 2024): a block w of C weights is stored as a 16-bit LFSR seed s,
//! P coefficients of 4 bits (two's complement, −8..7) and a 4-bit exponent e they share:
//! ŵ = U(s)·t̂ with U(s) the C×P matrix [`lfsr::values`] draws from s and t̂ = q·2^(e + base),
//! `base` one signed byte per tensor. Bits per weight: (16 + 4 + 4P) / C, 4.0 at C = 8, P = 3
//! and 3.0 at C = 12, P = 4. Encoding searches every seed: a precomputed orthonormal basis Q(s)
//! of each U(s) ranks the seeds by the least-squares residual ‖w‖² − ‖Q(s)ᵀw‖² (C·P
//! multiplications per seed), and the best few are then fitted with quantised coefficients.

use anyhow::{bail, Result};
use rayon::prelude::*;

use super::bits::Width;
use super::lfsr;
use super::method::{Encoded, Method, Role, Stream};

/// Seeds ranked by their least-squares fit that are then tried with quantised coefficients.
const CANDIDATES: usize = 16;

/// Every seed's matrix U (row-major C×P), its orthonormal basis Q (P columns of C, stored
/// column after column) and R⁻¹ (P×P, row-major) of U = QR.
pub struct SeedTable {
    block: usize,
    coefficients: usize,
    u: Vec<f32>,
    q: Vec<f32>,
    r_inv: Vec<f32>,
}

impl SeedTable {
    /// The table for blocks of `block` weights and `coefficients` coefficients.
    pub fn new(block: usize, coefficients: usize) -> SeedTable {
        let (c, p) = (block, coefficients);
        let per: Vec<(Vec<f32>, Vec<f32>, Vec<f32>)> = (1..=lfsr::PERIOD as u32)
            .into_par_iter()
            .map(|s| {
                let u = lfsr::values(s as u16, c * p);
                let (q, r_inv) = qr(&u, c, p);
                (u, q, r_inv)
            })
            .collect();
        let mut table = SeedTable {
            block,
            coefficients,
            u: Vec::with_capacity(per.len() * c * p),
            q: Vec::with_capacity(per.len() * c * p),
            r_inv: Vec::with_capacity(per.len() * p * p),
        };
        for (u, q, r) in per {
            table.u.extend(u);
            table.q.extend(q);
            table.r_inv.extend(r);
        }
        table
    }

    fn u(&self, seed: usize) -> &[f32] {
        let n = self.block * self.coefficients;
        &self.u[(seed - 1) * n..seed * n]
    }
}

/// Q (columns stored one after another) and R⁻¹ of a C×P matrix by modified Gram–Schmidt; a
/// degenerate matrix gets a zero basis (it then ranks last).
fn qr(u: &[f32], c: usize, p: usize) -> (Vec<f32>, Vec<f32>) {
    let mut q = vec![0.0f32; c * p];
    let mut r = vec![0.0f32; p * p];
    for j in 0..p {
        let mut v: Vec<f32> = (0..c).map(|i| u[i * p + j]).collect();
        for k in 0..j {
            let qk = &q[k * c..(k + 1) * c];
            let dot: f32 = qk.iter().zip(&v).map(|(a, b)| a * b).sum();
            r[k * p + j] = dot;
            v.iter_mut().zip(qk).for_each(|(x, y)| *x -= dot * y);
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm < 1e-6 {
            return (vec![0.0; c * p], vec![0.0; p * p]);
        }
        r[j * p + j] = norm;
        q[j * c..(j + 1) * c]
            .iter_mut()
            .zip(&v)
            .for_each(|(x, y)| *x = y / norm);
    }
    (q, upper_inverse(&r, p))
}

/// The inverse of an upper-triangular P×P matrix with a non-zero diagonal.
fn upper_inverse(r: &[f32], p: usize) -> Vec<f32> {
    let mut inv = vec![0.0f32; p * p];
    for j in 0..p {
        inv[j * p + j] = 1.0 / r[j * p + j];
        for i in (0..j).rev() {
            let s: f32 = (i + 1..=j).map(|k| r[i * p + k] * inv[k * p + j]).sum();
            inv[i * p + j] = -s / r[i * p + i];
        }
    }
    inv
}

/// The per-tensor exponent base: the largest least-squares coefficient, at exponent 15, fits
/// in the 4-bit range.
fn base_for(values: &[f32]) -> i32 {
    let max = values.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    // Coefficients are at most a few times the largest weight (U's entries are below 1).
    ((4.0 * max / 7.0).log2().ceil() as i32 - 15).clamp(-128, 127)
}

/// One block's best (seed, exponent, coefficient codes).
fn fit(table: &SeedTable, w: &[f32], base: i32) -> (u32, u32, Vec<u32>) {
    let (c, p) = (table.block, table.coefficients);
    let mut best: Vec<(f32, usize)> = Vec::with_capacity(CANDIDATES + 1);
    for s in 0..lfsr::PERIOD {
        let q = &table.q[s * c * p..(s + 1) * c * p];
        let mut proj = 0.0f32;
        for col in q.chunks_exact(c) {
            let z: f32 = col.iter().zip(w).map(|(a, b)| a * b).sum();
            proj += z * z;
        }
        if best.len() < CANDIDATES || proj > best[best.len() - 1].0 {
            let at = best.partition_point(|b| b.0 >= proj);
            best.insert(at, (proj, s + 1));
            best.truncate(CANDIDATES);
        }
    }
    let mut chosen = (f32::INFINITY, 1u32, 0u32, vec![0u32; p]);
    for &(_, seed) in &best {
        let t = coefficients(table, seed, w);
        let max = t.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-30);
        let e0 = ((max / 7.0).log2().ceil() as i32 - base).clamp(0, 15);
        for e in [e0 - 1, e0].into_iter().filter(|e| (0..16).contains(e)) {
            let scale = 2f32.powi(e + base);
            let q: Vec<i32> = t
                .iter()
                .map(|x| (x / scale).round().clamp(-8.0, 7.0) as i32)
                .collect();
            let err = residual(table.u(seed), &q, scale, w, p);
            if err < chosen.0 {
                let codes = q.iter().map(|&v| (v & 0xF) as u32).collect();
                chosen = (err, seed as u32, e as u32, codes);
            }
        }
    }
    (chosen.1, chosen.2, chosen.3)
}

/// Least-squares coefficients t = R⁻¹Qᵀw of `seed` for block `w`.
fn coefficients(table: &SeedTable, seed: usize, w: &[f32]) -> Vec<f32> {
    let (c, p) = (table.block, table.coefficients);
    let q = &table.q[(seed - 1) * c * p..seed * c * p];
    let z: Vec<f32> = q
        .chunks_exact(c)
        .map(|col| col.iter().zip(w).map(|(a, b)| a * b).sum())
        .collect();
    let r = &table.r_inv[(seed - 1) * p * p..seed * p * p];
    (0..p)
        .map(|i| (0..p).map(|k| r[i * p + k] * z[k]).sum())
        .collect()
}

/// ‖w − U·q·scale‖².
fn residual(u: &[f32], q: &[i32], scale: f32, w: &[f32], p: usize) -> f32 {
    w.iter()
        .enumerate()
        .map(|(i, &x)| {
            let y: f32 = (0..p).map(|k| u[i * p + k] * q[k] as f32).sum::<f32>() * scale;
            (x - y).powi(2)
        })
        .sum()
}

/// `values` in SeedLM form (the last block padded with zeros).
pub fn encode(table: &SeedTable, values: &[f32]) -> Encoded {
    let c = table.block;
    let base = base_for(values);
    let mut padded = values.to_vec();
    padded.resize(values.len().div_ceil(c) * c, 0.0);
    let fits: Vec<(u32, u32, Vec<u32>)> =
        padded.par_chunks(c).map(|w| fit(table, w, base)).collect();
    let seeds = fits.iter().map(|f| f.0).collect();
    let exponents = fits.iter().map(|f| f.1).collect();
    let coefficients = fits.into_iter().flat_map(|f| f.2).collect();
    Encoded {
        method: Method::SeedLm {
            block: c,
            coefficients: table.coefficients,
        },
        streams: vec![
            Stream::new(Role::Codes, Width::Bits(16), seeds),
            Stream::new(Role::Codes, Width::Bits(4), exponents),
            Stream::new(Role::Codes, Width::Bits(4), coefficients),
            Stream::new(Role::Side, Width::Bits(8), vec![(base + 128) as u32]),
        ],
    }
}

/// The `count` values of an [`encode`]d tensor.
pub fn decode(table: &SeedTable, encoded: &Encoded, count: usize) -> Result<Vec<f32>> {
    let (c, p) = (table.block, table.coefficients);
    let blocks = count.div_ceil(c);
    let seeds = encoded.stream(0, blocks)?;
    let exponents = encoded.stream(1, blocks)?;
    let coefficients = encoded.stream(2, blocks * p)?;
    let base = encoded.stream(3, 1)?[0] as i32 - 128;
    let mut out = Vec::with_capacity(blocks * c);
    for b in 0..blocks {
        let seed = seeds[b] as usize;
        if seed == 0 || seed > lfsr::PERIOD {
            bail!("block {b}: seed {seed} is not a state of the register");
        }
        let scale = 2f32.powi(exponents[b] as i32 + base);
        let q: Vec<f32> = coefficients[b * p..(b + 1) * p]
            .iter()
            .map(|&v| (((v as i32) << 28) >> 28) as f32 * scale)
            .collect();
        let u = table.u(seed);
        out.extend((0..c).map(|i| (0..p).map(|k| u[i * p + k] * q[k]).sum::<f32>()));
    }
    out.truncate(count);
    Ok(out)
}
