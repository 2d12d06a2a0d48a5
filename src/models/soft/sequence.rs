//! Decoder sequences: `question [SEP] answer [SEP]`, shifted for teacher forcing, with a mask
//! over the positions that predict the answer (and its closing separator); and greedy answer
//! generation from a memory.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use super::teacher::{Teacher, Tokens};

/// The separator and end-of-answer token id ([SEP] of the tokenizer).
pub const SEP: u32 = 3;

/// Longest question prefix, in tokens.
pub const MAX_QUESTION: usize = 40;

/// A batch of teacher-forced sequences (never empty: every sequence ends with a separator
/// that is a target).
#[derive(Debug, Clone)]
pub struct Forced {
    /// Inputs: the sequences without their last token.
    pub input: Tokens,
    /// Flat indices (row × length + position) of the positions whose target is an answer token
    /// or the closing separator: only these are projected onto the vocabulary.
    pub positions: Tensor<1, Int>,
    /// The next tokens at `positions`.
    pub targets: Tensor<1, Int>,
    /// Per sequence, the flat index of its separator (where the answer begins).
    pub separators: Vec<usize>,
    /// Per sequence, how many answer tokens it holds (after the cut).
    pub answer_lengths: Vec<usize>,
}

/// Teacher-forced batch of (prefix, answer) pairs: each sequence is `prefix [SEP] answer
/// [SEP]`, the prefix cut to [`MAX_QUESTION`] tokens and the answer to `max_answer`.
pub fn forced(pairs: &[(&[u32], &[u32])], max_answer: usize, device: &Device) -> Forced {
    let seqs: Vec<(Vec<u32>, usize)> = pairs
        .iter()
        .map(|(q, a)| {
            let q = &q[..q.len().min(MAX_QUESTION)];
            let a = &a[..a.len().min(max_answer)];
            let mut s = q.to_vec();
            s.push(SEP);
            s.extend_from_slice(a);
            s.push(SEP);
            (s, q.len())
        })
        .collect();
    let t = seqs
        .iter()
        .map(|(s, _)| s.len() - 1)
        .max()
        .unwrap_or(1)
        .max(1);
    let (mut positions, mut targets) = (Vec::new(), Vec::new());
    let separators: Vec<usize> = seqs
        .iter()
        .enumerate()
        .map(|(i, (_, q))| i * t + q)
        .collect();
    let answer_lengths: Vec<usize> = seqs.iter().map(|(s, q)| s.len() - q - 2).collect();
    let prefix: Vec<usize> = seqs.iter().map(|(_, q)| *q).collect();
    for (i, (s, q)) in seqs.iter().enumerate() {
        for j in 0..s.len() - 1 {
            if j >= *q {
                positions.push((i * t + j) as i64);
                targets.push(i64::from(s[j + 1]));
            }
        }
    }
    let n = positions.len();
    let inputs: Vec<&[u32]> = seqs.iter().map(|(s, _)| &s[..s.len() - 1]).collect();
    Forced {
        input: Tokens::new(&inputs, t, device).with_prefix(prefix),
        positions: Tensor::from_data(TensorData::new(positions, [n]), device),
        targets: Tensor::from_data(TensorData::new(targets, [n]), device),
        separators,
        answer_lengths,
    }
}

/// Greedy answers (token ids, without separators) for `questions`, each reading row `rows[i]`
/// of `memory` [windows, M, d].
pub fn generate(
    teacher: &Teacher,
    memory: &Tensor<3>,
    memory_pad: Option<&Tensor<2, Bool>>,
    rows: &[usize],
    questions: &[&[u32]],
    max_answer: usize,
) -> Vec<Vec<u32>> {
    let device = memory.device();
    let index = Tensor::<1, Int>::from_data(
        TensorData::new(
            rows.iter().map(|&r| r as i64).collect::<Vec<_>>(),
            [rows.len()],
        ),
        &device,
    );
    let mem = memory.clone().select(0, index.clone());
    let pad = memory_pad.map(|p| p.clone().select(0, index));
    let mut seqs: Vec<Vec<u32>> = questions
        .iter()
        .map(|q| {
            let mut s = q[..q.len().min(MAX_QUESTION)].to_vec();
            s.push(SEP);
            s
        })
        .collect();
    let starts: Vec<usize> = seqs.iter().map(Vec::len).collect();
    let mut done = vec![false; seqs.len()];
    for _ in 0..=max_answer {
        let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
        let prefix = starts.iter().map(|s| s - 1).collect();
        let tokens = Tokens::new(&refs, usize::MAX, &device).with_prefix(prefix);
        let best: Vec<i64> = teacher
            .decode_last(mem.clone(), pad.clone(), &tokens)
            .argmax(1)
            .reshape([seqs.len()])
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .unwrap_or_default();
        for (i, s) in seqs.iter_mut().enumerate() {
            if done[i] {
                continue;
            }
            let next = best[i] as u32;
            if next == SEP || s.len() - starts[i] >= max_answer {
                done[i] = true;
            } else {
                s.push(next);
            }
        }
        if done.iter().all(|&d| d) {
            break;
        }
    }
    seqs.into_iter()
        .zip(starts)
        .map(|(s, start)| s[start..].to_vec())
        .collect()
}
