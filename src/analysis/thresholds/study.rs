//! The threshold analysis of one experiment: fits, bootstrap, tests, verdict, files.

use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use super::curves::{self, LogLogistic, Segmented};
use super::hypothesis::{self, Cochran, Interaction, Paired};
use super::items::StudyData;
use crate::data::sampling::Rng;
use crate::metrics::intervals::percentile_interval;

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

/// Mean of `items`' scores at each ratio, items drawn by `draw` (indices into `items`).
fn means(study: &StudyData, c: usize, ratios: &[f64], items: &[usize], draw: &[usize]) -> Vec<f64> {
    ratios
        .iter()
        .map(|&r| {
            draw.iter()
                .map(|&k| study.score(c, r, items[k]))
                .sum::<f64>()
                / draw.len() as f64
        })
        .collect()
}

fn estimate(value: Option<f64>, draws: Vec<Option<f64>>) -> Estimate {
    let defined: Vec<f64> = draws.into_iter().flatten().collect();
    Estimate {
        value,
        defined_in: defined.len(),
        ci: percentile_interval(defined),
    }
}

/// Everything fitted to one vector of means.
#[derive(Debug, Clone, Copy)]
struct Fitted {
    ll: Option<LogLogistic>,
    seg: Option<Segmented>,
    /// Retention ratios of the curve, only where they fall inside the swept ratios (a curve
    /// extrapolated beyond the data says nothing reliable there).
    r50: Option<f64>,
    r90: Option<f64>,
    drop: f64,
}

fn fit(ratios: &[f64], y: &[f64]) -> Fitted {
    let ll = curves::fit_log_logistic(ratios, y);
    let (lo, hi) = (
        ratios.first().copied().unwrap_or(0.0),
        ratios.last().copied().unwrap_or(1.0),
    );
    let inside = |fraction: f64| {
        ll.and_then(|l| l.retention_ratio(fraction))
            .filter(|r| *r >= lo && *r <= hi.max(1.0))
    };
    Fitted {
        ll,
        seg: curves::fit_segmented(ratios, y),
        r50: inside(0.5),
        r90: inside(0.9),
        drop: y.last().copied().unwrap_or(f64::NAN) - y.first().copied().unwrap_or(f64::NAN),
    }
}

fn onset(chosen: Option<&str>, f: &Fitted) -> Option<f64> {
    match chosen {
        Some("log_logistic") => f.r90,
        Some("segmented") => f.seg.map(|s| s.breakpoint),
        _ => None,
    }
}

