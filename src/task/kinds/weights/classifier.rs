//! The llmlingua2 token classifier as a subject of weight compression. Its quality is the
//! recall of keep labels (oracle labels of the held-out articles) when each sequence keeps its
//! best-scored half, paired per sequence. The evaluation also measures what a user of the
//! classifier sees: the reader's F1 on the evaluation questions with their contexts compressed
//! to half their tokens by the classifier, compressed and original (phase 1 of the
//! prompt-compression study at ratio 0.5).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Result};
use burn::module::Module;
use burn::tensor::Device;
use serde_json::json;

use super::subject::{frequencies, restored, score_with, Evaluation, Part, Quality, Subject};
use crate::artifacts::reader::TrainedReader;
use crate::artifacts::token_classifier::{labelled, ClassifierArtifactConfig, TrainedClassifier};
use crate::artifacts::ArtifactStore;
use crate::data::qa::split_by_article;
use crate::data::qa::QaExample;
use crate::metrics::qa_eval::evaluate;
use crate::models::token_classifier::train::{keep_hits, Labelled};
use crate::models::token_classifier::TokenClassifier;
use crate::prompt::{Algorithm, Scorer};
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::{compress_with, Compressed, RowImportance};

/// Fraction of tokens the downstream measure keeps.
const DOWNSTREAM_RATIO: f64 = 0.5;

/// The trained classifier, its held-out sequences in two parts, and the reader that answers
/// from the contexts it compresses.
pub struct ClassifierSubject {
    classifier: TrainedClassifier,
    validation: Vec<Labelled>,
    evaluation: Vec<Labelled>,
    questions: Vec<QaExample>,
    reader: Option<TrainedReader>,
    training: Vec<QaExample>,
    importance: Vec<RowImportance>,
}

impl ClassifierSubject {
    /// The classifier `config` of `store` (trained first if missing), its held-out articles'
    /// labelled sequences split by article (the first `validation_articles` for validation);
    /// `reader` answers from the contexts it compresses, when given.
    pub fn from_artifact(
        store: &ArtifactStore,
        config: &ClassifierArtifactConfig,
        validation_articles: usize,
        reader: Option<TrainedReader>,
        device: &Device,
    ) -> Result<Self> {
        let classifier = crate::artifacts::token_classifier::load(store, config, device)?;
        let file = crate::data::squad::load(&crate::data::resolve(&config.dataset))?;
        let parts = crate::data::qa::split(&file, config.split)?;
        let (validation, evaluation) =
            split_by_article(parts.eval, |ex| ex.article, validation_articles)?;
        Ok(ClassifierSubject {
            validation: labelled(&validation, &config.model),
            evaluation: labelled(&evaluation, &config.model),
            questions: evaluation,
            classifier,
            reader,
            training: parts.train,
            importance: Vec::new(),
        })
    }

    fn quality(&self, model: &TokenClassifier, part: Part) -> Result<Quality> {
        let sequences = match part {
            Part::Validation => &self.validation,
            Part::Evaluation => &self.evaluation,
        };
        let hits = keep_hits(model, sequences)?;
        let quality = Quality {
            items: hits.iter().map(|h| h.0 as f64).collect(),
            weights: hits.iter().map(|h| h.1 as f64).collect(),
            lower_is_better: false,
        };
        if !quality.value().is_finite() {
            bail!("the classifier's keep-recall is not a number (no keep labels?)");
        }
        Ok(quality)
    }

    /// The reader's mean F1 on the evaluation questions with each context compressed by
    /// `model` to half its tokens.
    fn downstream_f1(&self, reader: &TrainedReader, model: &TokenClassifier) -> Result<f64> {
        let scorer = Scorer::Classifier(model, &self.classifier.config);
        let mut done: HashMap<Arc<str>, Arc<str>> = HashMap::new();
        let mut examples = Vec::with_capacity(self.questions.len());
        for ex in &self.questions {
            let context = match done.get(&ex.context) {
                Some(c) => c.clone(),
                None => {
                    let c = crate::prompt::compress(
                        Algorithm::Llmlingua2,
                        &ex.context,
                        DOWNSTREAM_RATIO,
                        0,
                        scorer,
                        None,
                    )?;
                    let text: Arc<str> = c.text.into();
                    done.insert(ex.context.clone(), text.clone());
                    text
                }
            };
            examples.push(QaExample {
                context,
                ..ex.clone()
            });
        }
        let answers = reader.answer(&examples)?;
        let (records, _) = evaluate(&examples, &answers, 1, 0);
        Ok(records.iter().map(|r| r.f1).sum::<f64>() / records.len().max(1) as f64)
    }
}

impl Subject for ClassifierSubject {
    fn measure(&self) -> &'static str {
        "keep_recall"
    }

    fn artifact(&self) -> &str {
        &self.classifier.artifact.id
    }

    fn parameters(&self) -> usize {
        self.classifier.model.num_params()
    }

    fn sizes(&self) -> (usize, usize) {
        (self.validation.len(), self.evaluation.len())
    }

    fn compress(&self, method: Method, seed: u64, codec: &Codec) -> Result<Compressed> {
        let describe = json!({"kind": "token-classifier", "artifact": self.classifier.artifact.id, "config": self.classifier.config});
        compress_with(
            &self.classifier.model,
            &describe,
            method,
            seed,
            codec,
            &self.importance,
        )
    }

    /// Hash-bucket counts of the training articles' labelled sequences.
    fn weigh_rows(&mut self) -> Result<()> {
        let config = &self.classifier.config;
        let sequences = labelled(&self.training, config);
        let ids = sequences
            .iter()
            .flat_map(|l| l.encoded.ids.iter().map(|&i| i as usize));
        self.importance = vec![frequencies("embed.weight", config.buckets.max(3), ids)];
        Ok(())
    }

    fn score(&self, bytes: Option<&[u8]>, part: Part, codec: &Codec) -> Result<Quality> {
        score_with(&self.classifier.model, bytes, codec, |m| {
            self.quality(m, part)
        })
    }

    fn evaluate(
        &self,
        bytes: &[u8],
        what: &str,
        codec: &Codec,
        _out: Option<&Path>,
    ) -> Result<Evaluation> {
        let (model, decompress_seconds) = restored(&self.classifier.model, bytes, what, codec)?;
        let quality = self.quality(&model, Part::Evaluation)?;
        let original = self.quality(&self.classifier.model, Part::Evaluation)?;
        let (recall, orecall) = (quality.value(), original.value());
        let mut metrics = json!({});
        let mut summary = format!("keep-recall at half {recall:.4} against {orecall:.4}");
        if let Some(reader) = &self.reader {
            let f1 = self.downstream_f1(reader, &model)?;
            let of1 = self.downstream_f1(reader, &self.classifier.model)?;
            metrics["downstream_f1"] = json!(f1);
            metrics["original_downstream_f1"] = json!(of1);
            metrics["downstream_retention"] = json!(f1 / of1);
            summary += &format!("; reader F1 at ratio 0.5 {f1:.2} against {of1:.2}");
        }
        Ok(Evaluation {
            quality,
            original,
            decompress_seconds,
            metrics: crate::task::builtin::object(metrics),
            summary,
        })
    }
}
