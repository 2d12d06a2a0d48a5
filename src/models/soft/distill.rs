//! Training a compressor against the frozen teacher, from the losses weighted by a preset
//! (teacher forcing, distillation from the uncompressed teacher, contrastive, reconstruction of
//! context spans); each epoch's
//! value of every term is recorded, the compressor resumes from its checkpoint after a crash,
//! and each window is encoded once (the teacher does not change).

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use burn::module::Module;
use burn::tensor::{Bool, Device, Tensor, TensorData};

use super::compressor::{Architecture, Compressor, CompressorConfig};
use super::losses::{cross_entropy, distillation, info_nce};
use super::principal::Principal;
use super::select::{answer_tokens, keep_loss};
use super::sequence::forced;
use super::teacher::{Teacher, Tokens};
use super::train::{
    contexts, descend, end_epoch, finish_epoch, rows_tensor, scalar, spans, CompressorTraining,
    EncodedWindow, EpochRecord,
};
use super::unpack::SoftCompressor;
use crate::data::sampling::{mix, Rng};
use crate::models::epochs;

/// Context spans reconstructed per window and step (reconstruction loss), and their tokens
/// after a cue of 4: as the teacher learned them.
const SPANS: (usize, usize) = (8, 16);

/// The mean encoder state of each context [windows, d] (padding left out).
pub fn mean_state(h: &Tensor<3>, ctx: &Tokens) -> Tensor<2> {
    let [b, l, d] = h.dims();
    let keep = ctx.pad.clone().bool_not().float().reshape([b, l, 1]);
    let lengths: Vec<f32> = ctx.lengths.iter().map(|&n| n as f32).collect();
    let lengths = Tensor::<2>::from_data(TensorData::new(lengths, [b, 1]), &h.device());
    (h.clone() * keep).sum_dim(1).reshape([b, d]) / lengths
}

/// Trains a compressor against the frozen `teacher` (on the training device, its parameters
/// without gradients); `greedy` holds the teacher's greedy answer per window and question.
#[allow(clippy::too_many_arguments)]
pub fn train_compressor(
    teacher: &Teacher,
    architecture: Architecture,
    config: &CompressorConfig,
    training: &CompressorTraining,
    windows: &[EncodedWindow],
    greedy: &[Vec<Vec<u32>>],
    checkpoint_dir: &Path,
    mut progress: impl FnMut(usize, usize, f64),
) -> Result<(SoftCompressor, Vec<EpochRecord>)> {
    let device = crate::models::device_of(teacher);
    let (device, mut model, mut optim, mut state) =
        epochs::start::<_, EpochRecord>(checkpoint_dir, training.seed, &device, |d| {
            SoftCompressor::init(config, architecture, d)
        })?;
    let teacher = teacher.clone().fork(&device).no_grad();
    let states = encode_all(
        &teacher,
        windows,
        config.max_context,
        training.batch_windows,
        &device,
    );
    if config.principal && state.epochs_done == 0 {
        model = model.with_principal(&Principal::of_states(&states), &device);
    }
    let step = Step {
        teacher: &teacher,
        config,
        training,
        device: &device,
    };
    for epoch in state.epochs_done + 1..=training.epochs {
        let started = Instant::now();
        epochs::seed_epoch(&device, training.seed, epoch);
        let order = epochs::order(windows.len(), training.seed, epoch);
        let lr = epochs::learning_rate(training.learning_rate, epoch, training.epochs);
        let mut rng = Rng::new(mix(training.seed, epoch as u64));
        let mut sums = EpochRecord::default();
        let mut steps = 0usize;
        for chunk in order.chunks(training.batch_windows.max(1)) {
            let batch = Batch {
                windows,
                states: &states,
                greedy,
                chunk,
            };
            let Some(terms) = step.losses(&model, &batch, &mut rng)? else {
                continue;
            };
            let [total, tf, gen, con, rec, keep] = terms;
            sums.keep += scalar(&keep)?;
            sums.teacher_forcing += scalar(&tf)?;
            sums.generation += scalar(&gen)?;
            sums.contrastive += scalar(&con)?;
            sums.reconstruction += scalar(&rec)?;
            sums.train_loss += scalar(&total)?;
            model = descend(model, &mut optim, total, lr);
            steps += 1;
        }
        let record = finish_epoch(sums, steps, epoch, windows.len(), started);
        end_epoch(checkpoint_dir, &model, &optim, &mut state, record)?;
        progress(epoch, training.epochs, state.history[epoch - 1].train_loss);
    }
    Ok((model, state.history))
}

