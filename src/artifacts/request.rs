//! What a run asks the store for: an artifact kind with its own config (its identity), and
//! the build that makes it.

use anyhow::Result;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::{Artifact, ArtifactStore};
use super::{lm, reader, soft_teacher, token_classifier, tokenizer};

/// An artifact a run needs: its kind with its own config (its identity). Serialized as
/// `{"kind": "...", "config": {...}}`, the form artifact builds and artifact.json record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "config", rename_all = "kebab-case")]
pub enum ArtifactRequest {
    /// A BPE or WordPiece tokenizer.
    Tokenizer(tokenizer::TokenizerConfig),
    /// A trained neural reader.
    Reader(reader::ReaderArtifactConfig),
    /// A pretrained language model.
    Lm(lm::LmArtifactConfig),
    /// A token classifier (LLMLingua-2-style compression).
    TokenClassifier(token_classifier::ClassifierArtifactConfig),
    /// The encoder–decoder teacher of soft context compression.
    SoftTeacher(soft_teacher::TeacherArtifactConfig),
}

impl ArtifactRequest {
    /// The kind's name, the prefix of its ids.
    pub fn kind(&self) -> &'static str {
        match self {
            ArtifactRequest::Tokenizer(_) => "tokenizer",
            ArtifactRequest::Reader(_) => "reader",
            ArtifactRequest::Lm(_) => "lm",
            ArtifactRequest::TokenClassifier(_) => "token-classifier",
            ArtifactRequest::SoftTeacher(_) => "soft-teacher",
        }
    }

    /// The config as JSON (what the id hashes).
    pub fn config_json(&self) -> Value {
        let config = match self {
            ArtifactRequest::Tokenizer(c) => serde_json::to_value(c),
            ArtifactRequest::Reader(c) => serde_json::to_value(c),
            ArtifactRequest::Lm(c) => serde_json::to_value(c),
            ArtifactRequest::TokenClassifier(c) => serde_json::to_value(c),
            ArtifactRequest::SoftTeacher(c) => serde_json::to_value(c),
        };
        config.unwrap_or_default()
    }

    /// The artifact's id.
    pub fn id(&self) -> String {
        ArtifactStore::id(self.kind(), &self.config_json())
    }
}

/// Builds (or finds) the artifact a request names on `device`; `progress` hears of long
/// builds' steps.
pub fn build(
    store: &ArtifactStore,
    request: &ArtifactRequest,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Artifact> {
    match request {
        ArtifactRequest::Tokenizer(config) => Ok(tokenizer::get(store, config)?.0),
        ArtifactRequest::Reader(config) => reader::get(store, config, device, progress),
        ArtifactRequest::Lm(config) => lm::get(store, config, device, progress),
        ArtifactRequest::TokenClassifier(config) => {
            token_classifier::get(store, config, device, progress)
        }
        ArtifactRequest::SoftTeacher(config) => soft_teacher::get(store, config, device, progress),
    }
}
