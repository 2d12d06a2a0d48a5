//! Training the token classifier: shuffled mini-batches of labelled sequences, Adam, binary
//! cross-entropy on the keep logits of real (not padding) tokens, a checkpoint after every
//! epoch (resumed after an interruption), and a held-out record per epoch.

use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Result};
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::activation::log_sigmoid;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::{batch, Encoded, TokenClassifier, TokenClassifierConfig};
use crate::models::epochs;

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training sequences.
    pub epochs: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Adam learning rate (decays linearly to a fifth of it by the last epoch).
    pub learning_rate: f64,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
}

/// A labelled sequence: encoded tokens and 1.0 for each token to keep.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The tokens.
    pub encoded: Encoded,
    /// Keep labels, one per token.
    pub labels: Vec<f32>,
}

/// One epoch's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss per token.
    pub train_loss: f64,
    /// Mean held-out loss per token.
    pub heldout_loss: f64,
    /// Of the held-out tokens labelled keep, the fraction the classifier keeps when each
    /// sequence keeps its best-scored half (0.5 would be chance for a random order).
    pub heldout_recall_at_half: f64,
    /// Training tokens per second.
    pub tokens_per_s: f64,
    /// Seconds the epoch took.
    pub seconds: f64,
}

/// Mean loss per real (not padding) token of a batch, and the logits.
fn loss(model: &TokenClassifier, items: &[&Labelled], device: &Device) -> (Tensor<1>, Tensor<2>) {
    let encoded: Vec<&Encoded> = items.iter().map(|l| &l.encoded).collect();
    let b = batch(&encoded, device);
    let [n, l] = b.ids.dims();
    let mut y = vec![0f32; n * l];
    let mut w = vec![0f32; n * l];
    let mut count = 0usize;
    for (i, item) in items.iter().enumerate() {
        for (j, &label) in item.labels.iter().enumerate() {
            y[i * l + j] = label;
            w[i * l + j] = 1.0;
            count += 1;
        }
    }
    let y = Tensor::<2>::from_data(TensorData::new(y, [n, l]), device);
    let w = Tensor::<2>::from_data(TensorData::new(w, [n, l]), device);
    let logits = model.forward(&b);
    let per_token = -(y.clone() * log_sigmoid(logits.clone())
        + (y.neg() + 1.0) * log_sigmoid(logits.clone().neg()));
    ((per_token * w).sum() / count.max(1) as f64, logits)
}

fn scalar(t: Tensor<1>) -> Result<f64> {
    let v: Vec<f32> = t.into_data().try_to_vec().map_err(|e| anyhow!("{e:?}"))?;
    Ok(f64::from(v[0]))
}

/// Held-out loss and recall of keep-labelled tokens when every sequence keeps its top half.
pub fn evaluate(model: &TokenClassifier, heldout: &[Labelled]) -> Result<(f64, f64)> {
    let (loss, hits) = scored(model, heldout)?;
    let found: usize = hits.iter().map(|h| h.0).sum();
    let positives: usize = hits.iter().map(|h| h.1).sum();
    Ok((loss, found as f64 / positives.max(1) as f64))
}

/// Per held-out sequence: the keep-labelled tokens among its best-scored half, and its
/// keep-labelled tokens.
pub fn keep_hits(model: &TokenClassifier, heldout: &[Labelled]) -> Result<Vec<(usize, usize)>> {
    Ok(scored(model, heldout)?.1)
}

/// Held-out loss per token and [`keep_hits`].
fn scored(model: &TokenClassifier, heldout: &[Labelled]) -> Result<(f64, Vec<(usize, usize)>)> {
    let model = model.valid();
    let device = crate::models::device_of(&model);
    let (mut total, mut tokens) = (0.0, 0usize);
    let mut hits = Vec::with_capacity(heldout.len());
    for chunk in heldout.chunks(32) {
        let items: Vec<&Labelled> = chunk.iter().collect();
        let (l, logits) = loss(&model, &items, &device);
        let n: usize = items.iter().map(|i| i.labels.len()).sum();
        total += scalar(l)? * n as f64;
        tokens += n;
        let [_, width] = logits.dims();
        let values: Vec<f32> = logits
            .into_data()
            .try_to_vec()
            .map_err(|e| anyhow!("{e:?}"))?;
        for (i, item) in items.iter().enumerate() {
            let scores: Vec<f64> = (0..item.labels.len())
                .map(|j| f64::from(values[i * width + j]))
                .collect();
            let k = crate::models::selection::budget(scores.len(), 0.5);
            let found = crate::models::selection::top(&scores, k)
                .into_iter()
                .filter(|&j| item.labels[j] > 0.5)
                .count();
            hits.push((found, item.labels.iter().filter(|&&v| v > 0.5).count()));
        }
    }
    Ok((total / tokens.max(1) as f64, hits))
}

