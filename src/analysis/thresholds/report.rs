//! What a threshold analysis reports (report.json): its options, each condition's fitted
//! thresholds with bootstrap intervals, the tests across conditions and the verdict.

use serde::Serialize;

use super::curves::{LogLogistic, Segmented};
use super::hypothesis::{Cochran, Interaction, Paired};

/// Analysis settings.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// `f1` or `em`.
    pub metric: String,
    /// Bootstrap resamples of questions.
    pub bootstrap: usize,
    /// Permutations of the permutation tests.
    pub permutations: usize,
    /// Significance level of the verdicts (after Holm's correction).
    pub alpha: f64,
    /// Seed of the resampling.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            metric: "f1".into(),
            bootstrap: 2000,
            permutations: 10_000,
            alpha: 0.05,
            seed: 0,
        }
    }
}

/// Mean score at one ratio.
#[derive(Debug, Clone, Serialize)]
pub struct RatioPoint {
    /// Ratio kept.
    pub ratio: f64,
    /// Questions.
    pub n: usize,
    /// Mean score.
    pub mean: f64,
    /// 95% bootstrap interval of the mean.
    pub ci: (f64, f64),
}

/// A bootstrap estimate: the point value, its 95% percentile interval, and how many
/// resamples defined it.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// From the data.
    pub value: Option<f64>,
    /// 2.5% and 97.5% percentiles over the resamples that defined it.
    pub ci: Option<(f64, f64)>,
    /// Resamples in which it was defined.
    pub defined_in: usize,
}

/// The threshold analysis of one group of questions under one condition.
#[derive(Debug, Clone, Serialize)]
pub struct Thresholds {
    /// Questions scored at every ratio.
    pub questions: usize,
    /// Mean score per ratio.
    pub points: Vec<RatioPoint>,
    /// The log-logistic fit (5 ratios or more).
    pub log_logistic: Option<LogLogistic>,
    /// The segmented fit (4 ratios or more).
    pub segmented: Option<Segmented>,
    /// AIC of the log-logistic, segmented and constant models.
    pub aic: (Option<f64>, Option<f64>, f64),
    /// `log_logistic`, `segmented` or `constant`; None when too few ratios to fit.
    pub chosen: Option<String>,
    /// Whether a collapse was detected (None: too few ratios to tell).
    pub collapse: Option<bool>,
    /// Why, in words.
    pub finding: String,
    /// Largest-ratio mean minus smallest-ratio mean.
    pub drop: Estimate,
    /// Ratio keeping 50% of the quality at ratio 1 (log-logistic).
    pub r50: Estimate,
    /// Ratio keeping 90% of the quality at ratio 1 (log-logistic).
    pub r90: Estimate,
    /// Segmented breakpoint.
    pub breakpoint: Estimate,
    /// The onset of collapse of the chosen model (r90 or breakpoint), when a collapse is seen.
    pub r_star: Estimate,
    /// Bootstrap standard error of ln r*.
    pub log_r_star_se: Option<f64>,
}

/// One condition: overall and per question type.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionReport {
    /// Condition name.
    pub condition: String,
    /// Its algorithm.
    pub algorithm: String,
    /// All its questions.
    pub overall: Thresholds,
    /// Per question type (types with at least 10 questions).
    pub by_type: Vec<(String, Thresholds)>,
}

/// One condition against the reference condition at one ratio.
#[derive(Debug, Clone, Serialize)]
pub struct PairedRow {
    /// The compared condition.
    pub condition: String,
    /// The reference: `random` when the study has it, else the first condition.
    pub reference: String,
    /// Ratio.
    pub ratio: f64,
    /// The test (mean difference condition − reference).
    pub test: Paired,
    /// Holm-adjusted p.
    pub p_holm: f64,
}

/// One entry of the Holm family.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyTest {
    /// What it tests.
    pub test: String,
    /// Raw p.
    pub p: f64,
    /// Holm-adjusted p.
    pub p_holm: f64,
}

/// The whole analysis (report.json).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Experiment directory.
    pub experiment: String,
    /// Settings.
    pub options: Options,
    /// Per condition.
    pub conditions: Vec<ConditionReport>,
    /// Cochran's Q on ln r* of the conditions with a collapse.
    pub homogeneity: Option<Cochran>,
    /// Conditions entering the homogeneity test.
    pub homogeneity_conditions: Vec<String>,
    /// Algorithm × question type.
    pub interaction: Option<Interaction>,
    /// Every other condition against the reference (`random`, else the first condition) at
    /// each compressed ratio.
    pub paired: Vec<PairedRow>,
    /// Every test of the family with its Holm-adjusted p.
    pub family: Vec<FamilyTest>,
    /// Plain-language conclusions.
    pub verdict: Vec<String>,
}
