//! The extractive reader as a subject of weight compression: F1 on the held-out articles'
//! questions, with EM and the fraction of identical answers beside it.

use std::path::Path;

use anyhow::Result;
use burn::module::Module;
use burn::tensor::Device;
use serde_json::json;

use super::subject::{
    frequencies, restored, score_with, start_for, Evaluation, Part, Quality, Subject,
};
use crate::artifacts::reader::{ReaderArtifactConfig, TrainedReader};
use crate::artifacts::ArtifactStore;
use crate::data::qa::split_by_article;
use crate::data::qa::QaExample;
use crate::metrics::qa_eval::{evaluate, mean_of, PredictionRecord};
use crate::models::reader::model::Reader;
use crate::task::kinds::qa_reader::ReaderParams;
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::{compress_with, Compressed, RowImportance};

/// The trained reader and its two held-out parts.
pub struct ReaderSubject {
    reader: TrainedReader,
    /// The weights the ternary method starts from when they were fine-tuned for it.
    ternary_start: Option<Reader>,
    validation: Vec<QaExample>,
    evaluation: Vec<QaExample>,
    importance: Vec<RowImportance>,
}

impl ReaderSubject {
    /// The reader of `p` (trained first if the store lacks it), its held-out questions split
    /// by article.
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
        let (validation, evaluation) =
            split_by_article(parts.eval, |ex| ex.article, validation_articles)?;
        Ok(ReaderSubject {
            reader,
            ternary_start: None,
            validation,
            evaluation,
            importance: Vec::new(),
        })
    }

    /// The trained (uncompressed) reader.
    pub fn original(&self) -> &Reader {
        &self.reader.model
    }

    /// `model`'s answers to `part`, scored per question.
    pub fn answers(&self, model: &Reader, part: Part) -> Result<Vec<PredictionRecord>> {
        let examples = match part {
            Part::Validation => &self.validation,
            Part::Evaluation => &self.evaluation,
        };
        let answers = self.reader.answer_with(model, examples)?;
        Ok(evaluate(examples, &answers, 1, 0).0)
    }
}

impl Subject for ReaderSubject {
    fn measure(&self) -> &'static str {
        "f1"
    }

    fn artifact(&self) -> &str {
        &self.reader.artifact.id
    }

    fn parameters(&self) -> usize {
        self.reader.model.num_params()
    }

    fn sizes(&self) -> (usize, usize) {
        (self.validation.len(), self.evaluation.len())
    }

    /// The trained reader's weights (ternary: the fine-tuned ones when there are).
    fn compress(&self, method: Method, seed: u64, codec: &Codec) -> Result<Compressed> {
        let model = start_for(&self.ternary_start, &self.reader.model, method);
        let describe = json!({"kind": "reader", "artifact": self.reader.artifact.id, "config": self.reader.config});
        compress_with(model, &describe, method, seed, codec, &self.importance)
    }

    /// Token counts of the reader's training articles (contexts and questions).
    fn weigh_rows(&mut self) -> Result<()> {
        let features = self.reader.train_features()?;
        let ids = features
            .iter()
            .flat_map(|f| f.context.iter().chain(&f.question))
            .map(|&t| t as usize);
        let rows = self.reader.tokenizer.get_vocab_size(true);
        self.importance = vec![frequencies("embed.weight", rows, ids)];
        Ok(())
    }

    fn score(&self, bytes: Option<&[u8]>, part: Part, codec: &Codec) -> Result<Quality> {
        score_with(&self.reader.model, bytes, codec, |m| {
            let quality = Quality::f1s(&self.answers(m, part)?);
            if !quality.value().is_finite() {
                anyhow::bail!("the reader's F1 is not a number");
            }
            Ok(quality)
        })
    }

    /// Fine-tunes on the reader's own training articles with the forward pass through the
    /// ternary weights (straight-through estimator).
    fn finetune_ternary(&mut self, epochs: usize, learning_rate: f64, seed: u64) -> Result<f64> {
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

    fn evaluate(
        &self,
        bytes: &[u8],
        what: &str,
        codec: &Codec,
        out: Option<&Path>,
    ) -> Result<Evaluation> {
        let (model, decompress_seconds) = restored(&self.reader.model, bytes, what, codec)?;
        let original = self.answers(&self.reader.model, Part::Evaluation)?;
        let scored = self.answers(&model, Part::Evaluation)?;
        let same = scored
            .iter()
            .zip(&original)
            .filter(|(a, b)| a.prediction == b.prediction)
            .count();
        let (f1, em) = (mean_of(&scored, |r| r.f1), mean_of(&scored, |r| r.em));
        let (of1, oem) = (mean_of(&original, |r| r.f1), mean_of(&original, |r| r.em));
        let same_answer = same as f64 / scored.len().max(1) as f64;
        if let Some(out) = out {
            let text = serde_json::to_vec_pretty(&scored)?;
            crate::store::atomic::write_atomic(&out.join("sample_predictions.json"), &text)?;
        }
        let metrics = json!({
            "em": em, "original_em": oem, "em_retention": em / oem, "same_answer": same_answer,
        });
        Ok(Evaluation {
            quality: Quality::f1s(&scored),
            original: Quality::f1s(&original),
            decompress_seconds,
            metrics: crate::task::builtin::object(metrics),
            summary: format!("F1 {f1:.2} of {of1:.2}, identical answers {same_answer:.3}"),
        })
    }
}