/// The teacher's encoder states of every window, [tokens, d] each: the teacher is frozen, so
/// a compressor's training encodes each window once, `batch` windows at a time.
pub(super) fn encode_all(
    teacher: &Teacher,
    windows: &[EncodedWindow],
    max_context: usize,
    batch: usize,
    device: &Device,
) -> Vec<Tensor<2>> {
    let mut out = Vec::with_capacity(windows.len());
    for chunk in windows.chunks(batch.max(1)) {
        let refs: Vec<&EncodedWindow> = chunk.iter().collect();
        let ctx = contexts(&refs, max_context, device);
        let h = teacher.encode(&ctx).detach();
        let d = h.dims()[2];
        for (i, &len) in ctx.lengths.iter().enumerate() {
            out.push(h.clone().slice([i..i + 1, 0..len, 0..d]).reshape([len, d]));
        }
    }
    out
}

/// States [tokens, d] stacked into [batch, `l`, d], zeros after each row's tokens.
pub(super) fn stack_states(states: Vec<Tensor<2>>, l: usize) -> Tensor<3> {
    let rows = states
        .into_iter()
        .map(|s| {
            let [len, d] = s.dims();
            let s = if len < l {
                let zeros = Tensor::zeros([l - len, d], &s.device());
                Tensor::cat(vec![s, zeros], 0)
            } else {
                s
            };
            s.reshape([1, l, d])
        })
        .collect();
    Tensor::cat(rows, 0)
}

/// One step's windows: all of them, their cached encoder states and the teacher's greedy
/// answers, and the indices of this step's.
struct Batch<'a> {
    windows: &'a [EncodedWindow],
    states: &'a [Tensor<2>],
    greedy: &'a [Vec<Vec<u32>>],
    chunk: &'a [usize],
}

/// What every step of one training shares: the frozen teacher, the shapes, the settings.
struct Step<'a> {
    teacher: &'a Teacher,
    config: &'a CompressorConfig,
    training: &'a CompressorTraining,
    device: &'a Device,
}

