//! Epoch-based training shared by the reader and the token classifier: what their checkpoints
//! hold besides the tensors, the shuffled order of each epoch and the learning-rate decay.

use std::path::Path;

use anyhow::Result;
use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::Device;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What an epoch trainer's checkpoint holds besides the tensors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochState<R> {
    /// Epochs done.
    pub epochs_done: usize,
    /// One record per epoch done.
    pub history: Vec<R>,
}

impl<R> Default for EpochState<R> {
    fn default() -> Self {
        EpochState {
            epochs_done: 0,
            history: Vec::new(),
        }
    }
}

/// The order of `n` training items in `epoch` (1-based): a seeded permutation per epoch.
pub fn order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    crate::data::sampling::permutation(n, seed.wrapping_add(epoch as u64 * 0x9E37_79B9))
}

/// Seeds `device`'s generator for `epoch` (1-based) from the training's seed, so what the
/// epoch draws (dropout masks) is the same whether or not training resumed from a checkpoint
/// before it.
pub fn seed_epoch(device: &Device, seed: u64, epoch: usize) {
    crate::models::seed_device(device, crate::data::sampling::mix(seed, epoch as u64));
}

/// The learning rate of `epoch` (1-based) of `epochs`: linear decay from `base` in the first
/// epoch to a fifth of it in the last.
pub fn learning_rate(base: f64, epoch: usize, epochs: usize) -> f64 {
    let progress = (epoch - 1) as f64 / (epochs.max(2) - 1) as f64;
    base * (1.0 - 0.8 * progress)
}

/// Where an epoch trainer starts: a model built by `init` on `device` (with autodiff) with its
/// seed and a fresh Adam, or the checkpoint under `dir` when an earlier build left one.
pub fn start<M: Module + Clone, R: DeserializeOwned>(
    dir: &Path,
    seed: u64,
    device: &Device,
    init: impl FnOnce(&Device) -> M,
) -> Result<(Device, M, ModuleOptimizer, EpochState<R>)> {
    let device = device.clone().autodiff();
    let model = crate::models::seeded(&device, seed, init);
    let (model, optim, state) = crate::models::checkpoint::resume(
        dir,
        model,
        || AdamConfig::new().init(),
        |s: &EpochState<R>| format!("epoch {}", s.epochs_done),
    )?;
    Ok((device, model, optim, state))
}
