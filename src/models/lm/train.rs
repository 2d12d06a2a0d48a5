//! Training language models: a [`Trainer`] (model on the autodiff device plus Adam) used both
//! for pretraining on a corpus and for the adaptive coder's updates, and [`pretrain`], which
//! trains on contiguous streams with truncated backpropagation (recurrent models) or random
//! windows (transformer), checkpoints, evaluates held-out BPC and resumes after a crash.

use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Result};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::recurrent::RecurrentState;
use super::{Arch, LanguageModel, LmConfig};

/// How to pretrain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Streams (or windows) per step.
    pub batch_size: usize,
    /// Symbols per stream per step (recurrent models; the transformer uses its window).
    pub seq_len: usize,
    /// Peak Adam learning rate (warm-up, then cosine decay to a tenth).
    pub learning_rate: f64,
    /// Seed of initialisation and window order.
    pub seed: u64,
}

/// One evaluation point of the training curve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Steps done.
    pub step: usize,
    /// Mean training loss since the previous point, in bits per symbol.
    pub train_bpc: f64,
    /// Held-out bits per symbol (none when the held-out text is too short).
    pub heldout_bpc: Option<f64>,
    /// Training symbols per second since the previous point.
    pub symbols_per_s: f64,
    /// Seconds of training so far.
    pub seconds: f64,
}

/// Checkpoint state besides the tensors.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PretrainState {
    /// Steps done.
    pub steps_done: usize,
    /// Curve so far.
    pub curve: Vec<CurvePoint>,
    /// The recurrent state carried into the next step (recurrent models mid-stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried: Option<super::recurrent::SavedState>,
}

/// A model on the autodiff device with its optimizer.
pub struct Trainer {
    /// The model being trained.
    pub model: LanguageModel,
    /// Adam.
    pub optim: ModuleOptimizer,
    /// The autodiff device.
    pub device: Device,
}

/// A model initialised from `seed` (the same weights for the same seed, whatever else runs;
/// see [`crate::models::seeded`]).
pub fn init_seeded(config: &LmConfig, seed: u64, device: &Device) -> LanguageModel {
    crate::models::seeded(device, seed, |d| config.init(d))
}

impl Trainer {
    /// A fresh, seeded model.
    pub fn new(config: &LmConfig, seed: u64, device: &Device) -> Trainer {
        let device = device.clone().autodiff();
        Trainer {
            model: init_seeded(config, seed, &device),
            optim: AdamConfig::new()
                .with_grad_clipping(Some(
                    burn::optim::grad_clipping::GradientClippingConfig::Norm(1.0),
                ))
                .init(),
            device,
        }
    }

    /// One optimizer step on `inputs` → `targets` (row-major [batch, time]) starting from
    /// `state`; returns the mean loss in bits per symbol and the final state, detached.
    pub fn step(
        &mut self,
        inputs: &[usize],
        targets: &[usize],
        batch: usize,
        state: Option<RecurrentState>,
        learning_rate: f64,
    ) -> Result<(f64, Option<RecurrentState>)> {
        let time = inputs.len() / batch;
        let ints = |v: &[usize], shape: [usize; 2]| {
            let data: Vec<i64> = v.iter().map(|&s| s as i64).collect();
            Tensor::<2, Int>::from_data(TensorData::new(data, shape), &self.device)
        };
        let x = ints(inputs, [batch, time]);
        let y: Tensor<1, Int> = ints(targets, [batch, time]).reshape([batch * time]);
        let (logits, state) = self.model.forward(x, state);
        let logits: Tensor<2> = logits.reshape([batch * time, self.model.vocab()]);
        let loss = CrossEntropyLossConfig::new()
            .init(&self.device)
            .forward(logits, y);
        let value = loss
            .clone()
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow!("{e:?}"))?[0] as f64;
        if !value.is_finite() {
            anyhow::bail!("the training loss became {value}");
        }
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self.optim.step(learning_rate, self.model.clone(), grads);
        Ok((
            value / std::f64::consts::LN_2,
            state.map(RecurrentState::detach),
        ))
    }

    /// The current model without autodiff, for coding and evaluation.
    pub fn inference(&self) -> LanguageModel {
        self.model.valid()
    }
}

