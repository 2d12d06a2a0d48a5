//! Scoring a reader's answers: per-question records (id, question type, prediction, gold
//! answers, F1, EM), means ×100 with 95% bootstrap intervals over questions, and the same per
//! question type.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::squad::score;
use crate::data::qa::QaExample;
use crate::metrics::intervals::bootstrap_interval;

/// One scored question (an entry of sample_predictions.json).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PredictionRecord {
    /// Question id.
    pub id: String,
    /// Question type.
    pub question_type: String,
    /// The question.
    pub question: String,
    /// The reader's answer (None when it gave none).
    pub prediction: Option<String>,
    /// Gold answers.
    pub gold_answers: Vec<String>,
    /// F1 ×100.
    pub f1: f64,
    /// Exact match ×100.
    pub em: f64,
}

/// The mean of one value of each record (0 for none).
pub fn mean_of(records: &[PredictionRecord], value: impl Fn(&PredictionRecord) -> f64) -> f64 {
    records.iter().map(value).sum::<f64>() / records.len().max(1) as f64
}

/// Mean scores of a group of questions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scores {
    /// Questions.
    pub n: usize,
    /// Mean F1 ×100.
    pub f1: f64,
    /// Mean EM ×100.
    pub em: f64,
    /// 95% bootstrap interval of F1.
    pub f1_ci: (f64, f64),
    /// 95% bootstrap interval of EM.
    pub em_ci: (f64, f64),
}

/// Scores of all questions and of each question type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    /// All questions.
    pub overall: Scores,
    /// Per question type.
    pub by_type: BTreeMap<String, Scores>,
}

fn scores(records: &[&PredictionRecord], resamples: usize, seed: u64) -> Scores {
    let f: Vec<f64> = records.iter().map(|r| r.f1).collect();
    let e: Vec<f64> = records.iter().map(|r| r.em).collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    Scores {
        n: records.len(),
        f1: mean(&f),
        em: mean(&e),
        f1_ci: bootstrap_interval(&f, resamples, seed),
        em_ci: bootstrap_interval(&e, resamples, seed),
    }
}

/// Scores predictions (question id → answer) on examples.
pub fn evaluate(
    examples: &[QaExample],
    predictions: &HashMap<String, String>,
    resamples: usize,
    seed: u64,
) -> (Vec<PredictionRecord>, Evaluation) {
    let records: Vec<PredictionRecord> = examples
        .iter()
        .map(|ex| {
            let prediction = predictions.get(&ex.id).cloned();
            let (f1, em) = score(prediction.as_deref(), &ex.answers);
            PredictionRecord {
                id: ex.id.clone(),
                question_type: ex.qtype.name().to_string(),
                question: ex.question.clone(),
                prediction,
                gold_answers: ex.answers.clone(),
                f1: f1 * 100.0,
                em: em * 100.0,
            }
        })
        .collect();
    let all: Vec<&PredictionRecord> = records.iter().collect();
    let mut by_type = BTreeMap::new();
    for t in crate::data::question_type::QuestionType::ALL {
        let group: Vec<&PredictionRecord> = records
            .iter()
            .filter(|r| r.question_type == t.name())
            .collect();
        if !group.is_empty() {
            by_type.insert(t.name().to_string(), scores(&group, resamples, seed));
        }
    }
    let overall = scores(&all, resamples, seed);
    (records, Evaluation { overall, by_type })
}
