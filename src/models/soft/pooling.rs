//! Fixed windows over a context: which positions each of M windows covers, which window a
//! position falls in, and averages inside them (plain mean pooling, or softmax-weighted by
//! learned scores as the `pooling` compressor does).

use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor, TensorData};

/// True where token `j` is outside window `m` of a context of `len` tokens split into `count`
/// windows [batch, count, L]: window m covers [m·len/count, (m+1)·len/count), at least one token.
pub fn outside_windows(
    lengths: &[usize],
    l: usize,
    count: usize,
    device: &Device,
) -> Tensor<3, Bool> {
    let b = lengths.len();
    let mut outside = vec![true; b * count * l];
    for (i, &len) in lengths.iter().enumerate() {
        for m in 0..count {
            for j in window_bounds(len.clamp(1, l), count, m) {
                outside[(i * count + m) * l + j] = false;
            }
        }
    }
    Tensor::from_data(TensorData::new(outside, [b, count, l]), device)
}

/// The positions of window `m` of a context of `len` (≥ 1) tokens split into `count` windows.
pub fn window_bounds(len: usize, count: usize, m: usize) -> std::ops::Range<usize> {
    let start = (m * len / count).min(len - 1);
    let end = ((m + 1) * len / count).max(start + 1).min(len);
    start..end
}

/// The first of the `count` windows of a context of `len` tokens that holds `position` (the
/// memory vector of [`mean_pool`] that averages it).
pub fn window_of(len: usize, count: usize, position: usize) -> usize {
    let len = len.max(1);
    (0..count)
        .find(|&m| window_bounds(len, count, m).contains(&position))
        .unwrap_or(count.saturating_sub(1))
}

/// The average of `h` [batch, L, d] inside each of `count` windows, weighted by softmax of
/// `scores` [batch, 1, L] within the window.
pub fn windowed_average(
    h: Tensor<3>,
    scores: Tensor<3>,
    lengths: &[usize],
    count: usize,
) -> Tensor<3> {
    let [b, l, _] = h.dims();
    let outside = outside_windows(lengths, l, count, &h.device());
    let weights = softmax(scores.expand([b, count, l]).mask_fill(outside, -1e9), 2);
    weights.matmul(h)
}

/// Mean pooling without training: the plain average of each of M windows.
pub fn mean_pool(h: Tensor<3>, lengths: &[usize], m: usize) -> Tensor<3> {
    let [b, l, _] = h.dims();
    let scores = Tensor::zeros([b, 1, l], &h.device());
    windowed_average(h, scores, lengths, m)
}
