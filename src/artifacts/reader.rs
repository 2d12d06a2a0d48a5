//! Reader artifacts: a neural reader trained on a split's training articles, shared by every
//! run (and experiment) that needs the same one, for example to answer questions from
//! compressed contexts. The build checkpoints after every epoch inside the store's build
//! directory, so an interrupted build resumes where it stopped.
//!
//! ```text
//! <store>/reader-<hash>/model.bpk      trained weights (burn record)
//! <store>/reader-<hash>/history.json   per epoch: loss, tokens/s, seconds, held-out F1/EM
//! <store>/reader-<hash>/curves.jsonl   the same, one line per epoch
//! ```

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, Result};
use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use super::store::{Artifact, ArtifactStore};
use super::tokenizer::TokenizerConfig;
use crate::data::qa::{split, QaExample};
use crate::models::reader::features::{featurize, span_text, Features};
use crate::models::reader::model::{Reader, ReaderConfig};
use crate::models::reader::train::{predict, train, EpochRecord, TrainConfig};

/// Longest question kept, in tokens.
const MAX_QUESTION: usize = 48;

/// Version of the reader's architecture and training code. It is part of the artifact's
/// identity: bump it when a change to the model or its training would make an earlier trained
/// reader a different model, so stores never mix them.
pub const READER_CODE_VERSION: u32 = 2;

/// What a reader artifact is built from (its identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderArtifactConfig {
    /// [`READER_CODE_VERSION`] when it was built.
    pub code_version: u32,
    /// Its tokenizer (also the data set and split it trains on).
    pub tokenizer: TokenizerConfig,
    /// Layer width.
    pub d_model: usize,
    /// Residual convolution blocks.
    pub conv_layers: usize,
    /// Context tokens kept.
    pub max_context: usize,
    /// Dropout during training.
    #[serde(default)]
    pub dropout: f64,
    /// Training settings (epochs, batch size, learning rate, seed).
    pub train: TrainConfig,
}

/// A trained reader ready to answer.
pub struct TrainedReader {
    /// The artifact.
    pub artifact: Artifact,
    /// Its tokenizer.
    pub tokenizer: Tokenizer,
    /// The model.
    pub model: Reader,
    /// Its training history.
    pub history: Vec<EpochRecord>,
    /// Its config.
    pub config: ReaderArtifactConfig,
}

impl ReaderArtifactConfig {
    fn model_config(&self, vocab: usize) -> ReaderConfig {
        ReaderConfig::new(
            vocab,
            self.d_model,
            self.conv_layers,
            self.max_context,
            self.dropout,
        )
    }
}