/// Learning rate at `step`: linear warm-up over 100 steps, cosine decay to a tenth.
pub fn learning_rate(peak: f64, step: usize, steps: usize) -> f64 {
    let warm = 100.min(steps / 10).max(1);
    if step < warm {
        return peak * (step + 1) as f64 / warm as f64;
    }
    let t = (step - warm) as f64 / (steps - warm).max(1) as f64;
    peak * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * t.min(1.0)).cos()))
}

/// Mean bits per symbol of `model` on `text` (streams of contiguous text, no updates).
pub fn evaluate_bpc(
    model: &LanguageModel,
    config: &LmConfig,
    text: &[u32],
    device: &Device,
) -> f64 {
    let scored = symbol_bits(model, config, text, device);
    let (mut bits, mut count) = (0.0, 0usize);
    for chunk in &scored.chunks {
        bits += chunk.iter().sum::<f64>();
        count += chunk.len();
    }
    if count == 0 {
        return f64::NAN;
    }
    bits / count as f64
}

/// The bits of a text's predicted symbols: the text is cut into `streams` contiguous streams
/// read side by side, `chunks` of time steps at a time (each chunk row-major [stream, step]);
/// each stream's first symbol is not predicted, and a tail shorter than a stream is left out.
#[derive(Debug, Clone, Default)]
pub struct SymbolBits {
    /// Streams read side by side.
    pub streams: usize,
    /// Bits per chunk of time steps, [stream, step] row-major.
    pub chunks: Vec<Vec<f64>>,
}

impl SymbolBits {
    /// Each stream's bits in the text's order.
    pub fn per_stream(&self) -> Vec<Vec<f64>> {
        let mut out = vec![Vec::new(); self.streams];
        for chunk in &self.chunks {
            let t = chunk.len() / self.streams.max(1);
            for (s, stream) in out.iter_mut().enumerate() {
                stream.extend_from_slice(&chunk[s * t..(s + 1) * t]);
            }
        }
        out
    }
}

/// The bits `model` spends on every symbol of `text` it predicts (up to 16 streams, no
/// updates).
pub fn symbol_bits(
    model: &LanguageModel,
    config: &LmConfig,
    text: &[u32],
    device: &Device,
) -> SymbolBits {
    let batch = 16.min(text.len() / 2).max(1);
    let len = text.len() / batch;
    let mut scored = SymbolBits {
        streams: batch,
        chunks: Vec::new(),
    };
    if len < 2 {
        return scored;
    }
    let span = if config.arch == Arch::Transformer {
        config.window
    } else {
        128
    };
    let mut state: Option<RecurrentState> = None;
    let mut at = 0;
    while at + 1 < len {
        let t = span.min(len - 1 - at);
        let mut inputs = Vec::with_capacity(batch * t);
        let mut targets = Vec::with_capacity(batch * t);
        for s in 0..batch {
            let base = s * len + at;
            inputs.extend(text[base..base + t].iter().map(|&b| b as usize));
            targets.extend(text[base + 1..base + t + 1].iter().map(|&b| b as usize));
        }
        let (b, next) = model.bits(&inputs, &targets, batch, state, device);
        state = next;
        scored.chunks.push(b);
        at += t;
    }
    scored
}

/// One pretraining: the model, its settings, the data, where its checkpoints go and the
/// device it trains on.
pub struct Pretraining<'a> {
    /// Model shape.
    pub config: &'a LmConfig,
    /// Training settings.
    pub train: &'a PretrainConfig,
    /// Training symbols.
    pub corpus: &'a [u32],
    /// Held-out symbols.
    pub heldout: &'a [u32],
    /// Checkpoints (resumed from when one is there).
    pub checkpoint_dir: &'a Path,
    /// Steps between held-out evaluations (and checkpoints).
    pub eval_every: usize,
    /// Where it computes.
    pub device: &'a Device,
}

