//! The `select` compressor: a learned score per encoder state, and the memory is the M
//! best-scoring states themselves, in context order (the hidden-state selection of Nugget, Qin
//! & Van Durme 2023). It mixes nothing, so each memory vector is a state the teacher learned to
//! read; what it learns is which ones to keep, without seeing the question (one memory serves
//! every question of a window). The scorer learns from the keep loss (the tokens gold answers
//! cover in the training windows) and, through a straight-through factor that is 1 in value,
//! from every loss the memory takes part in.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{log_sigmoid, sigmoid};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

/// A linear score of each state; the memory is the M states whose scores, averaged with
/// their neighbours', are the best.
#[derive(Module, Debug)]
pub struct Select {
    score: Linear,
    target_length: usize,
    reach: usize,
}

impl Select {
    /// A fresh scorer for states of width `d`, keeping `target_length` of them, each chosen by
    /// its score averaged with `reach` neighbours on each side.
    pub fn new(d: usize, target_length: usize, reach: usize, device: &Device) -> Select {
        Select {
            score: LinearConfig::new(d, 1).init(device),
            target_length: target_length.max(1),
            reach,
        }
    }

    /// True at the memory vectors [batch, M] past a context's tokens (a context of fewer than
    /// M tokens fills the rest with zero vectors, which the decoder must not read).
    pub fn padding(&self, lengths: &[usize], device: &Device) -> Tensor<2, Bool> {
        let m = self.target_length;
        let pad: Vec<bool> = lengths
            .iter()
            .flat_map(|&len| (0..m).map(move |j| j >= len))
            .collect();
        Tensor::from_data(TensorData::new(pad, [lengths.len(), m]), device)
    }

    /// Each state's score [batch, L] (padding included: its users read a context's tokens only).
    pub fn scores(&self, h: Tensor<3>) -> Tensor<2> {
        let [b, l, _] = h.dims();
        self.score.forward(h).reshape([b, l])
    }

    /// The M best-scoring states of each context [batch, M, d], in context order (a context of
    /// fewer than M tokens: all of them, then zero vectors). Each is multiplied by
    /// 1 + σ(s) − σ(s) held constant: the state itself in value, a gradient to its score.
    pub fn forward(&self, h: Tensor<3>, lengths: &[usize]) -> Tensor<3> {
        let [b, l, d] = h.dims();
        let device = h.device();
        let scores = self.scores(h.clone());
        let values: Vec<f32> = scores
            .clone()
            .into_data()
            .try_to_vec::<f32>()
            .expect("scores of f32");
        let m = self.target_length;
        let mut picked = Vec::with_capacity(b * m);
        for (i, &len) in lengths.iter().enumerate() {
            let row = &values[i * l..(i + 1) * l];
            let chosen = best(&smoothed(row, len.min(l), self.reach), len.min(l), m);
            picked.extend((0..m).map(|j| (i * l + chosen.get(j).copied().unwrap_or(0)) as i64));
        }
        let picked = Tensor::<1, Int>::from_data(TensorData::new(picked, [b * m]), &device);
        let real = self
            .padding(lengths, &device)
            .bool_not()
            .float()
            .reshape([b * m, 1]);
        let gate = sigmoid(scores.reshape([b * l, 1]).select(0, picked.clone()));
        let factor = (gate.clone() - gate.detach() + 1.0) * real;
        let states = h.reshape([b * l, d]).select(0, picked);
        (states * factor).reshape([b, m, d])
    }
}

/// The mean of `scores` over each of the first `len` positions and its `reach` neighbours on
/// each side (inside the context): with a reach, the memory keeps stretches around likely
/// answers, as the teacher locates an answer by its neighbours.
fn smoothed(scores: &[f32], len: usize, reach: usize) -> Vec<f32> {
    (0..len)
        .map(|p| {
            let around = &scores[p.saturating_sub(reach)..(p + reach + 1).min(len)];
            around.iter().sum::<f32>() / around.len() as f32
        })
        .collect()
}

/// The positions of the `m` largest of the first `len` `scores`, ascending (ties: the earlier
/// position).
fn best(scores: &[f32], len: usize, m: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.truncate(m);
    order.sort_unstable();
    order
}

