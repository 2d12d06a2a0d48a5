//! What weight compression is measured on: a trained reader (an artifact) and its task metric
//! on two disjoint parts of the held-out articles. Settings are chosen on the validation part
//! (the first `validation_articles` held-out articles); the reported figures come from the
//! evaluation part (the rest), which no choice ever looks at. Every compressed model is
//! written to its file and read back before it answers.

use anyhow::Result;
use burn::module::Module;
use burn::tensor::Device;
use serde_json::{json, Value};

use super::qa_reader::ReaderParams;
use crate::artifacts::reader::{ReaderArtifactConfig, TrainedReader};
use crate::artifacts::ArtifactStore;
use crate::data::qa::QaExample;
use crate::metrics::intervals::paired_ratio_interval;
use crate::metrics::qa_eval::{evaluate, PredictionRecord};
use crate::models::reader::model::Reader;
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::{compress, restore, Compressed};

/// A part of the held-out questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Where settings are chosen.
    Validation,
    /// Where results are reported.
    Evaluation,
}

/// A reader's answers to one part, scored per question.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Per question: id, prediction, F1 and EM (×100).
    pub records: Vec<PredictionRecord>,
}

impl Scored {
    fn column(&self, f: impl Fn(&PredictionRecord) -> f64) -> Vec<f64> {
        self.records.iter().map(f).collect()
    }

    /// Mean F1 (%).
    pub fn f1(&self) -> f64 {
        mean(&self.column(|r| r.f1))
    }

    /// Mean EM (%).
    pub fn em(&self) -> f64 {
        mean(&self.column(|r| r.em))
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// How a compressed model compares with the original on the same questions.
#[derive(Debug, Clone)]
pub struct Retention {
    /// F1 compressed / F1 original.
    pub f1: f64,
    /// Paired bootstrap interval of `f1`.
    pub f1_ci: (f64, f64),
    /// EM compressed / EM original.
    pub em: f64,
    /// Fraction of questions answered with the identical text.
    pub same_answer: f64,
}

/// Retention of `compressed` against `original` (same questions, same order).
pub fn retention(compressed: &Scored, original: &Scored, resamples: usize, seed: u64) -> Retention {
    let same = compressed
        .records
        .iter()
        .zip(&original.records)
        .filter(|(a, b)| a.prediction == b.prediction)
        .count();
    Retention {
        f1: compressed.f1() / original.f1(),
        f1_ci: paired_ratio_interval(
            &compressed.column(|r| r.f1),
            &original.column(|r| r.f1),
            resamples,
            seed,
        ),
        em: compressed.em() / original.em(),
        same_answer: same as f64 / compressed.records.len().max(1) as f64,
    }
}

/// The trained reader and its two held-out parts.
pub struct ReaderSubject {
    reader: TrainedReader,
    /// The weights the ternary method starts from when they were fine-tuned for it.
    ternary_start: Option<Reader>,
    validation: Vec<QaExample>,
    evaluation: Vec<QaExample>,
}

impl ReaderSubject {
    /// The reader of `p` (trained first if the store lacks it) with the held-out questions
    /// split by article: the first `validation_articles` for validation, the rest for
    /// evaluation.
    pub fn load(
        p: &ReaderParams,
        seed: u64,
        validation_articles: usize,
        device: &Device,
    ) -> Result<Self> {
        let store = ArtifactStore::default_location();
        Self::from_artifact(&store, &p.artifact(seed), validation_articles, device)
    }

    /// The reader artifact `config` of `store` (trained first if missing), its held-out
    /// questions split as [`ReaderSubject::load`] does.
    pub fn from_artifact(
        store: &ArtifactStore,
        config: &ReaderArtifactConfig,
        validation_articles: usize,
        device: &Device,
    ) -> Result<Self> {
        let reader = crate::artifacts::reader::load(store, config, device)?;
        let file = crate::data::squad::load(&crate::data::resolve(&config.tokenizer.dataset))?;
        let parts = crate::data::qa::split(&file, config.tokenizer.split)?;
        let mut articles: Vec<usize> = Vec::new();
        for ex in &parts.eval {
            if !articles.contains(&ex.article) {
                articles.push(ex.article);
            }
        }
        if articles.len() <= validation_articles {
            anyhow::bail!(
                "validation_articles = {validation_articles} leaves no evaluation article ({} held out)",
                articles.len()
            );
        }
        let chosen = &articles[..validation_articles];
        let (validation, evaluation) = parts
            .eval
            .into_iter()
            .partition(|ex| chosen.contains(&ex.article));
        Ok(ReaderSubject {
            reader,
            ternary_start: None,
            validation,
            evaluation,
        })
    }

    /// What the compressed file's header says the model is.
    pub fn describe(&self) -> Value {
        json!({"kind": "reader", "artifact": self.reader.artifact.id, "config": self.reader.config})
    }

    /// The trained reader's weights compressed with `method` (ternary: from the fine-tuned
    /// weights when [`ReaderSubject::finetune_ternary`] made them).
    pub fn compress(&self, method: Method, seed: u64, codec: &Codec) -> Result<Compressed> {
        let model = match (&self.ternary_start, method) {
            (Some(tuned), Method::Ternary) => tuned,
            _ => &self.reader.model,
        };
        compress(model, &self.describe(), method, seed, codec)
    }

    /// Quantisation-aware fine-tuning for the ternary method: `epochs` over the reader's own
    /// training articles with the forward pass through the ternary weights (straight-through
    /// estimator), at `learning_rate`; the ternary method then starts from the result.
    /// Returns the seconds it took.
    pub fn finetune_ternary(
        &mut self,
        epochs: usize,
        learning_rate: f64,
        seed: u64,
    ) -> Result<f64> {
        let started = std::time::Instant::now();
        let features = self.reader.train_features()?;
        let tuned = crate::models::reader::train::finetune(
            &self.reader.model,
            &features,
            epochs,
            learning_rate,
            seed,
            crate::weights::qat::ternary_view,
        )?;
        let device = crate::models::device_of(&self.reader.model);
        self.ternary_start = Some(tuned.valid().fork(&device));
        Ok(started.elapsed().as_secs_f64())
    }

    /// The reader restored from a compressed file's `bytes`, and the seconds it took.
    pub fn restore(&self, bytes: &[u8], what: &str, codec: &Codec) -> Result<(Reader, f64)> {
        let (model, _, seconds) = restore(self.reader.model.clone(), bytes, what, codec)?;
        Ok((model, seconds))
    }

    /// The trained (uncompressed) reader.
    pub fn original(&self) -> &Reader {
        &self.reader.model
    }

    /// Parameters of the reader.
    pub fn parameters(&self) -> usize {
        self.reader.model.num_params()
    }

    /// `model`'s answers to `part`, scored.
    pub fn score(&self, model: &Reader, part: Part) -> Result<Scored> {
        let examples = match part {
            Part::Validation => &self.validation,
            Part::Evaluation => &self.evaluation,
        };
        let answers = self.reader.answer_with(model, examples)?;
        let (records, _) = evaluate(examples, &answers, 1, 0);
        Ok(Scored { records })
    }

    /// Questions in each part (validation, evaluation).
    pub fn sizes(&self) -> (usize, usize) {
        (self.validation.len(), self.evaluation.len())
    }

    /// The reader's artifact id.
    pub fn artifact(&self) -> &str {
        &self.reader.artifact.id
    }
}
