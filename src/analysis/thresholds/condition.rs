//! One condition's threshold analysis: the mean score at each ratio, the log-logistic and
//! segmented fits and AIC's choice, the item bootstrap (questions resampled, every fit redone)
//! and the onset of collapse r* with its interval.

use rayon::prelude::*;

use super::curves::{self, LogLogistic, Segmented};
use super::items::StudyData;
use super::report::{Estimate, Options, RatioPoint, Thresholds};
use crate::data::sampling::Rng;
use crate::metrics::intervals::percentile_interval;

/// Mean of `items`' scores at each ratio, items drawn by `draw` (indices into `items`).
pub fn means(
    study: &StudyData,
    c: usize,
    ratios: &[f64],
    items: &[usize],
    draw: &[usize],
) -> Vec<f64> {
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

pub fn estimate(value: Option<f64>, draws: Vec<Option<f64>>) -> Estimate {
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

/// AICs of the log-logistic, segmented and constant models.
type Aics = (Option<f64>, Option<f64>, f64);

/// AIC's choice among the log-logistic curve, the segmented line and a constant (None when
/// too few ratios to fit either curve), with the three AICs.
fn choose(fitted: &Fitted, y: &[f64]) -> (Option<&'static str>, Aics) {
    let k = y.len();
    let aic_ll = fitted.ll.map(|f| curves::aic(f.rss, k, 5));
    let aic_seg = fitted.seg.map(|f| curves::aic(f.rss, k, 5));
    let aic_const = curves::aic(curves::constant_rss(y), k, 2);
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
    (chosen, (aic_ll, aic_seg, aic_const))
}

/// The bootstrap: questions resampled, every fit redone; (means, fits) per resample.
fn draws(
    study: &StudyData,
    c: usize,
    ratios: &[f64],
    items: &[usize],
    opts: &Options,
    seed: u64,
) -> Vec<(Vec<f64>, Fitted)> {
    let n = items.len();
    if n <= 1 {
        return Vec::new();
    }
    (0..opts.bootstrap)
        .into_par_iter()
        .map(|b| {
            let mut rng = Rng::new(seed ^ (b as u64).wrapping_mul(0xA24B_AED4_963E_E407));
            let draw: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
            let m = means(study, c, ratios, items, &draw);
            let f = fit(ratios, &m);
            (m, f)
        })
        .collect()
}

/// Whether quality collapses, and why in words.
fn finding(
    chosen: Option<&str>,
    onset: Option<f64>,
    drop_significant: bool,
    ratios: usize,
) -> (Option<bool>, String) {
    match chosen {
        None => (None, format!("too few ratios to fit a curve ({ratios}; the segmented line needs 4, the log-logistic 5)")),
        Some("constant") => (Some(false), "no collapse detected: a constant fits better (AIC) than either curve".to_string()),
        Some(model) if onset.is_none() => (Some(false), format!("no collapse detected: the {model} fit does not lose 10% of the quality at ratio 1 within the swept ratios")),
        Some(_) if !drop_significant => (Some(false), "no collapse detected: the drop from the largest to the smallest ratio is within its 95% interval of zero".to_string()),
        Some(model) => (Some(true), format!("collapse below r* = {:.3} ({model}, chosen by AIC)", onset.unwrap_or(f64::NAN))),
    }
}

/// r* and the standard error of ln r* over the resamples (only when a collapse is seen).
fn r_star(
    collapse: Option<bool>,
    onset: Option<f64>,
    star_draws: Vec<Option<f64>>,
) -> (Estimate, Option<f64>) {
    if collapse != Some(true) {
        return (
            Estimate {
                value: None,
                ci: None,
                defined_in: 0,
            },
            None,
        );
    }
    let logs: Vec<f64> = star_draws.iter().flatten().map(|r| r.ln()).collect();
    let se = (logs.len() > 1).then(|| {
        let m = logs.iter().sum::<f64>() / logs.len() as f64;
        (logs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (logs.len() - 1) as f64).sqrt()
    });
    (estimate(onset, star_draws), se)
}

/// The threshold analysis of `items` under condition `c`.
pub fn thresholds(
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
    let (chosen, aic) = choose(&fitted, &y);
    let draws = draws(study, c, &ratios, items, opts, seed);
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
    let over = |f: &dyn Fn(&Fitted) -> Option<f64>| -> Vec<Option<f64>> {
        draws.iter().map(|d| f(&d.1)).collect()
    };
    let drop = estimate(
        Some(fitted.drop).filter(|v| v.is_finite()),
        over(&|f| Some(f.drop)),
    );
    let point_onset = onset(chosen, &fitted);
    let drop_significant = drop.ci.is_some_and(|(lo, _)| lo > 0.0);
    let (collapse, finding) = finding(chosen, point_onset, drop_significant, ratios.len());
    let (r_star, log_r_star_se) = r_star(collapse, point_onset, over(&|f| onset(chosen, f)));
    Thresholds {
        questions: n,
        points,
        log_logistic: fitted.ll,
        segmented: fitted.seg,
        aic,
        chosen: chosen.map(str::to_string),
        collapse,
        finding,
        drop,
        r50: estimate(fitted.r50, over(&|f| f.r50)),
        r90: estimate(fitted.r90, over(&|f| f.r90)),
        breakpoint: estimate(
            fitted.seg.map(|s| s.breakpoint),
            over(&|f| f.seg.map(|s| s.breakpoint)),
        ),
        r_star,
        log_r_star_se,
    }
}
