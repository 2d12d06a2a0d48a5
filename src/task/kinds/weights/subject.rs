//! What weight compression is measured on: a trained model (an artifact) and its own quality
//! measure on two disjoint parts of the held-out articles. Settings are chosen on the
//! validation part (the first `validation_articles` held-out articles); the reported figures
//! come from the evaluation part (the rest), which no choice ever looks at. Every compressed
//! model is written to its file and read back before it is measured.
//!
//! The subjects: the extractive reader (F1), the byte-level language model of prompt
//! compression (bits per character), the llmlingua2 token classifier (keep-recall) and the
//! soft-compression teacher (F1 of its generated answers).

use std::path::Path;

use anyhow::Result;
use burn::module::Module;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::metrics::intervals::paired_ratio_interval;
use crate::metrics::qa_eval::PredictionRecord;
use crate::task::params::value::{choice_param, Choice};
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::{restore, Compressed, RowImportance};

/// The trained model a run compresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// The extractive QA reader (`qa-reader`'s neural reader): F1.
    Reader,
    /// The byte-level GRU of prompt compression, trained on the training articles: bits per
    /// character on the held-out articles' text, and the lm-codec's file size.
    Lm,
    /// The llmlingua2 token classifier: recall of keep labels when half the tokens are kept.
    Classifier,
    /// The soft-compression teacher (its default shape): F1 of its answers from the whole
    /// encoding of the held-out windows.
    Teacher,
}

impl Choice for SubjectKind {
    const WHAT: &'static str = "subjects";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("reader", SubjectKind::Reader),
            ("lm", SubjectKind::Lm),
            ("classifier", SubjectKind::Classifier),
            ("teacher", SubjectKind::Teacher),
        ]
    }
}

choice_param!(SubjectKind);

/// A part of the held-out articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Where settings are chosen.
    Validation,
    /// Where results are reported.
    Evaluation,
}

/// A model's quality on one part, item by item (questions, blocks of text, sequences): the
/// measure is Σ `items` / Σ `weights` (F1 per question over questions; bits per block over
/// characters; keep labels found over keep labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// Per item, what the measure sums.
    pub items: Vec<f64>,
    /// Per item, what it is divided by.
    pub weights: Vec<f64>,
    /// Whether less is better (bits).
    pub lower_is_better: bool,
}

impl Quality {
    /// A measure where more is better, one item per unit weight.
    pub fn per_item(items: Vec<f64>) -> Quality {
        let weights = vec![1.0; items.len()];
        Quality {
            items,
            weights,
            lower_is_better: false,
        }
    }

    /// F1 per question (more is better).
    pub fn f1s(records: &[PredictionRecord]) -> Quality {
        Quality::per_item(records.iter().map(|r| r.f1).collect())
    }

    /// The measure.
    pub fn value(&self) -> f64 {
        self.items.iter().sum::<f64>() / self.weights.iter().sum::<f64>()
    }

    /// The fraction of `original`'s quality this keeps (≤ 1 when worse): compressed /
    /// original, or original / compressed where less is better.
    pub fn retention(&self, original: &Quality) -> f64 {
        if self.lower_is_better {
            original.value() / self.value()
        } else {
            self.value() / original.value()
        }
    }

    /// Paired bootstrap interval of [`Quality::retention`] (the same items resampled under
    /// both models; their weights are the same, so the ratio of sums is the ratio of measures).
    pub fn retention_interval(
        &self,
        original: &Quality,
        resamples: usize,
        seed: u64,
    ) -> (f64, f64) {
        if self.lower_is_better {
            paired_ratio_interval(&original.items, &self.items, resamples, seed)
        } else {
            paired_ratio_interval(&self.items, &original.items, resamples, seed)
        }
    }
}

/// The evaluation of a compressed model read back from its file.
pub struct Evaluation {
    /// The compressed model's quality on the evaluation part.
    pub quality: Quality,
    /// The original's, on the same items.
    pub original: Quality,
    /// Seconds to restore the model from the file.
    pub decompress_seconds: f64,
    /// The subject's own figures (F1 and EM; bpc and the lm-codec's sizes; ...).
    pub metrics: Map<String, Value>,
    /// One line for the log.
    pub summary: String,
}

