//! Rotary positions as llama.cpp applies them to GGUF weights: the dimensions of a head in
//! adjacent pairs (2i, 2i + 1), pair i turned by p·θ_i with θ_i = base^(−2i/d), computed in f32
//! as ggml does (θ_i by repeated multiplication). Hugging Face checkpoints rotate the two halves
//! of a head instead; their query and key weights are permuted into pairs when they are loaded.

use burn::tensor::{Device, Tensor, TensorData};

/// The cos and sin tables of positions `first..first + len`, each [len, head_dim] with every
/// value repeated for its pair; sin with the first of each pair negated (x₀' = x₀c − x₁s,
/// x₁' = x₁c + x₀s).
pub fn tables(
    first: usize,
    len: usize,
    head_dim: usize,
    base: f64,
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let scale = (base as f32).powf(-2.0 / head_dim as f32);
    let mut cos = Vec::with_capacity(len * head_dim);
    let mut sin = Vec::with_capacity(len * head_dim);
    for p in first..first + len {
        let mut theta = p as f32;
        for _ in 0..head_dim / 2 {
            let (s, c) = theta.sin_cos();
            cos.extend([c, c]);
            sin.extend([-s, s]);
            theta *= scale;
        }
    }
    let t = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [len, head_dim]), device);
    (t(cos), t(sin))
}

/// `x` [batch, heads, len, head_dim] turned by the tables of its positions.
pub fn apply(x: Tensor<4>, cos: &Tensor<2>, sin: &Tensor<2>) -> Tensor<4> {
    let [b, h, l, d] = x.dims();
    let swapped = x
        .clone()
        .reshape([b, h, l, d / 2, 2])
        .flip([4])
        .reshape([b, h, l, d]);
    let cos = cos.clone().unsqueeze::<4>();
    let sin = sin.clone().unsqueeze::<4>();
    x * cos + swapped * sin
}

/// Rows of a Hugging Face query or key weight [heads·d, in] reordered so that the halves of
/// each head become adjacent pairs (what llama.cpp's converter does): row 2i of a head is its
/// row i, row 2i + 1 its row d/2 + i.
pub fn pair_rows(weights: &[f32], heads: usize, cols: usize) -> Vec<f32> {
    let rows = weights.len() / cols;
    let d = rows / heads;
    let mut out = Vec::with_capacity(weights.len());
    for h in 0..heads {
        for r in 0..d {
            let src = h * d + if r % 2 == 0 { r / 2 } else { d / 2 + r / 2 };
            out.extend_from_slice(&weights[src * cols..(src + 1) * cols]);
        }
    }
    out
}