impl Step<'_> {
    /// The loss terms of one step (total, teacher forcing, generation, contrastive,
    /// reconstruction, keep; zero where a weight is), None for a batch without questions.
    fn losses(
        &self,
        model: &SoftCompressor,
        batch: &Batch<'_>,
        rng: &mut Rng,
    ) -> Result<Option<[Tensor<1>; 6]>> {
        let Batch {
            windows,
            states,
            greedy,
            chunk,
        } = *batch;
        let (teacher, device) = (self.teacher, self.device);
        let rows: Vec<&EncodedWindow> = chunk.iter().map(|&i| &windows[i]).collect();
        let ctx = contexts(&rows, self.config.max_context, device);
        let cached = chunk.iter().map(|&i| states[i].clone()).collect();
        let h = stack_states(cached, ctx.ids.dims()[1]);
        let memory = model.forward(h.clone(), ctx.pad.clone(), &ctx.lengths);
        let readable = model.readable(memory.clone());
        let mut rows = Vec::new();
        let (mut gold, mut taught) = (Vec::new(), Vec::new());
        for (row, &w) in chunk.iter().enumerate() {
            for (k, (q, a)) in windows[w].questions.iter().enumerate() {
                rows.push(row);
                gold.push((q.as_slice(), a.as_slice()));
                taught.push((q.as_slice(), greedy[w][k].as_slice()));
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let idx = rows_tensor(&rows, device);
        let mem = readable.clone().select(0, idx.clone());
        let pad = model.memory_pad(&ctx.lengths, device);
        let mem_pad = pad.clone().map(|p| p.select(0, idx.clone()));
        let w = self.training.weights;
        let max_answer = self.training.max_answer;
        let zero = || Tensor::<1>::zeros([1], device);
        let tf = if w.teacher_forcing > 0.0 {
            let f = forced(&gold, max_answer, device);
            cross_entropy(
                teacher.decode_at(mem.clone(), mem_pad.clone(), &f.input, f.positions),
                f.targets,
            )
        } else {
            zero()
        };
        let gen = if w.generation > 0.0 {
            let g = forced(&taught, max_answer, device);
            let student = teacher.decode_at(mem.clone(), mem_pad, &g.input, g.positions.clone());
            let full = teacher.decode_at(
                h.clone().select(0, idx.clone()),
                Some(ctx.pad.clone().select(0, idx)),
                &g.input,
                g.positions,
            );
            cross_entropy(student.clone(), g.targets) + distillation(student, full)
        } else {
            zero()
        };
        let con = if w.contrastive > 0.0 && chunk.len() > 1 {
            let [n, _, d] = memory.dims();
            let first = memory.slice([0..n, 0..1, 0..d]).reshape([n, d]);
            info_nce(
                first,
                mean_state(&h, &ctx),
                chunk,
                self.training.temperature,
            )
        } else {
            zero()
        };
        let rec = if w.reconstruction > 0.0 {
            self.reconstruction(windows, chunk, (readable, pad), rng)
                .unwrap_or_else(zero)
        } else {
            zero()
        };
        let keep = match (&model.compressor, w.keep > 0.0) {
            (Compressor::Select(select), true) => {
                let scores = select.scores(h);
                keep_loss(scores, &self.answer_tokens(windows, chunk), ctx.pad.clone())
            }
            _ => zero(),
        };
        let total = tf.clone() * w.teacher_forcing
            + gen.clone() * w.generation
            + con.clone() * w.contrastive
            + rec.clone() * w.reconstruction
            + keep.clone() * w.keep;
        Ok(Some([total, tf, gen, con, rec, keep]))
    }

    /// Per window of `chunk`, the context tokens (cut to the longest context) its gold answers
    /// cover.
    fn answer_tokens(&self, windows: &[EncodedWindow], chunk: &[usize]) -> Vec<Vec<bool>> {
        chunk
            .iter()
            .map(|&w| {
                let context = &windows[w].context;
                let cut = &context[..context.len().min(self.config.max_context)];
                let answers: Vec<&[u32]> = windows[w]
                    .questions
                    .iter()
                    .map(|(_, a)| a.as_slice())
                    .collect();
                answer_tokens(cut, &answers)
            })
            .collect()
    }

    /// Cross-entropy of [`SPANS`] seeded spans per window (a cue of 4 tokens, then the span)
    /// decoded from each window's memory as read (`readable`: the memory and its padding);
    /// None when no window is long enough.
    fn reconstruction(
        &self,
        windows: &[EncodedWindow],
        chunk: &[usize],
        readable: (Tensor<3>, Option<Tensor<2, Bool>>),
        rng: &mut Rng,
    ) -> Option<Tensor<1>> {
        let (count, span) = SPANS;
        let mut rows = Vec::new();
        let mut items = Vec::new();
        for (row, &w) in chunk.iter().enumerate() {
            let context = &windows[w].context;
            let cut = &context[..context.len().min(self.config.max_context)];
            for (cue, target, _) in spans(cut, count, span, rng) {
                rows.push(row);
                items.push((cue, target));
            }
        }
        if items.is_empty() {
            return None;
        }
        let pairs: Vec<(&[u32], &[u32])> = items
            .iter()
            .map(|(c, t)| (c.as_slice(), t.as_slice()))
            .collect();
        let f = forced(&pairs, span, self.device);
        let rows = rows_tensor(&rows, self.device);
        let (readable, pad) = readable;
        let mem = readable.select(0, rows.clone());
        let pad = pad.map(|p| p.select(0, rows));
        Some(cross_entropy(
            self.teacher.decode_at(mem, pad, &f.input, f.positions),
            f.targets,
        ))
    }
}
