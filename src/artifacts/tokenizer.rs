//! Tokenizer artifacts: a BPE or WordPiece tokenizer (`models::tokenizer`) trained on the
//! training split's contexts and questions (never the evaluation articles), saved as a standard
//! `tokenizer.json`.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

pub use crate::models::tokenizer::TokenizerModel;

use super::store::{Artifact, ArtifactStore};
use crate::data::qa::{split, SplitSpec};

/// What a tokenizer artifact is built from (its identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenizerConfig {
    /// SQuAD-format data set (name or path).
    pub dataset: String,
    /// The article split whose training side it learns from.
    pub split: SplitSpec,
    /// `bpe` or `wordpiece`.
    pub model: TokenizerModel,
    /// Target vocabulary size.
    pub vocab_size: usize,
    /// Least count of a merge / word piece.
    pub min_frequency: u64,
    /// The trainer's version (`models::tokenizer::TRAINER_VERSION`).
    pub trainer: u32,
}

/// The training texts: contexts (once each) and questions of the training articles.
pub fn training_texts(config: &TokenizerConfig) -> Result<Vec<String>> {
    let file = crate::data::squad::load(&crate::data::resolve(&config.dataset))?;
    let parts = split(&file, config.split)?;
    let mut texts: Vec<String> = Vec::new();
    let mut last: Option<&str> = None;
    for ex in &parts.train {
        if last != Some(&*ex.context) {
            texts.push(ex.context.to_string());
            last = Some(&ex.context);
        }
        texts.push(ex.question.clone());
    }
    Ok(texts)
}

/// Trains a tokenizer into `dir/tokenizer.json`.
pub fn train(config: &TokenizerConfig, dir: &Path) -> Result<()> {
    let texts = training_texts(config)?;
    crate::models::tokenizer::train_bert(
        config.model,
        config.vocab_size,
        config.min_frequency,
        &texts,
        &dir.join("tokenizer.json"),
    )
}

/// The tokenizer for `config`, trained once and shared through the store.
pub fn get(store: &ArtifactStore, config: &TokenizerConfig) -> Result<(Artifact, Tokenizer)> {
    let value = serde_json::to_value(config)?;
    let artifact = store.get_or_build("tokenizer", &value, |dir| train(config, dir))?;
    let tokenizer = crate::models::tokenizer::load(&artifact.dir.join("tokenizer.json"))
        .map_err(|e| artifact.damaged(e))?;
    Ok((artifact, tokenizer))
}
