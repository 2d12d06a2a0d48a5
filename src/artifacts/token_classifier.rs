//! Token-classifier artifacts (LLMLingua-2-style compression): a bidirectional classifier
//! trained on a split's training articles from oracle keep labels
//! ([`crate::prompt::llmlingua2`]), shared by every run that compresses with it. The held-out
//! articles' labels measure it after every epoch; the build checkpoints and resumes.
//!
//! ```text
//! <store>/token-classifier-<hash>/model.bpk     trained weights
//! <store>/token-classifier-<hash>/history.json  per epoch: losses, held-out recall, speed
//! <store>/token-classifier-<hash>/curves.jsonl  the same, one line per epoch
//! ```

use std::path::Path;

use anyhow::{anyhow, Result};
use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::store::{Artifact, ArtifactStore};
use crate::data::qa::{split, QaExample, SplitSpec};
use crate::models::token_classifier::train::{train, EpochRecord, Labelled, TrainConfig};
use crate::models::token_classifier::{encode, TokenClassifier, TokenClassifierConfig};
use crate::prompt::llmlingua2::{oracle_labels, ORACLE_LABELS};

/// Version of the classifier's code and labels; part of the artifact's identity.
pub const CLASSIFIER_CODE_VERSION: u32 = 1;

/// What a token classifier is built from (its identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierArtifactConfig {
    /// [`CLASSIFIER_CODE_VERSION`] when it was built.
    pub code_version: u32,
    /// Data set whose training articles give the labelled contexts.
    pub dataset: String,
    /// Its split.
    pub split: SplitSpec,
    /// Label procedure.
    pub labels: String,
    /// Model shape.
    pub model: TokenClassifierConfig,
    /// Training settings.
    pub train: TrainConfig,
}

/// A trained classifier ready to compress.
pub struct TrainedClassifier {
    /// The artifact.
    pub artifact: Artifact,
    /// The model.
    pub model: TokenClassifier,
    /// Its shape.
    pub config: TokenClassifierConfig,
    /// Its training history.
    pub history: Vec<EpochRecord>,
}

/// Labelled sequences (pieces of at most `max_len` tokens) of every distinct context.
pub fn labelled(examples: &[QaExample], model: &TokenClassifierConfig) -> Vec<Labelled> {
    let mut by_context: Vec<(&str, Vec<&QaExample>)> = Vec::new();
    for ex in examples {
        match by_context.last_mut() {
            Some((c, qs)) if *c == &*ex.context => qs.push(ex),
            _ => by_context.push((&ex.context, vec![ex])),
        }
    }
    let mut out = Vec::new();
    for (context, questions) in by_context {
        let tokens = crate::prompt::tokens(context);
        let labels = oracle_labels(context, &questions);
        let n = model.max_len.max(1);
        for (piece, piece_labels) in tokens.chunks(n).zip(labels.chunks(n)) {
            out.push(Labelled {
                encoded: encode(piece, model.buckets),
                labels: piece_labels
                    .iter()
                    .map(|&k| f32::from(u8::from(k)))
                    .collect(),
            });
        }
    }
    out
}

fn build(
    config: &ClassifierArtifactConfig,
    dir: &Path,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<()> {
    if config.labels != ORACLE_LABELS {
        anyhow::bail!(
            "unknown label procedure `{}` (known: {ORACLE_LABELS})",
            config.labels
        );
    }
    config.model.validate().map_err(anyhow::Error::msg)?;
    let file = crate::data::squad::load(&crate::data::resolve(&config.dataset))?;
    let parts = split(&file, config.split)?;
    let train_set = labelled(&parts.train, &config.model);
    let heldout = labelled(&parts.eval, &config.model);
    let positives: f64 = train_set
        .iter()
        .flat_map(|l| &l.labels)
        .map(|&v| f64::from(v))
        .sum();
    let tokens: usize = train_set.iter().map(|l| l.labels.len()).sum();
    println!(
        "token classifier: {} training sequences, {tokens} tokens, {:.1}% labelled keep",
        train_set.len(),
        100.0 * positives / tokens.max(1) as f64
    );
    let (model, history) = train(
        &config.model,
        &config.train,
        &train_set,
        &heldout,
        &dir.join("checkpoint"),
        device,
        |epoch, epochs, recall| {
            progress(
                epoch,
                epochs,
                &format!("epochs, held-out recall {recall:.3}"),
            );
            println!("epoch {epoch}/{epochs}: held-out recall of keep labels at half {recall:.3}");
        },
    )?;
    super::store::write_trained(dir, model, "history.json", &history)
}

/// The classifier artifact for `config`, trained once and shared through the store.
pub fn get(
    store: &ArtifactStore,
    config: &ClassifierArtifactConfig,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Artifact> {
    let value = serde_json::to_value(config)?;
    store.get_or_build("token-classifier", &value, |dir| {
        build(config, dir, device, progress)
    })
}

/// The trained classifier for `config` (trained first if the store lacks it).
pub fn load(
    store: &ArtifactStore,
    config: &ClassifierArtifactConfig,
    device: &Device,
) -> Result<TrainedClassifier> {
    let artifact = get(store, config, device, &|_, _, _| {})?;
    let path = artifact.dir.join("model.bpk");
    let model = config
        .model
        .init(device)
        .try_load_file(&path)
        .map_err(|e| artifact.damaged(anyhow!("{}: {e:?}", path.display())))?;
    let history = crate::store::read_json(&artifact.dir.join("history.json"))
        .map_err(|e| artifact.damaged(e))?;
    Ok(TrainedClassifier {
        artifact,
        model,
        config: config.model.clone(),
        history,
    })
}
