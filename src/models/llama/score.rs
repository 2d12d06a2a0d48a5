//! Scoring text: the bits a model needs for each token, −log₂ p(token | what precedes it).
//! A long text is read in windows of `window` tokens; the first window scores every token
//! after its first, each later one starts `window − min_context` tokens further and scores
//! only its tokens past the first `min_context`, so every scored token but those of the first
//! window has at least `min_context` tokens of context. The first token of the text is not
//! scored (nothing precedes it). Many short sequences are scored as one right-padded batch.

use anyhow::{bail, Result};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};

use super::cache::KvCache;
use super::model::Llama;

/// Rows of hidden states turned into logits at once (the logits of a whole window would take
/// vocabulary × window floats).
const ROWS_PER_CHUNK: usize = 256;

/// How a long text is cut into windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Windows {
    /// Tokens a window holds.
    pub window: usize,
    /// Tokens of context every scored token after the first window has at least.
    pub min_context: usize,
}

impl Windows {
    /// Checks the policy.
    pub fn validate(&self) -> Result<()> {
        if self.window < 2 || self.min_context >= self.window {
            bail!(
                "windows of {} tokens with {} tokens of context leave nothing to score (window ≥ 2, min_context < window)",
                self.window,
                self.min_context
            );
        }
        Ok(())
    }

    /// The windows of a text of `n` tokens: (start, end, first scored position), positions in
    /// the text.
    pub fn spans(&self, n: usize) -> Vec<(usize, usize, usize)> {
        let stride = self.window - self.min_context;
        let mut out = vec![(0, n.min(self.window), 1)];
        let mut start = 0;
        while start + self.window < n {
            start += stride;
            out.push((
                start,
                (start + self.window).min(n),
                start + self.min_context,
            ));
        }
        out.retain(|&(s, e, first)| first < e && s < e);
        out
    }
}

/// Bits of each target given hidden states: `hidden` [rows, d] predicts `targets[r]` at row r.
fn bits_of(model: &Llama, hidden: Tensor<2>, targets: &[u32]) -> Vec<f64> {
    let [rows, d] = hidden.dims();
    let device = hidden.device();
    let mut out = Vec::with_capacity(rows);
    for start in (0..rows).step_by(ROWS_PER_CHUNK) {
        let end = (start + ROWS_PER_CHUNK).min(rows);
        let logp = log_softmax(model.logits(hidden.clone().slice([start..end, 0..d])), 1);
        let ids: Vec<i64> = targets[start..end].iter().map(|&t| t as i64).collect();
        let index = Tensor::<2, Int>::from_data(TensorData::new(ids, [end - start, 1]), &device);
        let picked = logp.gather(1, index).into_data();
        out.extend(
            picked
                .iter::<f32>()
                .map(|lp| -(lp as f64) / std::f64::consts::LN_2),
        );
    }
    out
}

/// The bits of every token of `ids` but the first, read in `windows`: one value per token
/// position 1..n.
pub fn score_text(model: &Llama, ids: &[u32], windows: Windows) -> Result<Vec<f64>> {
    windows.validate()?;
    let mut bits = Vec::with_capacity(ids.len());
    for (start, end, first) in windows.spans(ids.len()) {
        let piece = &ids[start..end];
        let hidden = model.forward(super::generate::row(model, piece), &mut KvCache::none());
        let [_, l, d] = hidden.dims();
        // Row t predicts position start + t + 1; keep those from `first` on.
        let from = first - start - 1;
        let rows = hidden.reshape([l, d]).slice([from..l - 1, 0..d]);
        bits.extend(bits_of(model, rows, &piece[from + 1..]));
    }
    Ok(bits)
}

/// The bits of every token but the first of each sequence, all scored in one right-padded
/// batch (padding sits after every real token, so causal attention never reads it).
pub fn score_batch(model: &Llama, seqs: &[Vec<u32>]) -> Vec<Vec<f64>> {
    let longest = seqs.iter().map(Vec::len).max().unwrap_or(0);
    if longest < 2 {
        return seqs.iter().map(|_| Vec::new()).collect();
    }
    let mut ids = Vec::with_capacity(seqs.len() * longest);
    for s in seqs {
        ids.extend(s.iter().map(|&t| t as i64));
        ids.extend(std::iter::repeat_n(0, longest - s.len()));
    }
    let device = model.device();
    let tokens = Tensor::<2, Int>::from_data(TensorData::new(ids, [seqs.len(), longest]), &device);
    let hidden = model.forward(tokens, &mut KvCache::none());
    let d = hidden.dims()[2];
    seqs.iter()
        .enumerate()
        .map(|(i, s)| {
            if s.len() < 2 {
                return Vec::new();
            }
            let rows = hidden
                .clone()
                .slice([i..i + 1, 0..s.len() - 1, 0..d])
                .reshape([s.len() - 1, d]);
            bits_of(model, rows, &s[1..])
        })
        .collect()
}
