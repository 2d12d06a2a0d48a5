//! Training the teacher, and answering from a memory (the compressors train in
//! [`super::distill`]).
//!
//! The teacher learns two things from the training windows: to answer each question from the
//! window's encoder states, and to reconstruct random spans of the window from them (the cue:
//! the span's first tokens), so that its decoder reads a memory in general, not only answers.
//! A compressor is trained with the teacher frozen, from the losses weighted by a preset
//! (teacher forcing, distillation, contrastive); each epoch's value of every term is recorded.
//! Both resume from their checkpoint after a crash; each epoch reseeds its draws.

use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Result};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::losses::{cross_entropy, find, locate_loss};
use super::pooling::{mean_pool, window_of};
use super::sequence::{forced, generate};
use super::teacher::{Teacher, TeacherConfig, Tokens};
use crate::data::sampling::{mix, Rng};
use crate::models::epochs;

/// A context window as token ids, with its questions' ids and gold answers' ids.
#[derive(Debug, Clone)]
pub struct EncodedWindow {
    /// Context tokens.
    pub context: Vec<u32>,
    /// (question tokens, first gold answer's tokens) per question.
    pub questions: Vec<(Vec<u32>, Vec<u32>)>,
}

/// How the teacher trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeacherTraining {
    /// Passes over the training windows.
    pub epochs: usize,
    /// Windows per step.
    pub batch_windows: usize,
    /// Adam learning rate (linear decay to a fifth).
    pub learning_rate: f64,
    /// Seed of initialisation, order and spans.
    pub seed: u64,
    /// Longest answer, in tokens.
    pub max_answer: usize,
    /// Spans reconstructed per window and step.
    pub spans_per_window: usize,
    /// Tokens of a reconstructed span (after a cue of 4).
    pub span_tokens: usize,
    /// Weight of the locate loss (cross-entropy of each answer and span token's context
    /// position under the locate head; 0: answers and spans only).
    pub locate_weight: f64,
    /// Cloze questions per window and step: a stretch of the window around a span of 1 to 3
    /// tokens, the span replaced by [MASK], answered by the span (absent: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cloze_per_window: usize,
    /// Fraction of steps whose memory is the encoding mean-pooled into M ∈ {32, 64, 128}
    /// vectors (drawn per step) instead of the whole encoding, so that the decoder learns to
    /// read compressed memories too (absent: none).
    #[serde(default, skip_serializing_if = "is_nothing")]
    pub pooled_fraction: f64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_nothing(x: &f64) -> bool {
    *x == 0.0
}

/// The memory sizes a pooled teacher step draws from.
const POOLED_SIZES: [usize; 3] = [32, 64, 128];

/// The memory size of a pooled step (None: the whole encoding); draws only when pooling is on.
fn pooled_size(training: &TeacherTraining, rng: &mut Rng) -> Option<usize> {
    if training.pooled_fraction <= 0.0 {
        return None;
    }
    let pooled = (rng.below(1 << 20) as f64) < training.pooled_fraction * f64::from(1 << 20);
    let m = POOLED_SIZES[rng.below(POOLED_SIZES.len())];
    pooled.then_some(m)
}

/// The weights of the compressor's losses (a `loss_weights` preset).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossWeights {
    /// Cross-entropy of the gold answer.
    pub teacher_forcing: f64,
    /// Distillation from the uncompressed teacher along its greedy answer.
    pub generation: f64,
    /// InfoNCE of the first memory vector.
    pub contrastive: f64,
    /// Cross-entropy of reconstructed context spans read from the memory (autoencoding, as
    /// the teacher learned it; absent: 0).
    #[serde(default, skip_serializing_if = "is_nothing")]
    pub reconstruction: f64,
    /// Binary cross-entropy of the `select` scorer against the tokens the window's gold
    /// answers cover (`select` only; absent: 0).
    #[serde(default, skip_serializing_if = "is_nothing")]
    pub keep: f64,
}