/// The threshold analysis of `items` under condition `c`.
fn thresholds(
    study: &StudyData,
    c: usize,
    items: &[usize],
    opts: &Options,
    seed: u64,
) -> Thresholds {
    let ratios = study.ratios(c);
    let n = items.len();
    let all: Vec<usize> = (0..n).collect();
    let y = if n > 0 {
        means(study, c, &ratios, items, &all)
    } else {
        vec![f64::NAN; ratios.len()]
    };
    let fitted = fit(&ratios, &y);
    let k = ratios.len();
    let aic_ll = fitted.ll.map(|f| curves::aic(f.rss, k, 5));
    let aic_seg = fitted.seg.map(|f| curves::aic(f.rss, k, 5));
    let aic_const = curves::aic(curves::constant_rss(&y), k, 2);
    let chosen = match (aic_ll, aic_seg) {
        (None, None) => None,
        (ll, seg) => {
            let ll = ll.unwrap_or(f64::INFINITY);
            let seg = seg.unwrap_or(f64::INFINITY);
            Some(if aic_const <= ll.min(seg) {
                "constant"
            } else if ll <= seg {
                "log_logistic"
            } else {
                "segmented"
            })
        }
    };
    // Bootstrap: resample questions, redo every fit.
    let draws: Vec<(Vec<f64>, Fitted)> = if n > 1 {
        (0..opts.bootstrap)
            .into_par_iter()
            .map(|b| {
                let mut rng = Rng::new(seed ^ (b as u64).wrapping_mul(0xA24B_AED4_963E_E407));
                let draw: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
                let m = means(study, c, &ratios, items, &draw);
                let f = fit(&ratios, &m);
                (m, f)
            })
            .collect()
    } else {
        Vec::new()
    };
    let points = ratios
        .iter()
        .enumerate()
        .map(|(j, &r)| RatioPoint {
            ratio: r,
            n,
            mean: y[j],
            ci: percentile_interval(draws.iter().map(|d| d.0[j]).collect())
                .unwrap_or((f64::NAN, f64::NAN)),
        })
        .collect();
    let drop = estimate(
        Some(fitted.drop).filter(|v| v.is_finite()),
        draws.iter().map(|d| Some(d.1.drop)).collect(),
    );
    let r50 = estimate(fitted.r50, draws.iter().map(|d| d.1.r50).collect());
    let r90 = estimate(fitted.r90, draws.iter().map(|d| d.1.r90).collect());
    let breakpoint = estimate(
        fitted.seg.map(|s| s.breakpoint),
        draws
            .iter()
            .map(|d| d.1.seg.map(|s| s.breakpoint))
            .collect(),
    );
    let drop_significant = drop.ci.is_some_and(|(lo, _)| lo > 0.0);
    let point_onset = onset(chosen, &fitted);
    let (collapse, finding) = match chosen {
        None => (None, format!("too few ratios to fit a curve ({k}; the segmented line needs 4, the log-logistic 5)")),
        Some("constant") => (Some(false), "no collapse detected: a constant fits better (AIC) than either curve".to_string()),
        Some(model) if point_onset.is_none() => (Some(false), format!("no collapse detected: the {model} fit does not lose 10% of the quality at ratio 1 within the swept ratios")),
        Some(_) if !drop_significant => (Some(false), "no collapse detected: the drop from the largest to the smallest ratio is within its 95% interval of zero".to_string()),
        Some(model) => (Some(true), format!("collapse below r* = {:.3} ({model}, chosen by AIC)", point_onset.unwrap_or(f64::NAN))),
    };
    let star_draws: Vec<Option<f64>> = draws.iter().map(|d| onset(chosen, &d.1)).collect();
    let logs: Vec<f64> = star_draws.iter().flatten().map(|r| r.ln()).collect();
    let log_r_star_se = (collapse == Some(true) && logs.len() > 1).then(|| {
        let m = logs.iter().sum::<f64>() / logs.len() as f64;
        (logs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (logs.len() - 1) as f64).sqrt()
    });
    let r_star = if collapse == Some(true) {
        estimate(point_onset, star_draws)
    } else {
        Estimate {
            value: None,
            ci: None,
            defined_in: 0,
        }
    };
    Thresholds {
        questions: n,
        points,
        log_logistic: fitted.ll,
        segmented: fitted.seg,
        aic: (aic_ll, aic_seg, aic_const),
        chosen: chosen.map(str::to_string),
        collapse,
        finding,
        drop,
        r50,
        r90,
        breakpoint,
        r_star,
        log_r_star_se,
    }
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
    // Homogeneity of ln r* across conditions with a collapse.
    let with_collapse: Vec<&ConditionReport> = conditions
        .iter()
        .filter(|c| c.overall.collapse == Some(true) && c.overall.log_r_star_se.is_some())
        .collect();
    let homogeneity = hypothesis::cochran_q(
        &with_collapse
            .iter()
            .map(|c| c.overall.r_star.value.unwrap_or(f64::NAN).ln())
            .collect::<Vec<_>>(),
        &with_collapse
            .iter()
            .map(|c| c.overall.log_r_star_se.unwrap_or(f64::NAN))
            .collect::<Vec<_>>(),
    );
    let homogeneity_conditions = with_collapse.iter().map(|c| c.condition.clone()).collect();
    // Interaction: mean score over the compressed ratios every condition shares.
    let all: Vec<usize> = (0..study.conditions.len()).collect();
    let mut shared: Vec<f64> = study.ratios(0).into_iter().filter(|&r| r < 1.0).collect();
    for c in &all {
        let mine = study.ratios(*c);
        shared.retain(|r| mine.contains(r));
    }
    let interaction = if all.len() >= 2 && !shared.is_empty() && types.len() >= 2 {
        let items = study.complete_items(&all, &shared, None);
        let scores: Vec<Vec<f64>> = items
            .iter()
            .map(|&i| {
                all.iter()
                    .map(|&c| {
                        shared.iter().map(|&r| study.score(c, r, i)).sum::<f64>()
                            / shared.len() as f64
                    })
                    .collect()
            })
            .collect();
        let labels: Vec<usize> = items
            .iter()
            .map(|&i| types.iter().position(|t| *t == study.types[i]).unwrap_or(0))
            .collect();
        (items.len() > 1).then(|| {
            hypothesis::interaction_permutation(
                &scores,
                &labels,
                opts.permutations,
                opts.seed ^ 0x1A7E,
            )
        })
    } else {
        None
    };
    // Every condition against the reference (random, else the first) at each compressed ratio.
    let mut paired = Vec::new();
    let reference = study
        .algorithms
        .iter()
        .position(|a| a == "random")
        .unwrap_or(0);
    let reference_ratios = study.ratios(reference);
    if all.len() >= 2 {
        for c in all.iter().copied().filter(|&c| c != reference) {
            for r in study
                .ratios(c)
                .into_iter()
                .filter(|&r| r < 1.0 && reference_ratios.contains(&r))
            {
                let items = study.complete_items(&[c, reference], &[r], None);
                let d: Vec<f64> = items
                    .iter()
                    .map(|&i| study.score(c, r, i) - study.score(reference, r, i))
                    .collect();
                let test = hypothesis::paired_permutation(
                    &d,
                    opts.permutations,
                    opts.seed ^ r.to_bits() ^ c as u64,
                );
                paired.push(PairedRow {
                    condition: study.conditions[c].clone(),
                    reference: study.conditions[reference].clone(),
                    ratio: r,
                    test,
                    p_holm: f64::NAN,
                });
            }
        }
    }
    // Holm across the family.
    let mut family: Vec<FamilyTest> = Vec::new();
    if let Some(h) = &homogeneity {
        family.push(FamilyTest {
            test: "homogeneity of ln r* (Cochran's Q)".into(),
            p: h.p,
            p_holm: f64::NAN,
        });
    }
    if let Some(i) = &interaction {
        family.push(FamilyTest {
            test: "algorithm × question type (permutation)".into(),
            p: i.p,
            p_holm: f64::NAN,
        });
    }
    for row in &paired {
        family.push(FamilyTest {
            test: format!(
                "{} vs {} at ratio {} (paired permutation)",
                row.condition, row.reference, row.ratio
            ),
            p: row.test.p,
            p_holm: f64::NAN,
        });
    }
    let adjusted = hypothesis::holm(&family.iter().map(|f| f.p).collect::<Vec<_>>());
    for (f, p) in family.iter_mut().zip(&adjusted) {
        f.p_holm = *p;
    }
    let offset = usize::from(homogeneity.is_some()) + usize::from(interaction.is_some());
    for (row, p) in paired.iter_mut().zip(&adjusted[offset..]) {
        row.p_holm = *p;
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::analysis::thresholds::items::Ratio;

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