/// Trains (resuming from `checkpoint_dir` when it holds a checkpoint); `progress` gets
/// (epoch, epochs, held-out recall).
pub fn train(
    model_config: &TokenClassifierConfig,
    config: &TrainConfig,
    train_set: &[Labelled],
    heldout: &[Labelled],
    checkpoint_dir: &Path,
    device: &Device,
    mut progress: impl FnMut(usize, usize, f64),
) -> Result<(TokenClassifier, Vec<EpochRecord>)> {
    if train_set.is_empty() {
        anyhow::bail!("no training sequence to learn the keep labels from");
    }
    let (device, mut model, mut optim, mut state) =
        epochs::start::<_, EpochRecord>(checkpoint_dir, config.seed, device, |d| {
            model_config.init(d)
        })?;
    for epoch in state.epochs_done + 1..=config.epochs {
        let started = Instant::now();
        epochs::seed_epoch(&device, config.seed, epoch);
        let order = epochs::order(train_set.len(), config.seed, epoch);
        let learning_rate = epochs::learning_rate(config.learning_rate, epoch, config.epochs);
        let (mut total, mut tokens) = (0.0, 0usize);
        for chunk in order.chunks(config.batch_size.max(1)) {
            let items: Vec<&Labelled> = chunk.iter().map(|&i| &train_set[i]).collect();
            let n: usize = items.iter().map(|i| i.labels.len()).sum();
            let (l, _) = loss(&model, &items, &device);
            let value = scalar(l.clone())?;
            if !value.is_finite() {
                anyhow::bail!("the training loss became {value} at epoch {epoch}");
            }
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = optim.step(learning_rate, model, grads);
            total += value * n as f64;
            tokens += n;
        }
        let seconds = started.elapsed().as_secs_f64();
        let (heldout_loss, recall) = evaluate(&model, heldout)?;
        state.history.push(EpochRecord {
            epoch,
            train_loss: total / tokens.max(1) as f64,
            heldout_loss,
            heldout_recall_at_half: recall,
            tokens_per_s: tokens as f64 / seconds.max(1e-9),
            seconds,
        });
        state.epochs_done = epoch;
        crate::models::checkpoint::save(checkpoint_dir, &model, &optim, &state)?;
        progress(epoch, config.epochs, recall);
    }
    Ok((model.valid(), state.history))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::token_classifier::encode;

    /// Keep a fixed set of words: a rule no shape feature gives away, learned from labels.
    fn labelled(text: &str) -> Labelled {
        const KEEP: &[&str] = &[
            "broncos",
            "panthers",
            "game",
            "stadium",
            "city",
            "quarterback",
        ];
        let tokens: Vec<&str> = text.split(' ').collect();
        Labelled {
            encoded: encode(&tokens, 64),
            labels: tokens
                .iter()
                .map(|t| f32::from(u8::from(KEEP.contains(t))))
                .collect(),
        }
    }

    #[test]
    fn learns_labels_and_resumes_from_its_checkpoint() {
        let _alone = crate::models::draws_alone();
        let texts = [
            "the broncos beat the panthers in santa clara",
            "a game at levi's stadium in february",
            "in the city of denver the team plays",
            "peyton manning was the quarterback of the broncos",
        ];
        let data: Vec<Labelled> = texts.iter().map(|t| labelled(t)).collect();
        let model_config = TokenClassifierConfig::new(16, 1)
            .with_buckets(64)
            .with_heads(2)
            .with_max_len(16);
        let config = TrainConfig {
            epochs: 30,
            batch_size: 2,
            learning_rate: 0.01,
            seed: 3,
        };
        let dir = tempfile::tempdir().unwrap();
        let (_, first) = train(
            &model_config,
            &config,
            &data,
            &data,
            &dir.path().join("c"),
            &crate::models::device::cpu(),
            |_, _, _| {},
        )
        .unwrap();
        let history = first.clone();
        assert_eq!(history.len(), 30);
        let last = history.last().unwrap();
        assert!(
            last.heldout_loss < history[0].heldout_loss * 0.5,
            "{history:?}"
        );
        assert!(last.heldout_recall_at_half > 0.99, "{last:?}");
        // A longer run resumes after epoch 30 instead of starting over.
        let more = TrainConfig {
            epochs: 31,
            ..config
        };
        let (_, history) = train(
            &model_config,
            &more,
            &data,
            &data,
            &dir.path().join("c"),
            &crate::models::device::cpu(),
            |_, _, _| {},
        )
        .unwrap();
        assert_eq!(history.len(), 31);
        let seconds = |h: &[EpochRecord]| h.iter().map(|r| r.seconds).collect::<Vec<_>>();
        assert_eq!(
            seconds(&history[..30]),
            seconds(&first),
            "the first 30 epochs were not redone"
        );
    }
}