/// How a compressor trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompressorTraining {
    /// Passes over the training windows.
    pub epochs: usize,
    /// Windows per step.
    pub batch_windows: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Seed of initialisation and order.
    pub seed: u64,
    /// Longest answer, in tokens.
    pub max_answer: usize,
    /// Loss weights.
    pub weights: LossWeights,
    /// Temperature of the contrastive loss.
    pub temperature: f64,
}

/// One epoch of training: the mean of every loss term.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean weighted total.
    pub train_loss: f64,
    /// Mean answer cross-entropy (teacher forcing).
    pub teacher_forcing: f64,
    /// Mean span reconstruction cross-entropy.
    pub reconstruction: f64,
    /// Mean locate cross-entropy over context positions, answers and spans (teacher only).
    #[serde(default)]
    pub locate: f64,
    /// Mean cross-entropy of the cloze answers (teacher only).
    #[serde(default)]
    pub cloze: f64,
    /// Mean distillation loss (compressors).
    pub generation: f64,
    /// Mean contrastive loss (compressors).
    pub contrastive: f64,
    /// Mean keep loss (`select`).
    #[serde(default)]
    pub keep: f64,
    /// Windows per second.
    pub windows_per_s: f64,
    /// Seconds the epoch took.
    pub seconds: f64,
}

pub(super) fn rows_tensor(rows: &[usize], device: &Device) -> Tensor<1, Int> {
    let v: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    Tensor::from_data(TensorData::new(v, [rows.len()]), device)
}

pub(super) fn scalar(t: &Tensor<1>) -> Result<f64> {
    let v: Vec<f32> = t
        .clone()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow!("{e:?}"))?;
    let x = f64::from(v[0]);
    if !x.is_finite() {
        anyhow::bail!("the training loss became {x}");
    }
    Ok(x)
}

/// The contexts of `windows` as a batch (cut to `max_context` tokens).
pub fn contexts(windows: &[&EncodedWindow], max_context: usize, device: &Device) -> Tokens {
    let rows: Vec<&[u32]> = windows.iter().map(|w| w.context.as_slice()).collect();
    Tokens::new(&rows, max_context, device)
}

/// Reconstruction items of a window: `count` spans (cue of 4 tokens, then `span` tokens, then
/// where the span begins) at seeded offsets.
pub(super) fn spans(
    context: &[u32],
    count: usize,
    span: usize,
    rng: &mut Rng,
) -> Vec<(Vec<u32>, Vec<u32>, usize)> {
    let need = 4 + span;
    if context.len() < need + 1 {
        return Vec::new();
    }
    (0..count)
        .map(|_| {
            let start = rng.below(context.len() - need);
            (
                context[start..start + 4].to_vec(),
                context[start + 4..start + need].to_vec(),
                start + 4,
            )
        })
        .collect()
}

/// Trains the teacher (resuming from `checkpoint_dir`); `progress` gets (epoch, epochs, loss).
pub fn train_teacher(
    config: &TeacherConfig,
    training: &TeacherTraining,
    windows: &[EncodedWindow],
    checkpoint_dir: &Path,
    device: &Device,
    mut progress: impl FnMut(usize, usize, f64),
) -> Result<(Teacher, Vec<EpochRecord>)> {
    let (device, mut model, mut optim, mut state) =
        epochs::start::<_, EpochRecord>(checkpoint_dir, training.seed, device, |d| config.init(d))?;
    for epoch in state.epochs_done + 1..=training.epochs {
        let started = Instant::now();
        epochs::seed_epoch(&device, training.seed, epoch);
        let mut rng = Rng::new(mix(training.seed, epoch as u64));
        let order = epochs::order(windows.len(), training.seed, epoch);
        let lr = epochs::learning_rate(training.learning_rate, epoch, training.epochs);
        let mut sums = EpochRecord::default();
        let mut steps = 0usize;
        for chunk in order.chunks(training.batch_windows.max(1)) {
            let batch: Vec<&EncodedWindow> = chunk.iter().map(|&i| &windows[i]).collect();
            let Some([loss, answer, spans, locate, blanks]) =
                teacher_step(&model, config, training, &batch, &mut rng, &device)
            else {
                continue;
            };
            sums.cloze += scalar(&blanks)?;
            sums.teacher_forcing += scalar(&answer)?;
            sums.reconstruction += scalar(&spans)?;
            sums.locate += scalar(&locate)?;
            sums.train_loss += scalar(&loss)?;
            model = descend(model, &mut optim, loss, lr);
            steps += 1;
        }
        let record = finish_epoch(sums, steps, epoch, windows.len(), started);
        end_epoch(checkpoint_dir, &model, &optim, &mut state, record)?;
        progress(epoch, training.epochs, state.history[epoch - 1].train_loss);
    }
    Ok((model, state.history))
}

