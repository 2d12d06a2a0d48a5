//! Training and evaluating the reader: shuffled mini-batches, Adam, cross-entropy on start and
//! end positions, a checkpoint (model, optimizer, history) after every epoch, and resumption
//! from the last checkpoint after an interruption.

use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Result};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::features::Features;
use super::model::{Batch, Reader, ReaderConfig};
use crate::models::epochs;

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
    /// Longest answer considered when decoding, in tokens.
    pub max_answer_tokens: usize,
}

/// One epoch's record (also the training curve).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training tokens per second (context + question).
    pub tokens_per_s: f64,
    /// Seconds the epoch took.
    pub seconds: f64,
    /// Evaluation F1 after the epoch, when evaluated.
    pub eval_f1: Option<f64>,
    /// Evaluation EM after the epoch.
    pub eval_em: Option<f64>,
}

/// Builds a padded batch of features on `device`.
pub fn batch(items: &[&Features], device: &Device) -> Batch {
    let b = items.len();
    let l = items
        .iter()
        .map(|f| f.context.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let q = items
        .iter()
        .map(|f| f.question.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut ctx = vec![0i64; b * l];
    let mut ctx_pad = vec![true; b * l];
    let mut em = vec![0f32; b * l];
    let mut qs = vec![0i64; b * q];
    let mut q_pad = vec![true; b * q];
    for (i, f) in items.iter().enumerate() {
        for (j, &id) in f.context.iter().enumerate() {
            ctx[i * l + j] = id as i64;
            ctx_pad[i * l + j] = false;
            em[i * l + j] = f.exact_match[j];
        }
        for (j, &id) in f.question.iter().enumerate() {
            qs[i * q + j] = id as i64;
            q_pad[i * q + j] = false;
        }
    }
    let positions: Vec<i64> = (0..b).flat_map(|_| 0..l as i64).collect();
    Batch {
        context: Tensor::<2, Int>::from_data(TensorData::new(ctx, [b, l]), device),
        context_pad: Tensor::<2, Bool>::from_data(TensorData::new(ctx_pad, [b, l]), device),
        exact_match: Tensor::<3>::from_data(TensorData::new(em, [b, l, 1]), device),
        question: Tensor::<2, Int>::from_data(TensorData::new(qs, [b, q]), device),
        question_pad: Tensor::<2, Bool>::from_data(TensorData::new(q_pad, [b, q]), device),
        positions: Tensor::<2, Int>::from_data(TensorData::new(positions, [b, l]), device),
    }
}

/// The best span (start ≤ end < start + max_len) of each example in a batch.
pub fn decode(
    start: Tensor<2>,
    end: Tensor<2>,
    lengths: &[usize],
    max_len: usize,
) -> Vec<(usize, usize)> {
    let [b, l] = start.dims();
    let s: Vec<f32> = start.into_data().try_to_vec().unwrap_or_default();
    let e: Vec<f32> = end.into_data().try_to_vec().unwrap_or_default();
    (0..b)
        .map(|i| {
            let n = lengths[i].min(l);
            let mut best = (f32::MIN, 0, 0);
            for a in 0..n {
                for z in a..(a + max_len).min(n) {
                    let v = s[i * l + a] + e[i * l + z];
                    if v > best.0 {
                        best = (v, a, z);
                    }
                }
            }
            (best.1, best.2)
        })
        .collect()
}

/// Predicted spans for features, in batches.
pub fn predict(
    model: &Reader,
    features: &[Features],
    batch_size: usize,
    max_len: usize,
    device: &Device,
) -> Vec<(usize, usize)> {
    let model = model.valid();
    let mut out = Vec::with_capacity(features.len());
    for chunk in features.chunks(batch_size.max(1)) {
        let refs: Vec<&Features> = chunk.iter().collect();
        let (s, e) = model.forward(&batch(&refs, device));
        let lengths: Vec<usize> = chunk.iter().map(|f| f.context.len()).collect();
        out.extend(decode(s, e, &lengths, max_len));
    }
    out
}

/// Trains (resuming from `checkpoint_dir` when it holds a checkpoint); `evaluate` is called
/// after each epoch with the model and returns (F1, EM); `progress` gets (epoch, epochs).
pub fn train(
    model_config: &ReaderConfig,
    config: &TrainConfig,
    train_set: &[Features],
    checkpoint_dir: &Path,
    device: &Device,
    mut evaluate: impl FnMut(&Reader) -> Result<(f64, f64)>,
    mut progress: impl FnMut(usize, usize, f64),
) -> Result<(Reader, Vec<EpochRecord>)> {
    let (device, mut model, mut optim, mut state) =
        epochs::start::<_, EpochRecord>(checkpoint_dir, config.seed, device, |d| {
            model_config.init(d)
        })?;
    let usable: Vec<&Features> = train_set.iter().filter(|f| f.target.is_some()).collect();
    if usable.is_empty() {
        anyhow::bail!("no training example has an answer inside its (truncated) context");
    }
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    for epoch in state.epochs_done + 1..=config.epochs {
        let start = Instant::now();
        epochs::seed_epoch(&device, config.seed, epoch);
        let order = epochs::order(usable.len(), config.seed, epoch);
        let learning_rate = epochs::learning_rate(config.learning_rate, epoch, config.epochs);
        let (mut total, mut steps, mut tokens) = (0.0, 0usize, 0usize);
        for chunk in order.chunks(config.batch_size.max(1)) {
            let items: Vec<&Features> = chunk.iter().map(|&i| usable[i]).collect();
            tokens += items
                .iter()
                .map(|f| f.context.len() + f.question.len())
                .sum::<usize>();
            let (loss, value) = span_loss(&model, &items, &loss_fn, &device)?;
            if !value.is_finite() {
                anyhow::bail!("the training loss became {value} at epoch {epoch}");
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(learning_rate, model, grads);
            total += value;
            steps += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        let (f1, em) = evaluate(&model)?;
        state.history.push(EpochRecord {
            epoch,
            train_loss: total / steps.max(1) as f64,
            tokens_per_s: tokens as f64 / seconds.max(1e-9),
            seconds,
            eval_f1: Some(f1),
            eval_em: Some(em),
        });
        state.epochs_done = epoch;
        crate::models::checkpoint::save(checkpoint_dir, &model, &optim, &state)?;
        progress(epoch, config.epochs, f1);
    }
    Ok((model, state.history))
}

/// The loss (start plus end cross-entropy) of `model` on `items` and its value.
pub fn span_loss(
    model: &Reader,
    items: &[&Features],
    loss_fn: &burn::nn::loss::CrossEntropyLoss,
    device: &Device,
) -> Result<(Tensor<1>, f64)> {
    let b = batch(items, device);
    let target = |end: bool| -> Tensor<1, Int> {
        let v: Vec<i64> = items
            .iter()
            .map(|f| f.target.map_or(0, |t| if end { t.1 } else { t.0 }) as i64)
            .collect();
        Tensor::from_data(TensorData::new(v, [items.len()]), device)
    };
    let (s, e) = model.forward(&b);
    let loss = loss_fn.forward(s, target(false)) + loss_fn.forward(e, target(true));
    let value: f32 = loss
        .clone()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow!("{e:?}"))?[0];
    Ok((loss, f64::from(value)))
}

/// Fine-tunes a trained `model` for `epochs` on `train_set` (Adam at `learning_rate`, linear
/// decay, order seeded by `seed`) with every forward pass through `view` of the weights (for
/// example their quantised values): the gradient at the viewed weights is applied to the
/// latent ones unchanged, the straight-through estimator of quantisation-aware training.
/// Returns the latent weights (quantise them the same way to get the fine-tuned model).
pub fn finetune(
    model: &Reader,
    train_set: &[Features],
    epochs: usize,
    learning_rate: f64,
    seed: u64,
    view: impl Fn(&Reader) -> Reader,
) -> Result<Reader> {
    let device = crate::models::device_of(model).autodiff();
    let mut model = model.clone().fork(&device).train();
    let mut optim = burn::optim::AdamConfig::new().init();
    let usable: Vec<&Features> = train_set.iter().filter(|f| f.target.is_some()).collect();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    for epoch in 1..=epochs {
        epochs::seed_epoch(&device, seed, epoch);
        let lr = epochs::learning_rate(learning_rate, epoch, epochs);
        for chunk in epochs::order(usable.len(), seed, epoch).chunks(32) {
            let items: Vec<&Features> = chunk.iter().map(|&i| usable[i]).collect();
            let viewed = view(&model);
            let (loss, value) = span_loss(&viewed, &items, &loss_fn, &device)?;
            if !value.is_finite() {
                anyhow::bail!("the fine-tuning loss became {value} at epoch {epoch}");
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
    }
    Ok(model)
}
