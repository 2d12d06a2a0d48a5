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
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::store::{Artifact, ArtifactStore};
use crate::data::qa::SplitSpec;
use crate::data::texts::TextSource;
use crate::models::lm::train::{pretrain, CurvePoint, PretrainConfig, Pretraining};
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
    /// What the corpus is made of, in order.
    pub corpus: Vec<CorpusSource>,
    /// Training settings.
    pub train: PretrainConfig,
    /// Tokenizer-level model: the vocabulary size of a byte-level BPE tokenizer trained on the
    /// corpus first (the model then predicts its tokens; absent: bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer_vocab: Option<usize>,
    /// The tokenizer trainer's version (`models::tokenizer::TRAINER_VERSION`) of a
    /// tokenizer-level model (absent for byte-level models, whose identity it does not touch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer_trainer: Option<u32>,
}

impl LmArtifactConfig {
    /// The model's shape for a vocabulary of `vocab` symbols.
    pub fn model_config(&self, vocab: usize) -> LmConfig {
        LmConfig {
            vocab,
            ..self.model.clone()
        }
    }
}

/// A pretrained model ready to code.
pub struct PretrainedLm {
    /// The artifact.
    pub artifact: Artifact,
    /// The model.
    pub model: LanguageModel,
    /// Its training curve.
    pub curve: Vec<CurvePoint>,
    /// Size of its weights file (and tokenizer) in bytes.
    pub file_bytes: u64,
    /// Hash of its weights file (and tokenizer), which compressed files record.
    pub hash: [u8; 16],
    /// The tokenizer of a tokenizer-level model.
    pub tokenizer: Option<tokenizers::Tokenizer>,
}

impl PretrainedLm {
    /// The reference the coder takes.
    pub fn model_ref(&self) -> crate::codecs::learned::ModelRef<'_> {
        crate::codecs::learned::ModelRef {
            model: &self.model,
            hash: self.hash,
            tokenizer: self.tokenizer.as_ref(),
        }
    }
}

/// A part of a language model's training corpus.
#[derive(Debug, Clone, PartialEq)]
pub enum CorpusSource {
    /// A data set name or a path (a file, every file of a directory, SQuAD contexts, ...).
    Texts(String),
    /// The contexts of the training articles of a SQuAD-format split (so a model for prompt
    /// compression never sees the evaluation articles).
    SplitTrain {
        /// The data set.
        dataset: String,
        /// Its split.
        split: SplitSpec,
    },
}

/// The stored form of a split's training side (part of existing artifact ids).
const SPLIT_TRAIN: &str = "split-train:";

impl CorpusSource {
    /// The form artifact.json stores: the name, or `split-train:DATASET:SEED:TRAIN:EVAL`.
    pub fn stored(&self) -> String {
        match self {
            CorpusSource::Texts(name) => name.clone(),
            CorpusSource::SplitTrain { dataset, split } => format!(
                "{SPLIT_TRAIN}{dataset}:{}:{}:{}",
                split.seed, split.train_articles, split.eval_articles
            ),
        }
    }

    /// Reads the stored form back.
    pub fn from_stored(text: &str) -> Result<CorpusSource, String> {
        let Some(rest) = text.strip_prefix(SPLIT_TRAIN) else {
            return Ok(CorpusSource::Texts(text.to_string()));
        };
        let parts: Vec<&str> = rest.rsplitn(4, ':').collect();
        let [eval, train, seed, dataset] = parts[..] else {
            return Err(format!(
                "corpus entry `{text}`: expected {SPLIT_TRAIN}DATASET:SEED:TRAIN:EVAL"
            ));
        };
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("corpus entry `{text}`: `{v}` is not a number"))
        };
        Ok(CorpusSource::SplitTrain {
            dataset: dataset.to_string(),
            split: SplitSpec {
                seed: number(seed)?,
                train_articles: number(train)? as usize,
                eval_articles: number(eval)? as usize,
            },
        })
    }

    /// Its texts, in order (CRLF files as LF, see `codecs::learned::strip_cr`; a split's
    /// contexts once each).
    fn texts(&self) -> Result<Vec<Vec<u8>>> {
        match self {
            CorpusSource::Texts(name) => {
                let source = TextSource::path(crate::data::resolve(name));
                Ok(crate::data::texts::load(&source)?
                    .into_iter()
                    .map(|t| crate::codecs::learned::strip_cr(&t.bytes).unwrap_or(t.bytes))
                    .collect())
            }
            CorpusSource::SplitTrain { dataset, split } => {
                let file = crate::data::squad::load(&crate::data::resolve(dataset))?;
                let parts = crate::data::qa::split(&file, *split)?;
                let mut out: Vec<Vec<u8>> = Vec::new();
                let mut last: Option<&str> = None;
                for ex in &parts.train {
                    if last != Some(&*ex.context) {
                        out.push(ex.context.as_bytes().to_vec());
                        last = Some(&ex.context);
                    }
                }
                Ok(out)
            }
        }
    }
}

impl Serialize for CorpusSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.stored())
    }
}

impl<'de> Deserialize<'de> for CorpusSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CorpusSource::from_stored(&text).map_err(serde::de::Error::custom)
    }
}

