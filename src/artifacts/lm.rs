//! Pretrained language-model artifacts: a byte-level model trained on a corpus of public texts
//! (by default the King James Bible and the SQuAD dev contexts), shared by every run that
//! compresses with it. One block in fifty of the corpus (4 KiB blocks) is held out to measure
//! BPC during training. The build checkpoints inside the store's build directory and resumes.
//!
//! ```text
//! <store>/lm-<hash>/model.bpk     trained weights
//! <store>/lm-<hash>/curve.json    held-out BPC, training BPC and speed along training
//! <store>/lm-<hash>/curves.jsonl  the same, one line per point (for `runner report`)
//! ```

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Artifact, ArtifactStore};
use crate::models::lm::train::{pretrain, CurvePoint, PretrainConfig};
use crate::models::lm::{LanguageModel, LmConfig};

/// Version of the language models' code; part of the artifact's identity.
pub const LM_CODE_VERSION: u32 = 2;

/// Corpus block size for the held-out split.
const BLOCK: usize = 4096;
/// One block in this many is held out.
const HELDOUT_EVERY: usize = 50;

/// What a pretrained language model is built from (its identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LmArtifactConfig {
    /// [`LM_CODE_VERSION`] when it was built.
    pub code_version: u32,
    /// Model shape.
    pub model: LmConfig,
    /// Data sets or paths whose texts form the corpus, in order.
    pub corpus: Vec<String>,
    /// Training settings.
    pub train: PretrainConfig,
}

/// A pretrained model ready to code.
pub struct PretrainedLm {
    /// The artifact.
    pub artifact: Artifact,
    /// The model.
    pub model: LanguageModel,
    /// Its training curve.
    pub curve: Vec<CurvePoint>,
    /// Size of its weights file in bytes.
    pub file_bytes: u64,
}

/// The training and held-out corpora (one 4 KiB block in fifty held out; the last tenth for a
/// corpus of fewer than fifty blocks).
pub fn corpus(sources: &[String]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut all = Vec::new();
    for name in sources {
        let source = crate::task::codec::source_of(&serde_json::Value::String(name.clone()))?;
        for text in crate::data::texts::load(&source)? {
            // Files with CRLF line endings are coded as LF (see `codecs::learned::strip_cr`):
            // the model learns them that way.
            match crate::codecs::learned::strip_cr(&text.bytes) {
                Some(lf) => all.extend_from_slice(&lf),
                None => all.extend_from_slice(&text.bytes),
            }
            all.push(b'\n');
        }
    }
    let (mut train, mut heldout) = (Vec::new(), Vec::new());
    for (i, block) in all.chunks(BLOCK).enumerate() {
        if i % HELDOUT_EVERY == HELDOUT_EVERY - 1 {
            heldout.extend_from_slice(block);
        } else {
            train.extend_from_slice(block);
        }
    }
    if heldout.is_empty() {
        // A small corpus: hold out its last tenth instead.
        let cut = train.len() - train.len() / 10;
        heldout = train.split_off(cut);
    }
    Ok((train, heldout))
}

fn build(
    config: &LmArtifactConfig,
    dir: &Path,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<()> {
    config.model.validate().map_err(anyhow::Error::msg)?;
    let (train, heldout) = corpus(&config.corpus)?;
    println!(
        "pretraining a {} ({} hidden, {} layers) on {} bytes, {} held out",
        config.model.arch.name(),
        config.model.hidden,
        config.model.layers,
        train.len(),
        heldout.len()
    );
    let eval_every = (config.train.steps / 20).clamp(1, 250);
    let (model, curve) = pretrain(
        &config.model,
        &config.train,
        &train,
        &heldout,
        &dir.join("checkpoint"),
        eval_every,
        |step, steps, bpc| {
            progress(step, steps, &format!("steps, held-out {bpc:.3} bpc"));
            println!("step {step}/{steps}: held-out {bpc:.4} bpc");
        },
    )?;
    use burn::module::Module;
    model
        .save_file(dir.join("model.bpk"))
        .map_err(|e| anyhow::anyhow!("saving the model: {e}"))?;
    crate::store::atomic::write_json(&dir.join("curve.json"), &curve)?;
    let mut lines = String::new();
    for point in &curve {
        lines.push_str(&serde_json::to_string(point)?);
        lines.push('\n');
    }
    crate::store::atomic::write_atomic(&dir.join("curves.jsonl"), lines.as_bytes())?;
    let _ = std::fs::remove_dir_all(dir.join("checkpoint"));
    Ok(())
}

/// The artifact for `config`, trained once and shared through the store.
pub fn get(
    store: &ArtifactStore,
    config: &LmArtifactConfig,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Artifact> {
    let value = serde_json::to_value(config)?;
    store.get_or_build("lm", &value, |dir| build(config, dir, progress))
}

/// The pretrained model for `config` (trained first if the store lacks it).
pub fn load(store: &ArtifactStore, config: &LmArtifactConfig) -> Result<PretrainedLm> {
    let artifact = get(store, config, &|_, _, _| {})?;
    open(artifact, &config.model)
}

/// A pretrained model from an artifact directory.
pub fn open(artifact: Artifact, model: &LmConfig) -> Result<PretrainedLm> {
    let path = artifact.dir.join("model.bpk");
    let file_bytes = std::fs::metadata(&path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .len();
    Ok(PretrainedLm {
        model: crate::models::lm::train::load(model, &path)?,
        curve: crate::store::read_json(&artifact.dir.join("curve.json"))?,
        artifact,
        file_bytes,
    })
}

/// A pretrained model found by artifact directory or id, with its config.
pub struct FoundLm {
    /// Its artifact config.
    pub config: LmArtifactConfig,
    /// The model.
    pub model: LanguageModel,
    /// Hash of its weights file.
    pub hash: [u8; 16],
}

impl FoundLm {
    /// The reference the coder takes.
    pub fn model_ref(&self) -> crate::codecs::learned::ModelRef<'_> {
        crate::codecs::learned::ModelRef {
            model: &self.model,
            hash: self.hash,
        }
    }
}

/// Opens a pretrained model from an artifact directory, or an `lm-...` id in `store`.
pub fn find(store: &ArtifactStore, reference: &str) -> Result<FoundLm> {
    let direct = Path::new(reference);
    let dir = if direct.join("artifact.json").is_file() {
        direct.to_path_buf()
    } else if store.contains(reference) {
        store.root().join(reference)
    } else {
        anyhow::bail!(
            "no language model `{reference}`: give an artifact directory or an lm-... id from \
             `runner artifacts` (store: {})",
            store.root().display()
        );
    };
    let info: super::ArtifactInfo = crate::store::read_json(&dir.join("artifact.json"))?;
    if info.kind != "lm" {
        anyhow::bail!(
            "{} is a {} artifact, not a language model",
            dir.display(),
            info.kind
        );
    }
    let config: LmArtifactConfig = serde_json::from_value(info.config)?;
    let path = dir.join("model.bpk");
    let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(FoundLm {
        model: crate::models::lm::train::load(&config.model, &path)?,
        hash: crate::codecs::learned::file_hash(&bytes),
        config,
    })
}
