//! Confidence intervals of a mean: Student's t for few seeds, percentile bootstrap on request.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// How intervals are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CiMethod {
    /// mean ± t(0.975, n−1) · s/√n.
    T,
    /// Percentile bootstrap of the mean with this many resamples (seeded).
    Bootstrap(usize),
}

/// Summary of a metric's values in one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricStats {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n−1); NaN for one value.
    pub std: f64,
    /// 95% interval (NaN bounds when it cannot be computed, e.g. one value).
    pub ci: (f64, f64),
}

impl MetricStats {
    /// Half the interval's width (NaN when undefined).
    pub fn half_width(&self) -> f64 {
        (self.ci.1 - self.ci.0) / 2.0
    }
}

/// Student-t 95% interval of the mean from n, mean and sample standard deviation.
pub fn t_interval(n: usize, mean: f64, std: f64) -> (f64, f64) {
    if n < 2 || !std.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(f64::NAN);
    let half = t * std / (n as f64).sqrt();
    (mean - half, mean + half)
}

/// Percentile bootstrap 95% interval of the mean (deterministic for a given seed).
pub fn bootstrap_interval(values: &[f64], resamples: usize, seed: u64) -> (f64, f64) {
    if values.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let n = values.len();
    let mut means: Vec<f64> = (0..resamples.max(1))
        .map(|_| {
            (0..n)
                .map(|_| values[(next() % n as u64) as usize])
                .sum::<f64>()
                / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * (means.len() - 1) as f64).round() as usize).min(means.len() - 1)];
    (at(0.025), at(0.975))
}

/// Percentile bootstrap 95% interval of mean(`num`) / mean(`den`), resampling the pairs
/// (the same questions under two systems) together (deterministic for a given seed).
pub fn paired_ratio_interval(num: &[f64], den: &[f64], resamples: usize, seed: u64) -> (f64, f64) {
    let n = num.len().min(den.len());
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = crate::data::sampling::Rng::new(seed);
    let ratios: Vec<f64> = (0..resamples.max(1))
        .map(|_| {
            let (mut a, mut b) = (0.0, 0.0);
            for _ in 0..n {
                let i = rng.below(n);
                a += num[i];
                b += den[i];
            }
            a / b
        })
        .collect();
    percentile_interval(ratios).unwrap_or((f64::NAN, f64::NAN))
}

/// Percentile bootstrap 95% interval of (Σ`a` − Σ`b`) / Σ`weights`, resampling the items
/// (the same items under two systems, e.g. bits per block of text over its characters)
/// together (deterministic for a given seed).
pub fn paired_difference_interval(
    a: &[f64],
    b: &[f64],
    weights: &[f64],
    resamples: usize,
    seed: u64,
) -> (f64, f64) {
    let n = a.len().min(b.len()).min(weights.len());
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = crate::data::sampling::Rng::new(seed);
    let differences: Vec<f64> = (0..resamples.max(1))
        .map(|_| {
            let (mut d, mut w) = (0.0, 0.0);
            for _ in 0..n {
                let i = rng.below(n);
                d += a[i] - b[i];
                w += weights[i];
            }
            d / w
        })
        .collect();
    percentile_interval(differences).unwrap_or((f64::NAN, f64::NAN))
}

/// The 2.5% and 97.5% percentiles (linear interpolation) of bootstrap estimates, ignoring
/// the non-finite ones; None with fewer than two.
pub fn percentile_interval(mut estimates: Vec<f64>) -> Option<(f64, f64)> {
    estimates.retain(|x| x.is_finite());
    if estimates.len() < 2 {
        return None;
    }
    estimates.sort_by(f64::total_cmp);
    let v = &estimates;
    let at = |q: f64| {
        let pos = q * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    Some((at(0.025), at(0.975)))
}

/// Statistics of values, with the interval by `method`.
pub fn summarize(values: &[f64], method: CiMethod) -> MetricStats {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n.max(1) as f64;
    let std = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let ci = match method {
        CiMethod::T => t_interval(n, mean, std),
        CiMethod::Bootstrap(b) => bootstrap_interval(values, b, 0),
    };
    MetricStats { n, mean, std, ci }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paired_difference_is_per_weight_and_resamples_the_pairs_together() {
        // Each item adds 0.1 per unit weight: every resample's difference is 0.1.
        let (b, w) = ([10.0, 20.0, 5.0], [10.0, 40.0, 20.0]);
        let a: Vec<f64> = b.iter().zip(&w).map(|(b, w)| b + 0.1 * w).collect();
        let (lo, hi) = paired_difference_interval(&a, &b, &w, 300, 3);
        assert!(
            (lo - 0.1).abs() < 1e-12 && (hi - 0.1).abs() < 1e-12,
            "{lo} {hi}"
        );
        // Unequal gains give an interval around the pooled difference.
        let a = [11.0, 20.0, 9.0];
        let (lo, hi) = paired_difference_interval(&a, &b, &w, 2000, 3);
        assert!(lo < 5.0 / 70.0 && 5.0 / 70.0 < hi && lo >= 0.0, "{lo} {hi}");
    }

    #[test]
    fn t_interval_matches_hand_computation() {
        // values 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302653, half = 4.302653 / sqrt(3).
        let s = summarize(&[1.0, 2.0, 3.0], CiMethod::T);
        assert!((s.mean - 2.0).abs() < 1e-12);
        assert!((s.std - 1.0).abs() < 1e-12);
        assert!(
            (s.half_width() - 4.302652729911275 / 3f64.sqrt()).abs() < 1e-9,
            "{s:?}"
        );
        assert!(summarize(&[5.0], CiMethod::T).ci.0.is_nan());
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_mean() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        let a = bootstrap_interval(&v, 2000, 7);
        assert_eq!(a, bootstrap_interval(&v, 2000, 7));
        assert!(a.0 < 4.0 && a.1 > 4.0 && a.0 >= 1.0 && a.1 <= 10.0, "{a:?}");
    }
}