/// The keep loss: binary cross-entropy of each context token's score [batch, L] against
/// `keep` (1 at tokens a gold answer covers), over the tokens `pad` does not mark.
pub fn keep_loss(scores: Tensor<2>, keep: &[Vec<bool>], pad: Tensor<2, Bool>) -> Tensor<1> {
    let [b, l] = scores.dims();
    let target: Vec<f32> = keep
        .iter()
        .flat_map(|row| (0..l).map(|j| f32::from(u8::from(row.get(j) == Some(&true)))))
        .collect();
    let target = Tensor::<2>::from_data(TensorData::new(target, [b, l]), &scores.device());
    let real = pad.bool_not().float();
    let bce = -(target.clone() * log_sigmoid(scores.clone())
        + (target.neg() + 1.0) * log_sigmoid(scores.neg()));
    (bce * real.clone()).sum() / real.sum().clamp_min(1.0)
}

/// 1 at every token of `context` that an occurrence of one of `answers` covers (the first
/// occurrence of each).
pub fn answer_tokens(context: &[u32], answers: &[&[u32]]) -> Vec<bool> {
    let mut keep = vec![false; context.len()];
    for answer in answers {
        if let Some(at) = super::losses::find(context, answer) {
            keep[at..at + answer.len()].fill(true);
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_positions_come_back_in_context_order() {
        assert_eq!(best(&[0.1, 0.9, 0.5, 0.7, 2.0], 4, 2), vec![1, 3]);
        assert_eq!(best(&[1.0, 1.0, 1.0], 3, 2), vec![0, 1]);
        assert_eq!(best(&[0.3, 0.2], 2, 5), vec![0, 1]);
    }

    #[test]
    fn memory_past_a_short_context_is_padding() {
        let device = crate::models::device::cpu();
        let pad = Select::new(4, 3, 0, &device).padding(&[5, 2], &device);
        let got = pad.into_data().try_to_vec::<bool>().unwrap();
        assert_eq!(got, vec![false, false, false, false, false, true]);
    }

    #[test]
    fn answer_tokens_mark_the_first_occurrence_of_each_answer() {
        let keep = answer_tokens(&[5, 6, 7, 5, 6, 8], &[&[5, 6], &[8], &[9, 9]]);
        assert_eq!(keep, vec![true, true, false, false, false, true]);
    }

    #[test]
    fn a_selection_score_is_the_mean_over_its_neighbours_inside_the_context() {
        let mut scores = vec![0.0f32; 11];
        scores[5] = 9.0;
        scores.push(1e9); // beyond the context: never averaged in
        let got = smoothed(&scores, 11, 4);
        assert_eq!(got.len(), 11);
        assert!((got[5] - 1.0).abs() < 1e-6); // positions 1..=9
        assert!((got[1] - 1.5).abs() < 1e-6); // positions 0..=5
        assert_eq!(got[0], 0.0); // positions 0..=4
        assert!((got[10] - 0.0).abs() < 1e-6);
    }

    #[test]
    fn the_memory_is_the_best_states_themselves_and_padding_is_never_picked() {
        let _alone = crate::models::draws_alone();
        let device = crate::models::device::cpu();
        let (d, l, len) = (4, 12, 10);
        let mut select = Select::new(d, 3, 4, &device);
        // Score = channel 0, rising along the context: the last three real states win; the
        // padding's larger scores never do.
        let w: Vec<f32> = vec![1.0, 0.0, 0.0, 0.0];
        select.score.weight = burn::module::Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [d, 1]),
            &device,
        ));
        let h: Vec<f32> = (0..l)
            .flat_map(|p| [if p < len { p as f32 } else { 100.0 }, p as f32, 1.0, -1.0])
            .collect();
        let h = Tensor::<3>::from_data(TensorData::new(h, [1, l, d]), &device);
        let memory = select.forward(h, &[len]);
        let got = memory.into_data().try_to_vec::<f32>().unwrap();
        let positions: Vec<f32> = got.chunks(d).map(|s| s[1]).collect();
        assert_eq!(positions, vec![7.0, 8.0, 9.0]);
        assert_eq!(&got[0..4], &[7.0, 7.0, 1.0, -1.0]);
    }
}