/// A trained model that weight compression can measure.
pub trait Subject {
    /// The name of its quality measure in the run's metrics (`f1`, `bpc`, `keep_recall`).
    fn measure(&self) -> &'static str;

    /// Its artifact id.
    fn artifact(&self) -> &str;

    /// Its parameters.
    fn parameters(&self) -> usize;

    /// Items (questions, characters, keep labels) in the validation and evaluation parts.
    fn sizes(&self) -> (usize, usize);

    /// Its weights compressed with `method`.
    fn compress(&self, method: Method, seed: u64, codec: &Codec) -> Result<Compressed>;

    /// The quality on `part` of the model in `bytes` (a compressed file), or of the original.
    fn score(&self, bytes: Option<&[u8]>, part: Part, codec: &Codec) -> Result<Quality>;

    /// From now on, vector quantisation weights the rows of the embedding table by how often
    /// the training data uses each (a token's, a byte's or a hash bucket's count, plus one).
    fn weigh_rows(&mut self) -> Result<()>;

    /// Quantisation-aware fine-tuning for the ternary method (`epochs` at `learning_rate`);
    /// the seconds it took.
    fn finetune_ternary(&mut self, _epochs: usize, _learning_rate: f64, _seed: u64) -> Result<f64> {
        anyhow::bail!("quantisation-aware fine-tuning is built for the reader only")
    }

    /// The model in `bytes` (read from `what`) measured on the evaluation part, with its own
    /// figures; its predictions go into `out` when given.
    fn evaluate(
        &self,
        bytes: &[u8],
        what: &str,
        codec: &Codec,
        out: Option<&Path>,
    ) -> Result<Evaluation>;
}

/// The importance of an embedding table's rows from `ids` of the training data: each id's
/// count plus one, for `rows` rows (ids past them ignored).
pub fn frequencies(suffix: &str, rows: usize, ids: impl Iterator<Item = usize>) -> RowImportance {
    let mut counts = vec![1.0f32; rows];
    for id in ids {
        if let Some(c) = counts.get_mut(id) {
            *c += 1.0;
        }
    }
    RowImportance {
        suffix: suffix.to_string(),
        rows: counts,
    }
}

/// A model of `original`'s shape with the weights of a compressed file's `bytes` (`what`
/// names the file in errors), and the seconds reading them took.
pub fn restored<M: Module>(
    original: &M,
    bytes: &[u8],
    what: &str,
    codec: &Codec,
) -> Result<(M, f64)> {
    let (model, _, seconds) = restore(original.clone(), bytes, what, codec)?;
    Ok((model, seconds))
}

/// `quality` of the model in `bytes` (read back into `original`'s shape), or of `original`
/// itself when there are none.
pub fn score_with<M: Module>(
    original: &M,
    bytes: Option<&[u8]>,
    codec: &Codec,
    quality: impl Fn(&M) -> Result<Quality>,
) -> Result<Quality> {
    match bytes {
        Some(bytes) => quality(&restored(original, bytes, "candidate", codec)?.0),
        None => quality(original),
    }
}

/// The ternary method's starting weights: the fine-tuned ones when there are.
pub fn start_for<'a, M>(tuned: &'a Option<M>, original: &'a M, method: Method) -> &'a M {
    match (tuned, method) {
        (Some(t), Method::Ternary) => t,
        _ => original,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_compressed_over_original_or_its_inverse_where_less_is_better() {
        let f1 = |v: Vec<f64>| Quality::per_item(v);
        assert!((f1(vec![30.0, 10.0]).retention(&f1(vec![40.0, 40.0])) - 0.5).abs() < 1e-12);
        let bits = |items: Vec<f64>| Quality {
            items,
            weights: vec![100.0, 300.0],
            lower_is_better: true,
        };
        let (compressed, original) = (bits(vec![250.0, 750.0]), bits(vec![200.0, 600.0]));
        assert!((compressed.value() - 2.5).abs() < 1e-12);
        assert!((compressed.retention(&original) - 0.8).abs() < 1e-12);
        // Both blocks lost the same fraction: every resample gives the same ratio.
        let (lo, hi) = compressed.retention_interval(&original, 200, 1);
        assert!(
            (lo - 0.8).abs() < 1e-12 && (hi - 0.8).abs() < 1e-12,
            "{lo} {hi}"
        );
    }
}
