//! The losses of training. The teacher's locate loss (where each answer token sits), and the
//! compressor's: teacher forcing (cross-entropy of the gold answer),
//! distillation (KL from the uncompressed teacher's token distributions along its own greedy
//! answer) and contrastive (InfoNCE of the first memory vector against the mean teacher state of
//! its context, the other contexts of the batch as negatives, never the same context).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::sequence::Forced;
use super::teacher::Decoded;

/// Mean cross-entropy of `targets` [n] under `logits` [n, vocab].
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [n, _] = logits.dims();
    let picked = log_softmax(logits, 1).gather(1, targets.reshape([n, 1]));
    -picked.mean()
}

/// Mean KL(teacher ‖ student) over the rows of `student` and `teacher` [n, vocab] (temperature 1).
pub fn distillation(student: Tensor<2>, teacher: Tensor<2>) -> Tensor<1> {
    let log_s = log_softmax(student, 1);
    let log_t = log_softmax(teacher.detach(), 1);
    (log_t.clone().exp() * (log_t - log_s)).sum_dim(1).mean()
}

/// InfoNCE over a batch: `z` [n, d] (first memory vectors), `t` [n, d] (targets, detached),
/// cosine similarity over `temperature`; pairs of items from the same context (`contexts`
/// equal) are left out of the negatives, so a context is never contrasted with itself.
pub fn info_nce(z: Tensor<2>, t: Tensor<2>, contexts: &[usize], temperature: f64) -> Tensor<1> {
    let [n, _] = z.dims();
    let device = z.device();
    let unit = |x: Tensor<2>| {
        let norm = x.clone().powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(1e-6);
        x / norm
    };
    let sim = unit(z).matmul(unit(t.detach()).transpose()) / temperature;
    let same: Vec<bool> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            i != j && contexts[i] == contexts[j]
        })
        .collect();
    let same = Tensor::<2, burn::tensor::Bool>::from_data(TensorData::new(same, [n, n]), &device);
    let logp = log_softmax(sim.mask_fill(same, -1e9), 1);
    let diagonal = Tensor::<2>::eye(n, &device);
    -(logp * diagonal).sum() / n as f64
}

/// The teacher's locate loss: cross-entropy of where each target token sits among the memory
/// positions, under the locate scores of the decoder position that predicts it (the separator
/// points at the first, each target token at the next). `starts[i]`: where sequence i's target
/// begins in its context (None: not found there, no loss); `slot(i, position)`: the memory
/// vector of sequence i that holds a context position (the position itself for the whole
/// encoding). None when nothing was found.
pub fn locate_loss(
    decoded: &Decoded,
    forced: &Forced,
    starts: &[Option<usize>],
    slot: &dyn Fn(usize, usize) -> usize,
    device: &Device,
) -> Option<Tensor<1>> {
    let (mut at, mut targets) = (Vec::new(), Vec::new());
    for (n, start) in starts.iter().enumerate() {
        let Some(start) = *start else { continue };
        for k in 0..forced.answer_lengths[n] {
            at.push((forced.separators[n] + k) as i64);
            targets.push(slot(n, start + k) as i64);
        }
    }
    if at.is_empty() {
        return None;
    }
    let n = at.len();
    let scores = decoded.scores_at(Tensor::from_data(TensorData::new(at, [n]), device));
    let targets = Tensor::from_data(TensorData::new(targets, [n]), device);
    Some(cross_entropy(scores, targets))
}

/// Where `answer` first occurs in `context` (token ids), if it does: the target position of
/// the locate loss and of the keep loss's answer tokens.
pub(super) fn find(context: &[u32], answer: &[u32]) -> Option<usize> {
    if answer.is_empty() || answer.len() > context.len() {
        return None;
    }
    context.windows(answer.len()).position(|w| w == answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_nce_never_contrasts_a_context_with_itself() {
        let _alone = crate::models::draws_alone();
        let device = crate::models::device::cpu();
        let z = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, 0.0, 1.0, 0.0, 0.0, 1.0], [3, 2]),
            &device,
        );
        // Items 0 and 1 come from the same context: identical vectors, yet no penalty between them.
        let same = info_nce(z.clone(), z.clone(), &[7, 7, 9], 0.1)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()[0];
        let distinct = info_nce(z.clone(), z, &[7, 8, 9], 0.1)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()[0];
        assert!(same < 1e-3, "same-context pairs are not negatives: {same}");
        // ln 2 for each of the two items with an equal negative, 0 for the third.
        assert!(
            (distinct - 2.0 * 2f32.ln() / 3.0).abs() < 1e-3,
            "distinct contexts with equal vectors are: {distinct}"
        );
    }

    #[test]
    fn answer_losses_of_uniform_and_equal_distributions() {
        let _alone = crate::models::draws_alone();
        let device = crate::models::device::cpu();
        let logits = Tensor::<2>::zeros([2, 4], &device);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 2], [2]), &device);
        let ce = cross_entropy(logits.clone(), targets)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()[0];
        assert!((ce - 4f32.ln()).abs() < 1e-5);
        let kl = distillation(logits.clone(), logits)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()[0];
        assert!(kl.abs() < 1e-6);
    }
}
