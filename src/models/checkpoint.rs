//! Training checkpoints shared by every trained model: weights, optimizer state and a JSON
//! state, written into a fresh directory and swapped in, so a crash leaves either the previous
//! complete checkpoint or the new one.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Paths of a checkpoint directory: model, optimizer, state.
fn paths(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        dir.join("model.bpk"),
        dir.join("optimizer.bpk"),
        dir.join("state.json"),
    )
}

/// Writes a checkpoint to `dir` (swapped in whole).
pub fn save<M: Module + Clone, S: Serialize>(
    dir: &Path,
    model: &M,
    optim: &ModuleOptimizer,
    state: &S,
) -> Result<()> {
    let fresh = dir.with_extension("new");
    let old = dir.with_extension("old");
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh)?;
    let (model_path, optim_path, state_path) = paths(&fresh);
    model
        .clone()
        .save_file(&model_path)
        .map_err(|e| anyhow!("saving the model: {e}"))?;
    optim
        .to_record()
        .save(&optim_path)
        .map_err(|e| anyhow!("saving the optimizer: {e}"))?;
    crate::store::atomic::write_json(&state_path, state)?;
    let _ = std::fs::remove_dir_all(&old);
    if dir.exists() {
        std::fs::rename(dir, &old).context("checkpoint")?;
    }
    std::fs::rename(&fresh, dir).context("checkpoint")?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Restores the checkpoint under `dir` (or the previous one if a crash interrupted a swap)
/// into `model` and `optim`; `None` when there is none.
pub fn load<M: Module, S: DeserializeOwned>(
    dir: &Path,
    model: M,
    optim: ModuleOptimizer,
) -> Result<Option<(M, ModuleOptimizer, S)>> {
    let Some(found) = [dir.to_path_buf(), dir.with_extension("old")]
        .into_iter()
        .find(|d| d.join("state.json").is_file())
    else {
        return Ok(None);
    };
    let (model_path, optim_path, state_path) = paths(&found);
    let state = crate::store::read_json(&state_path)?;
    let model = model
        .try_load_file(&model_path)
        .map_err(|e| anyhow!("{}: {e:?}", model_path.display()))?;
    let mut optim = optim;
    if optim_path.is_file() {
        let record = burn::optim::OptimizerRecord::load(&optim_path)
            .map_err(|e| anyhow!("{}: {e}", optim_path.display()))?;
        optim = optim.load_record(record);
    }
    Ok(Some((model, optim, state)))
}

/// The model and optimizer to train from: the checkpoint under `dir` when there is one (and
/// says so on stderr, `describe` naming how far it got), else `model` as given with `fresh()`
/// and a default state.
pub fn resume<M: Module + Clone, S: DeserializeOwned + Default>(
    dir: &Path,
    model: M,
    fresh: impl Fn() -> ModuleOptimizer,
    describe: impl Fn(&S) -> String,
) -> Result<(M, ModuleOptimizer, S)> {
    match load(dir, model.clone(), fresh())? {
        Some((model, optim, state)) => {
            eprintln!("resuming from the checkpoint after {}", describe(&state));
            Ok((model, optim, state))
        }
        None => Ok((model, fresh(), S::default())),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use burn::module::Module;
    use burn::nn::LinearConfig;

    /// Loads a file as the weights of a 4x3 linear layer.
    fn load(path: &Path) -> anyhow::Result<()> {
        LinearConfig::new(4, 3)
            .init(&crate::models::device::cpu())
            .try_load_file(path)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("{}: {e:?}", path.display()))
    }

    #[test]
    fn damaged_weight_files_are_errors_not_panics() {
        let _alone = crate::models::draws_alone();
        let dir = tempfile::tempdir().unwrap();
        let device = crate::models::device::cpu();
        let path = dir.path().join("model.bpk");
        LinearConfig::new(4, 3)
            .init(&device)
            .save_file(&path)
            .unwrap();
        let good = std::fs::read(&path).unwrap();
        load(&path).unwrap();
        let mut huge = good.clone();
        huge.iter_mut().take(24).for_each(|b| *b = 0xff);
        std::fs::write(&path, huge).unwrap();
        assert!(load(&path).is_err(), "sizes of 2^64");
        // Weights of another shape (an artifact of another config).
        LinearConfig::new(5, 7)
            .init(&device)
            .save_file(&path)
            .unwrap();
        assert!(load(&path).is_err(), "another shape");
        crate::data::damage::assert_clear_errors(&path, &good, load);
    }
}