impl TrainedReader {
    /// The same reader with the weights of a compressed file (written by weight compression
    /// from this very artifact; the header says which), and the file's SHA-256.
    pub fn with_weights(mut self, path: &Path) -> Result<(TrainedReader, String)> {
        use sha2::Digest;
        let bytes = std::fs::read(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let what = path.display().to_string();
        let (header, _) = crate::weights::file::parse(&bytes, &what)?;
        let made_from = header.model.get("artifact").and_then(|a| a.as_str());
        if made_from != Some(self.artifact.id.as_str()) {
            return Err(anyhow!(
                "{what}: compressed from {}, but this run's reader is {}",
                made_from.unwrap_or("an unknown model"),
                self.artifact.id
            ));
        }
        let codec = crate::weights::codec::Codec::default();
        let (model, _, _) = crate::weights::model::restore(self.model, &bytes, &what, &codec)?;
        self.model = model;
        Ok((self, format!("{:x}", sha2::Sha256::digest(&bytes))))
    }

    /// Answers questions (id → answer text).
    pub fn answer(&self, examples: &[QaExample]) -> Result<HashMap<String, String>> {
        self.answer_with(&self.model, examples)
    }

    /// The training articles' examples as the reader's features (what it was trained on).
    pub fn train_features(&self) -> Result<Vec<Features>> {
        let file = crate::data::squad::load(&crate::data::resolve(&self.config.tokenizer.dataset))?;
        let parts = split(&file, self.config.tokenizer.split)?;
        featurize(
            &self.tokenizer,
            &parts.train,
            self.config.max_context,
            MAX_QUESTION,
        )
    }

    /// Answers questions with `model` in place of the trained weights (the same shape, e.g.
    /// restored from a compressed file).
    pub fn answer_with(
        &self,
        model: &Reader,
        examples: &[QaExample],
    ) -> Result<HashMap<String, String>> {
        let features = featurize(
            &self.tokenizer,
            examples,
            self.config.max_context,
            MAX_QUESTION,
        )?;
        Ok(answers(
            model,
            examples,
            &features,
            self.config.train.max_answer_tokens,
        ))
    }
}

fn answers(
    model: &Reader,
    examples: &[QaExample],
    features: &[Features],
    max_answer: usize,
) -> HashMap<String, String> {
    let spans = predict(
        model,
        features,
        64,
        max_answer,
        &crate::models::device_of(model),
    );
    examples
        .iter()
        .zip(features)
        .zip(spans)
        .map(|((ex, f), (s, e))| (ex.id.clone(), span_text(&ex.context, f, s, e)))
        .collect()
}

fn build(
    store: &ArtifactStore,
    config: &ReaderArtifactConfig,
    dir: &Path,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<()> {
    let (_, tokenizer) = super::tokenizer::get(store, &config.tokenizer)?;
    let file = crate::data::squad::load(&crate::data::resolve(&config.tokenizer.dataset))?;
    let parts = split(&file, config.tokenizer.split)?;
    let train_features = featurize(&tokenizer, &parts.train, config.max_context, MAX_QUESTION)?;
    let eval_features = featurize(&tokenizer, &parts.eval, config.max_context, MAX_QUESTION)?;
    let model_config = config.model_config(tokenizer.get_vocab_size(true));
    let (model, history) = train(
        &model_config,
        &config.train,
        &train_features,
        &dir.join("checkpoint"),
        device,
        |model| {
            if parts.eval.is_empty() {
                return Ok((f64::NAN, f64::NAN));
            }
            let predicted = answers(
                model,
                &parts.eval,
                &eval_features,
                config.train.max_answer_tokens,
            );
            let (_, scores) = crate::metrics::qa_eval::evaluate(&parts.eval, &predicted, 1, 0);
            Ok((scores.overall.f1, scores.overall.em))
        },
        |epoch, epochs, f1| {
            progress(epoch, epochs, &format!("epochs, held-out F1 {f1:.1}"));
            println!("epoch {epoch}/{epochs}: held-out F1 {f1:.2}");
        },
    )?;
    super::store::write_trained(dir, model, "history.json", &history)
}

/// The reader artifact for `config`, trained once on `device` and shared through the store.
pub fn get(
    store: &ArtifactStore,
    config: &ReaderArtifactConfig,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Artifact> {
    let value = serde_json::to_value(config)?;
    store.get_or_build("reader", &value, |dir| {
        build(store, config, dir, device, progress)
    })
}

/// The trained reader for `config` on `device` (trained first if the store lacks it).
pub fn load(
    store: &ArtifactStore,
    config: &ReaderArtifactConfig,
    device: &Device,
) -> Result<TrainedReader> {
    let artifact = get(store, config, device, &|_, _, _| {})?;
    let (_, tokenizer) = super::tokenizer::get(store, &config.tokenizer)?;
    let model = config
        .model_config(tokenizer.get_vocab_size(true))
        .init(device)
        .try_load_file(artifact.dir.join("model.bpk"))
        .map_err(|e| {
            artifact.damaged(anyhow!(
                "{}: {e:?}",
                artifact.dir.join("model.bpk").display()
            ))
        })?;
    let history: Vec<EpochRecord> = crate::store::read_json(&artifact.dir.join("history.json"))
        .map_err(|e| artifact.damaged(e))?;
    Ok(TrainedReader {
        artifact,
        tokenizer,
        model,
        history,
        config: config.clone(),
    })
}