/// A question or a span to decode: the window's row in the batch, the prefix, the target and
/// (questions) where the answer begins in the context.
type Item = (usize, Vec<u32>, Vec<u32>, Option<usize>);

/// The [MASK] token id of the teacher's tokenizer.
const MASK: u32 = 4;

/// Context tokens a cloze question keeps on each side of its blank.
const CLOZE_SIDE: usize = 10;

/// Cloze items of a window: `count` spans of 1 to 3 tokens at seeded offsets, each asked as
/// the stretch around it with the span replaced by [MASK] (question, answer, where it begins).
pub(super) fn cloze(
    context: &[u32],
    count: usize,
    rng: &mut Rng,
) -> Vec<(Vec<u32>, Vec<u32>, usize)> {
    if context.len() < 2 * CLOZE_SIDE + 3 {
        return Vec::new();
    }
    (0..count)
        .map(|_| {
            let len = 1 + rng.below(3);
            let at = rng.below(context.len() - len + 1);
            let before = &context[at.saturating_sub(CLOZE_SIDE)..at];
            let after = &context[at + len..(at + len + CLOZE_SIDE).min(context.len())];
            let mut question = before.to_vec();
            question.push(MASK);
            question.extend_from_slice(after);
            (question, context[at..at + len].to_vec(), at)
        })
        .collect()
}

/// The loss terms of one teacher step (total, answer, reconstruction, locate, cloze; zero
/// where a batch has none), None for a batch with nothing to learn.
fn teacher_step(
    model: &Teacher,
    config: &TeacherConfig,
    training: &TeacherTraining,
    batch: &[&EncodedWindow],
    rng: &mut Rng,
    device: &Device,
) -> Option<[Tensor<1>; 5]> {
    let (mut qa, mut rec, mut blanks): (Vec<Item>, Vec<Item>, Vec<Item>) =
        (Vec::new(), Vec::new(), Vec::new());
    for (row, w) in batch.iter().enumerate() {
        let cut = &w.context[..w.context.len().min(config.max_context)];
        qa.extend(
            w.questions
                .iter()
                .map(|(q, a)| (row, q.clone(), a.clone(), find(cut, a))),
        );
        let items = spans(cut, training.spans_per_window, training.span_tokens, rng);
        rec.extend(items.into_iter().map(|(c, s, at)| (row, c, s, Some(at))));
        let items = cloze(cut, training.cloze_per_window, rng);
        blanks.extend(items.into_iter().map(|(q, a, at)| (row, q, a, Some(at))));
    }
    if qa.is_empty() && rec.is_empty() && blanks.is_empty() {
        return None;
    }
    let pooled = pooled_size(training, rng);
    let ctx = contexts(batch, config.max_context, device);
    let h = model.encode(&ctx);
    let memory = match pooled {
        Some(m) => mean_pool(h, &ctx.lengths, m),
        None => h,
    };
    let zero = || Tensor::<1>::zeros([1], device);
    let mut terms = [zero(), zero(), zero()];
    let mut located = Vec::new();
    let groups = [
        (&qa, training.max_answer),
        (&rec, training.span_tokens),
        (&blanks, training.max_answer),
    ];
    for (k, (items, max)) in groups.into_iter().enumerate() {
        if items.is_empty() {
            continue;
        }
        let rows: Vec<usize> = items.iter().map(|i| i.0).collect();
        let pairs: Vec<(&[u32], &[u32])> = items
            .iter()
            .map(|i| (i.1.as_slice(), i.2.as_slice()))
            .collect();
        let f = forced(&pairs, max, device);
        let idx = rows_tensor(&rows, device);
        let mem = memory.clone().select(0, idx.clone());
        let pad = pooled.is_none().then(|| ctx.pad.clone().select(0, idx));
        let decoded = model.decoder_states(mem, pad, &f.input);
        terms[k] = cross_entropy(
            model.vocabulary_at(decoded.states.clone(), f.positions.clone()),
            f.targets.clone(),
        );
        if training.locate_weight > 0.0 {
            let starts: Vec<Option<usize>> = items.iter().map(|i| i.3).collect();
            let slot = |n: usize, at: usize| match pooled {
                Some(m) => window_of(ctx.lengths[rows[n]], m, at),
                None => at,
            };
            located.extend(locate_loss(&decoded, &f, &starts, &slot, device));
        }
    }
    let [answer, spans, blanks] = terms;
    let count = located.len().max(1) as f64;
    let locate = located.into_iter().fold(zero(), |a, l| a + l) / count;
    let mut total = answer.clone() + spans.clone() + locate.clone() * training.locate_weight;
    if training.cloze_per_window > 0 {
        total = total + blanks.clone();
    }
    Some([total, answer, spans, locate, blanks])
}