/// The training and held-out corpora (one 4 KiB block in fifty held out; the last tenth for a
/// corpus of fewer than fifty blocks).
pub fn corpus(sources: &[CorpusSource]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut all = Vec::new();
    for source in sources {
        for text in source.texts()? {
            all.extend_from_slice(&text);
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
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<()> {
    config.model.validate().map_err(anyhow::Error::msg)?;
    let (train, heldout) = corpus(&config.corpus)?;
    let (model_config, train, heldout) = match config.tokenizer_vocab {
        None => {
            let symbols = |b: &[u8]| b.iter().map(|&x| u32::from(x)).collect::<Vec<u32>>();
            (config.model.clone(), symbols(&train), symbols(&heldout))
        }
        Some(vocab) => {
            let path = dir.join("tokenizer.json");
            if !path.is_file() {
                let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                let docs: Vec<String> = train.split(|&b| b == b'\n').map(lossy).collect();
                crate::models::tokenizer::train_byte_level(&docs, vocab, &path)?;
            }
            let tokenizer = crate::models::tokenizer::load(&path)?;
            let ids = |b: &[u8]| -> Result<Vec<u32>> {
                let text = String::from_utf8_lossy(b);
                Ok(tokenizer
                    .encode(&*text, false)
                    .map_err(|e| anyhow::anyhow!("tokenizing the corpus: {e}"))?
                    .get_ids()
                    .to_vec())
            };
            let model = config.model_config(tokenizer.get_vocab_size(false));
            (model, ids(&train)?, ids(&heldout)?)
        }
    };
    model_config.validate().map_err(anyhow::Error::msg)?;
    println!(
        "pretraining a {} ({} hidden, {} layers, {} symbols) on {} symbols, {} held out",
        model_config.arch.name(),
        model_config.hidden,
        model_config.layers,
        model_config.vocab,
        train.len(),
        heldout.len()
    );
    let eval_every = (config.train.steps / 20).clamp(1, 250);
    let job = Pretraining {
        config: &model_config,
        train: &config.train,
        corpus: &train,
        heldout: &heldout,
        checkpoint_dir: &dir.join("checkpoint"),
        eval_every,
        device,
    };
    let (model, curve) = pretrain(&job, |step, steps, bpc| {
        progress(step, steps, &format!("steps, held-out {bpc:.3} bpc"));
        println!("step {step}/{steps}: held-out {bpc:.4} bpc");
    })?;
    super::store::write_trained(dir, model, "curve.json", &curve)
}

/// The artifact for `config`, trained once on `device` and shared through the store.
pub fn get(
    store: &ArtifactStore,
    config: &LmArtifactConfig,
    device: &Device,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Artifact> {
    let value = serde_json::to_value(config)?;
    store.get_or_build("lm", &value, |dir| build(config, dir, device, progress))
}

/// The pretrained model for `config` on `device` (trained first if the store lacks it).
pub fn load(
    store: &ArtifactStore,
    config: &LmArtifactConfig,
    device: &Device,
) -> Result<PretrainedLm> {
    let artifact = get(store, config, device, &|_, _, _| {})?;
    open(artifact, config, device)
}

/// A pretrained model from its artifact directory, on `device`.
pub fn open(
    artifact: Artifact,
    config: &LmArtifactConfig,
    device: &Device,
) -> Result<PretrainedLm> {
    let read = || -> Result<PretrainedLm> {
        let path = artifact.dir.join("model.bpk");
        // The files a compressed file depends on: the weights, and the tokenizer if any.
        let mut hashed =
            std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let tokenizer = match config.tokenizer_vocab {
            None => None,
            Some(_) => {
                let tpath = artifact.dir.join("tokenizer.json");
                hashed.extend(
                    std::fs::read(&tpath)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", tpath.display()))?,
                );
                Some(crate::models::tokenizer::load(&tpath)?)
            }
        };
        let vocab = tokenizer
            .as_ref()
            .map_or(crate::models::lm::BYTES, |t| t.get_vocab_size(false));
        Ok(PretrainedLm {
            model: crate::models::lm::train::load(&config.model_config(vocab), &path, device)?,
            curve: crate::store::read_json(&artifact.dir.join("curve.json"))?,
            artifact: artifact.clone(),
            file_bytes: hashed.len() as u64,
            hash: crate::codecs::learned::file_hash(&hashed),
            tokenizer,
        })
    };
    read().map_err(|e| artifact.damaged(e))
}

/// Opens a pretrained model from an artifact directory, or an `lm-...` id in `store`; returns
/// it with its config.
pub fn find(
    store: &ArtifactStore,
    reference: &str,
    device: &Device,
) -> Result<(LmArtifactConfig, PretrainedLm)> {
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
    let info: super::store::ArtifactInfo = crate::store::read_json(&dir.join("artifact.json"))?;
    if info.kind != "lm" {
        anyhow::bail!(
            "{} is a {} artifact, not a language model",
            dir.display(),
            info.kind
        );
    }
    let config: LmArtifactConfig = serde_json::from_value(info.config)?;
    let id = dir.file_name().map_or_else(
        || reference.to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let artifact = Artifact {
        id,
        dir,
        built_now: false,
    };
    let model = open(artifact, &config, device)?;
    Ok((config, model))
}
