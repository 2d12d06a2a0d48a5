//! Soft-compression teacher artifacts: the encoder–decoder of `models::soft::teacher` trained on
//! the training articles' context windows (answers and span reconstruction), shared by every
//! run of a soft-compression study. Built with it, since they follow from the weights: the
//! teacher's greedy answers to every training question (the distillation targets) and to every
//! held-out question (the uncompressed reference each run's retention divides by).
//!
//! ```text
//! <store>/soft-teacher-<hash>/model.bpk            weights
//! <store>/soft-teacher-<hash>/greedy_train.json    its answers (token ids) per training window
//! <store>/soft-teacher-<hash>/greedy_eval.json     its answers (token ids) per held-out window
//! <store>/soft-teacher-<hash>/history.json         per epoch: losses, windows/s, seconds
//! ```

use std::path::Path;

use anyhow::{anyhow, Result};
use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use super::store::{Artifact, ArtifactStore};
use super::tokenizer::TokenizerConfig;
use crate::data::qa::split;
use crate::data::windows::Window;
use crate::models::soft::teacher::{Teacher, TeacherConfig};
use crate::models::soft::text;
use crate::models::soft::train::{answer, train_teacher, EncodedWindow, TeacherTraining};

/// Version of the soft-compression models' code; part of the artifact's identity.
pub const SOFT_CODE_VERSION: u32 = 5;

/// Longest decoder sequence of the teacher (question, separator, answer, separator).
pub const MAX_DECODER: usize = 80;

/// What a teacher is built from (its identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeacherArtifactConfig {
    /// [`SOFT_CODE_VERSION`] when it was built.
    pub code_version: u32,
    /// Its tokenizer (also the data set and the article split).
    pub tokenizer: TokenizerConfig,
    /// Tokens per context window.
    pub window_tokens: usize,
    /// Layer width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Encoder layers.
    pub encoder_layers: usize,
    /// Decoder layers.
    pub decoder_layers: usize,
    /// Dropout of the layers while training (absent: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropout: f64,
    /// Training settings.
    pub training: TeacherTraining,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl TeacherArtifactConfig {
    /// The model's shape for a vocabulary of `vocab` tokens.
    pub fn model(&self, vocab: usize) -> TeacherConfig {
        TeacherConfig::new(
            vocab,
            self.d_model,
            self.heads,
            self.encoder_layers,
            self.decoder_layers,
            self.window_tokens,
            MAX_DECODER,
        )
        .with_dropout(self.dropout)
    }
}

/// The split's windows, as text and as token ids.
pub struct SplitWindows {
    /// Training windows.
    pub train: Vec<Window>,
    /// Held-out windows.
    pub eval: Vec<Window>,
    /// Training windows encoded.
    pub train_ids: Vec<EncodedWindow>,
    /// Held-out windows encoded.
    pub eval_ids: Vec<EncodedWindow>,
}

/// The windows of `config`'s split, packed and encoded with `tokenizer`.
pub fn split_windows(
    config: &TeacherArtifactConfig,
    tokenizer: &Tokenizer,
) -> Result<SplitWindows> {
    let file = crate::data::squad::load(&crate::data::resolve(&config.tokenizer.dataset))?;
    let parts = split(&file, config.tokenizer.split)?;
    let train = text::windows(tokenizer, &parts.train, config.window_tokens);
    let eval = text::windows(tokenizer, &parts.eval, config.window_tokens);
    Ok(SplitWindows {
        train_ids: text::encode(tokenizer, &train)?,
        eval_ids: text::encode(tokenizer, &eval)?,
        train,
        eval,
    })
}

/// A trained teacher ready to use.
pub struct TrainedTeacher {
    /// The artifact.
    pub artifact: Artifact,
    /// Its tokenizer.
    pub tokenizer: Tokenizer,
    /// The model (on the device it was loaded to).
    pub model: Teacher,
    /// Its greedy answers per training window and question.
    pub greedy_train: Vec<Vec<Vec<u32>>>,
    /// Its greedy answers per held-out window and question.
    pub greedy_eval: Vec<Vec<Vec<u32>>>,
}

fn build(
    store: &ArtifactStore,
    config: &TeacherArtifactConfig,
    dir: &Path,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<()> {
    let (_, tokenizer) = super::tokenizer::get(store, &config.tokenizer)?;
    let windows = split_windows(config, &tokenizer)?;
    let model_config = config.model(tokenizer.get_vocab_size(true));
    model_config.validate().map_err(anyhow::Error::msg)?;
    let (model, history) = train_teacher(
        &model_config,
        &config.training,
        &windows.train_ids,
        &dir.join("checkpoint"),
        device,
        |epoch, epochs, loss| {
            progress(epoch, epochs, &format!("teacher epochs, loss {loss:.3}"));
            println!("teacher epoch {epoch}/{epochs}: loss {loss:.3}");
        },
    )?;
    let inference = model.valid();
    let full = |_: &_, h| (h, None);
    let greedy = |w: &[EncodedWindow]| {
        answer(
            &inference,
            w,
            config.window_tokens,
            config.training.max_answer,
            4,
            &full,
        )
    };
    crate::store::atomic::write_json(&dir.join("greedy_train.json"), &greedy(&windows.train_ids))?;
    crate::store::atomic::write_json(&dir.join("greedy_eval.json"), &greedy(&windows.eval_ids))?;
    super::store::write_trained(dir, model, "history.json", &history)
}

/// The teacher for `config`, built (trained) first if the store lacks it.
pub fn get(
    store: &ArtifactStore,
    config: &TeacherArtifactConfig,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Artifact> {
    let value = serde_json::to_value(config)?;
    store.get_or_build("soft-teacher", &value, |dir| {
        build(store, config, dir, device, progress)
    })
}

/// The trained teacher on `device` (trained first if the store lacks it).
pub fn load(
    store: &ArtifactStore,
    config: &TeacherArtifactConfig,
    device: &Device,
) -> Result<TrainedTeacher> {
    let artifact = get(store, config, device, &|_, _, _| {})?;
    let (_, tokenizer) = super::tokenizer::get(store, &config.tokenizer)?;
    let weights = artifact.dir.join("model.bpk");
    let model = config
        .model(tokenizer.get_vocab_size(true))
        .init(device)
        .try_load_file(&weights)
        .map_err(|e| artifact.damaged(anyhow!("{}: {e:?}", weights.display())))?;
    let read = |name: &str| {
        crate::store::read_json::<Vec<Vec<Vec<u32>>>>(&artifact.dir.join(name))
            .map_err(|e| artifact.damaged(e))
    };
    Ok(TrainedTeacher {
        greedy_train: read("greedy_train.json")?,
        greedy_eval: read("greedy_eval.json")?,
        artifact,
        tokenizer,
        model,
    })
}