/// One optimizer step down `loss`.
pub(super) fn descend<M: Module + Clone>(
    model: M,
    optim: &mut burn::optim::ModuleOptimizer,
    loss: Tensor<1>,
    lr: f64,
) -> M {
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    optim.step(lr, model, grads)
}

/// Records an epoch and checkpoints after it (then progress may hear of it: a crash in
/// between costs nothing).
pub(super) fn end_epoch<M: Module + Clone>(
    dir: &Path,
    model: &M,
    optim: &burn::optim::ModuleOptimizer,
    state: &mut epochs::EpochState<EpochRecord>,
    record: EpochRecord,
) -> Result<()> {
    state.epochs_done = record.epoch;
    state.history.push(record);
    crate::models::checkpoint::save(dir, model, optim, state)
}

pub(super) fn finish_epoch(
    mut sums: EpochRecord,
    steps: usize,
    epoch: usize,
    windows: usize,
    started: Instant,
) -> EpochRecord {
    let n = steps.max(1) as f64;
    let seconds = started.elapsed().as_secs_f64();
    sums.epoch = epoch;
    sums.train_loss /= n;
    sums.teacher_forcing /= n;
    sums.reconstruction /= n;
    sums.locate /= n;
    sums.cloze /= n;
    sums.generation /= n;
    sums.contrastive /= n;
    sums.keep /= n;
    sums.seconds = seconds;
    sums.windows_per_s = windows as f64 / seconds.max(1e-9);
    sums
}

/// How the memory of a window is made at evaluation.
pub type MemoryOf<'a> = dyn Fn(&Tokens, Tensor<3>) -> (Tensor<3>, Option<Tensor<2, Bool>>) + 'a;

/// Greedy answers (token ids) to every question of `windows`, each window's memory made by
/// `memory` from the teacher's encoder states; `batch_windows` windows at a time.
pub fn answer(
    teacher: &Teacher,
    windows: &[EncodedWindow],
    max_context: usize,
    max_answer: usize,
    batch_windows: usize,
    memory: &MemoryOf<'_>,
) -> Vec<Vec<Vec<u32>>> {
    let device = crate::models::device_of(teacher);
    let mut out = Vec::with_capacity(windows.len());
    for chunk in windows.chunks(batch_windows.max(1)) {
        let refs: Vec<&EncodedWindow> = chunk.iter().collect();
        let ctx = contexts(&refs, max_context, &device);
        let h = teacher.encode(&ctx);
        let (mem, pad) = memory(&ctx, h);
        let mut rows = Vec::new();
        let mut questions: Vec<&[u32]> = Vec::new();
        for (row, w) in chunk.iter().enumerate() {
            for (q, _) in &w.questions {
                rows.push(row);
                questions.push(q);
            }
        }
        let mut answers =
            generate(teacher, &mem, pad.as_ref(), &rows, &questions, max_answer).into_iter();
        for w in chunk {
            out.push(answers.by_ref().take(w.questions.len()).collect());
        }
    }
    out
}