/// The symbols of one step: contiguous streams (recurrent models, truncated backpropagation
/// carries the state) or random windows (transformer).
struct Batches<'a> {
    corpus: &'a [u32],
    batch: usize,
    time: usize,
    transformer: bool,
    stream_len: usize,
    windows: usize,
    seed: u64,
}

impl<'a> Batches<'a> {
    fn new(job: &Pretraining<'a>) -> Result<Batches<'a>> {
        let batch = job.train.batch_size.max(1);
        let transformer = job.config.arch == Arch::Transformer;
        let time = if transformer {
            job.config.window
        } else {
            job.train.seq_len.max(1)
        };
        let stream_len = job.corpus.len() / batch;
        if stream_len < time + 2 {
            anyhow::bail!(
                "the corpus ({} symbols) is too small for {batch} streams of {time} symbols",
                job.corpus.len()
            );
        }
        Ok(Batches {
            corpus: job.corpus,
            batch,
            time,
            transformer,
            stream_len,
            windows: job.corpus.len() / (time + 1),
            seed: job.train.seed,
        })
    }

    /// Inputs and targets of `step`, and whether the carried state starts afresh.
    fn step(&self, step: usize) -> (Vec<usize>, Vec<usize>, bool) {
        let (batch, time) = (self.batch, self.time);
        let mut inputs = Vec::with_capacity(batch * time);
        let mut targets = Vec::with_capacity(batch * time);
        let mut push = |base: usize| {
            inputs.extend(self.corpus[base..base + time].iter().map(|&s| s as usize));
            targets.extend(
                self.corpus[base + 1..base + time + 1]
                    .iter()
                    .map(|&s| s as usize),
            );
        };
        if self.transformer {
            let epoch = step * batch / self.windows;
            let order = crate::data::sampling::permutation(self.windows, self.seed ^ epoch as u64);
            for b in 0..batch {
                push(order[(step * batch + b) % self.windows] * (time + 1));
            }
            return (inputs, targets, true);
        }
        let per_stream = (self.stream_len - 1) / time;
        let at = (step % per_stream) * time;
        for b in 0..batch {
            push(b * self.stream_len + at);
        }
        (inputs, targets, at == 0)
    }
}

/// A trainer at its checkpoint under `dir`, or fresh.
fn resume(job: &Pretraining<'_>) -> Result<(Trainer, PretrainState)> {
    let mut trainer = Trainer::new(job.config, job.train.seed, job.device);
    let optim = std::mem::replace(&mut trainer.optim, AdamConfig::new().init());
    match crate::models::checkpoint::load(job.checkpoint_dir, trainer.model.clone(), optim)? {
        Some((model, optim, state)) => {
            let state: PretrainState = state;
            eprintln!(
                "resuming from the checkpoint after step {}",
                state.steps_done
            );
            (trainer.model, trainer.optim) = (model, optim);
            Ok((trainer, state))
        }
        None => Ok((
            Trainer::new(job.config, job.train.seed, job.device),
            PretrainState::default(),
        )),
    }
}

/// Pretrains (resuming from the checkpoint when there is one); `progress` gets (step, steps,
/// held-out bpc) at every evaluation.
pub fn pretrain(
    job: &Pretraining<'_>,
    mut progress: impl FnMut(usize, usize, f64),
) -> Result<(LanguageModel, Vec<CurvePoint>)> {
    let (mut trainer, mut state) = resume(job)?;
    let batches = Batches::new(job)?;
    let steps = job.train.steps;
    let mut carried: Option<RecurrentState> = state
        .carried
        .take()
        .map(|saved| RecurrentState::load(&saved, &trainer.device));
    let started = Instant::now();
    let mut since = (Instant::now(), 0.0, 0usize);
    let offset_seconds = state.curve.last().map_or(0.0, |c| c.seconds);
    for step in state.steps_done..steps {
        let (inputs, targets, fresh) = batches.step(step);
        if fresh {
            carried = None;
        }
        let lr = learning_rate(job.train.learning_rate, step, steps);
        let (bpc, next) = trainer.step(&inputs, &targets, batches.batch, carried.take(), lr)?;
        carried = next;
        since.1 += bpc;
        since.2 += 1;
        let done = step + 1;
        if done % job.eval_every.max(1) != 0 && done != steps {
            continue;
        }
        let seconds = since.0.elapsed().as_secs_f64();
        let model = trainer.inference();
        let heldout_bpc = evaluate_bpc(
            &model,
            job.config,
            job.heldout,
            &crate::models::device_of(&model),
        );
        state.curve.push(CurvePoint {
            step: done,
            train_bpc: since.1 / since.2.max(1) as f64,
            heldout_bpc: heldout_bpc.is_finite().then_some(heldout_bpc),
            symbols_per_s: (since.2 * batches.batch * batches.time) as f64 / seconds.max(1e-9),
            seconds: offset_seconds + started.elapsed().as_secs_f64(),
        });
        state.steps_done = done;
        state.carried = carried.as_ref().map(RecurrentState::save);
        crate::models::checkpoint::save(
            job.checkpoint_dir,
            &trainer.model,
            &trainer.optim,
            &state,
        )?;
        progress(done, steps, heldout_bpc);
        since = (Instant::now(), 0.0, 0);
    }
    Ok((trainer.inference(), state.curve))
}

/// Loads weights saved by [`LanguageModel::save_file`] into a model of `config` on `device`.
pub fn load(config: &LmConfig, path: &Path, device: &Device) -> Result<LanguageModel> {
    if !path.is_file() {
        anyhow::bail!("{}: no such model file", path.display());
    }
    init_seeded(config, 0, device)
        .try_load_file(path)
        .map_err(|e| anyhow!("{}: {e:?}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weights of a model as bytes.
    fn weights(model: &LanguageModel, dir: &Path) -> Vec<u8> {
        let path = dir.join("w.bpk");
        model.clone().save_file(&path).unwrap();
        std::fs::read(&path).unwrap()
    }

    /// A pretraining stopped after a checkpoint in the middle of its streams (the recurrent
    /// state carried) and resumed ends with the weights of an uninterrupted one, bit for bit.
    #[test]
    fn a_resumed_pretraining_ends_where_an_uninterrupted_one_does() {
        let _alone = crate::models::draws_alone();
        // One thread: with several, burn's CPU kernels may sum in a load-dependent order.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(resumed_pretraining);
    }

    fn resumed_pretraining() {
        let dir = tempfile::tempdir().unwrap();
        let device = crate::models::device::cpu();
        let text: Vec<u32> = b"the quick brown fox jumps over the lazy dog; "
            .repeat(24)
            .iter()
            .map(|&b| u32::from(b))
            .collect();
        let config = LmConfig {
            arch: Arch::Gru,
            hidden: 16,
            layers: 1,
            heads: 2,
            window: 16,
            vocab: 256,
        };
        let train = PretrainConfig {
            steps: 6,
            batch_size: 2,
            seq_len: 8,
            learning_rate: 3e-3,
            seed: 5,
        };
        let (whole_dir, stopped_dir) = (dir.path().join("whole"), dir.path().join("stopped"));
        let job = |checkpoint_dir| Pretraining {
            config: &config,
            train: &train,
            corpus: &text,
            heldout: &text[..64],
            checkpoint_dir,
            eval_every: 2,
            device: &device,
        };
        let (whole, curve) = pretrain(&job(&whole_dir), |_, _, _| {}).unwrap();
        let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pretrain(&job(&stopped_dir), |step, _, _| {
                assert!(step < 4, "stopped at step {step}")
            })
        }));
        assert!(stopped.is_err(), "the first part stops after step 4");
        let (resumed, resumed_curve) = pretrain(&job(&stopped_dir), |_, _, _| {}).unwrap();
        let bpc = |c: &[CurvePoint]| c.iter().map(|p| p.train_bpc).collect::<Vec<_>>();
        assert_eq!(bpc(&curve), bpc(&resumed_curve));
        assert!(
            weights(&whole, dir.path()) == weights(&resumed, dir.path()),
            "weights differ"
        );
    }
}
