//! The threshold analysis of one experiment: every condition's fits ([`super::condition`]),
//! the tests across conditions ([`super::family`]) and the verdict, as a [`Report`].

use std::path::Path;

use super::condition::thresholds;
use super::family;
use super::items::StudyData;
pub use super::report::{
    ConditionReport, Estimate, FamilyTest, Options, PairedRow, RatioPoint, Report, Thresholds,
};
use anyhow::Result;

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
    use crate::analysis::thresholds::curves::LogLogistic;
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
