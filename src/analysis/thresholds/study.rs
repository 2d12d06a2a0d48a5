//! The threshold analysis of one experiment: fits, bootstrap, tests, verdict, files.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::condition::thresholds;
use super::curves::{LogLogistic, Segmented};
use super::family;
use super::hypothesis::{Cochran, Interaction, Paired};
use super::items::StudyData;

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

/// Fewest questions of a type for its own fits.
const MIN_TYPE_QUESTIONS: usize = 10;

/// Analyses an experiment directory (`paper::thresholds` writes the report's files).
pub fn analyze(dir: &Path, opts: &Options) -> Result<Report> {
    let study = StudyData::load(dir, &opts.metric)?;
    Ok(analyze_study(&study, &dir.display().to_string(), opts))
}

/// The analysis of loaded per-question data.
pub fn analyze_study(study: &StudyData, experiment: &str, opts: &Options) -> Report {
    let conditions = conditions(study, opts);
    let (homogeneity, homogeneity_conditions) = family::homogeneity(&conditions);
    let interaction = family::interaction(study, opts);
    let mut paired = family::paired(study, opts);
    let family = family::holm(&homogeneity, &interaction, &mut paired);
    let mut report = Report {
        experiment: experiment.to_string(),
        options: opts.clone(),
        conditions,
        homogeneity,
        homogeneity_conditions,
        interaction,
        paired,
        family,
        verdict: Vec::new(),
    };
    report.verdict = super::verdict::verdict(&report);
    report
}

/// Every condition's thresholds, overall and per question type.
fn conditions(study: &StudyData, opts: &Options) -> Vec<ConditionReport> {
    let types = study.type_names();
    let mut conditions = Vec::new();
    for c in 0..study.conditions.len() {
        let ratios = study.ratios(c);
        let seed = opts.seed ^ (c as u64 + 1).wrapping_mul(0x9E37_79B9);
        let items = study.complete_items(&[c], &ratios, None);
        let overall = thresholds(study, c, &items, opts, seed);
        let by_type = types
            .iter()
            .filter_map(|t| {
                let items = study.complete_items(&[c], &ratios, Some(t));
                (items.len() >= MIN_TYPE_QUESTIONS)
                    .then(|| (t.clone(), thresholds(study, c, &items, opts, seed)))
            })
            .collect();
        conditions.push(ConditionReport {
            condition: study.conditions[c].clone(),
            algorithm: study.algorithms[c].clone(),
            overall,
            by_type,
        });
    }
    conditions
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::analysis::thresholds::items::Ratio;
    use crate::data::sampling::Rng;

    const RATIOS: [f64; 8] = [0.1, 0.14, 0.2, 0.28, 0.4, 0.55, 0.75, 1.0];

    /// 400 questions of two types, each answered right (100) or wrong (0) with the
    /// probability of a log-logistic curve with midpoint `midpoints[c]` for condition c.
    fn simulated(names: &[&str], midpoints: &[f64]) -> StudyData {
        let n = 400;
        let mut rng = Rng::new(11);
        let mut study = StudyData {
            conditions: names.iter().map(|s| s.to_string()).collect(),
            algorithms: names.iter().map(|s| s.to_string()).collect(),
            items: (0..n).map(|i| format!("q{i}")).collect(),
            types: (0..n)
                .map(|i| if i % 2 == 0 { "what" } else { "who" }.to_string())
                .collect(),
            scores: Vec::new(),
        };
        for &e in midpoints {
            let curve = LogLogistic {
                b: -5.0,
                c: 0.05,
                d: 0.6,
                e,
                rss: 0.0,
            };
            let mut cells = BTreeMap::new();
            for &r in &RATIOS {
                let p = curve.at(r);
                let cell: BTreeMap<usize, f64> = (0..n)
                    .map(|i| {
                        (
                            i,
                            if (rng.below(1_000_000) as f64) < p * 1e6 {
                                100.0
                            } else {
                                0.0
                            },
                        )
                    })
                    .collect();
                cells.insert(Ratio::of(r), cell);
            }
            study.scores.push(cells);
        }
        study
    }

    fn options() -> Options {
        Options {
            bootstrap: 300,
            permutations: 500,
            ..Options::default()
        }
    }

    #[test]
    fn finds_the_collapse_and_tells_equal_from_different_thresholds() {
        let same = analyze_study(
            &simulated(&["random", "learned"], &[0.25, 0.25]),
            "sim",
            &options(),
        );
        for c in &same.conditions {
            assert_eq!(c.overall.collapse, Some(true), "{}", c.overall.finding);
            let (lo, hi) = c.overall.r_star.ci.unwrap();
            assert!(lo < hi && lo > 0.1 && hi < 1.0, "{:?}", c.overall.r_star);
            assert_eq!(c.by_type.len(), 2);
        }
        let h = same.homogeneity.as_ref().unwrap();
        assert!(h.p > 0.01, "same curves, Q = {} p = {}", h.q, h.p);
        assert!(same.verdict[0].contains("accepted"), "{:?}", same.verdict);

        let apart = analyze_study(
            &simulated(&["random", "learned"], &[0.45, 0.12]),
            "sim",
            &options(),
        );
        let h = apart.homogeneity.as_ref().unwrap();
        assert!(
            h.p < 0.001 && h.i2 > 0.9,
            "Q = {} p = {} I² = {}",
            h.q,
            h.p,
            h.i2
        );
        assert!(apart.verdict[0].contains("rejected"), "{:?}", apart.verdict);
        // The learned condition keeps quality at lower ratios: better than random there.
        let at = |r: f64| apart.paired.iter().find(|row| row.ratio == r).unwrap();
        assert!(
            at(0.2).test.mean_difference > 10.0 && at(0.2).p_holm < 0.05,
            "{:?}",
            at(0.2)
        );
        assert_eq!(apart.paired.len(), 7);
        assert_eq!(
            apart.family.len(),
            9,
            "Q, interaction and seven paired tests"
        );
    }

    #[test]
    fn a_flat_curve_shows_no_collapse() {
        let flat = analyze_study(&simulated(&["random"], &[1e-4]), "sim", &options());
        let t = &flat.conditions[0].overall;
        assert_eq!(t.collapse, Some(false), "{t:?}");
        assert!(
            t.finding.starts_with("no collapse detected"),
            "{}",
            t.finding
        );
        assert!(flat.homogeneity.is_none());
    }
}
