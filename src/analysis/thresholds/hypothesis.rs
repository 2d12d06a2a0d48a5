//! The study's hypothesis tests: Cochran's Q with I² for homogeneity of thresholds, a
//! permutation test of the algorithm × question-type interaction, paired sign-flip permutation
//! tests of per-question scores, and Holm's step-down correction.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::data::sampling::Rng;

/// Cochran's Q of estimates with standard errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cochran {
    /// Q statistic.
    pub q: f64,
    /// Degrees of freedom (estimates − 1).
    pub df: usize,
    /// p-value from χ²(df).
    pub p: f64,
    /// I² = max(0, (Q − df) / Q), the share of variation beyond chance.
    pub i2: f64,
    /// Inverse-variance weighted mean.
    pub pooled: f64,
}

/// Cochran's Q of `estimates` with standard errors `se`; None with fewer than two usable
/// estimates (finite, positive error).
pub fn cochran_q(estimates: &[f64], se: &[f64]) -> Option<Cochran> {
    let pairs: Vec<(f64, f64)> = estimates
        .iter()
        .zip(se)
        .filter(|(t, s)| t.is_finite() && s.is_finite() && **s > 0.0)
        .map(|(&t, &s)| (t, 1.0 / (s * s)))
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let wsum: f64 = pairs.iter().map(|p| p.1).sum();
    let pooled = pairs.iter().map(|(t, w)| t * w).sum::<f64>() / wsum;
    let q: f64 = pairs.iter().map(|(t, w)| w * (t - pooled).powi(2)).sum();
    let df = pairs.len() - 1;
    let p = ChiSquared::new(df as f64).map_or(f64::NAN, |chi| chi.sf(q));
    let i2 = if q > 0.0 {
        ((q - df as f64) / q).max(0.0)
    } else {
        0.0
    };
    Some(Cochran {
        q,
        df,
        p,
        i2,
        pooled,
    })
}

/// Holm's step-down adjusted p-values, in the input order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// A paired permutation test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paired {
    /// Pairs.
    pub n: usize,
    /// Mean difference (first − second).
    pub mean_difference: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Random sign flips drawn (0: all 2ⁿ were enumerated).
    pub permutations: usize,
}

/// Two-sided paired test of mean(d) = 0 by flipping the signs of the differences: exact (all
/// 2ⁿ sign patterns) when n ≤ 16, else `permutations` random patterns with
/// p = (1 + #{|T*| ≥ |T|}) / (1 + B).
pub fn paired_permutation(differences: &[f64], permutations: usize, seed: u64) -> Paired {
    let n = differences.len();
    let observed: f64 = differences.iter().sum::<f64>();
    let tolerance = 1e-9 * (1.0 + observed.abs());
    let mean_difference = observed / n.max(1) as f64;
    if n == 0 {
        return Paired {
            n,
            mean_difference: f64::NAN,
            p: f64::NAN,
            permutations: 0,
        };
    }
    if n <= 16 {
        let total = 1u32 << n;
        let extreme = (0..total)
            .filter(|mask| {
                let t: f64 = differences
                    .iter()
                    .enumerate()
                    .map(|(i, d)| if mask >> i & 1 == 1 { -d } else { *d })
                    .sum();
                t.abs() >= observed.abs() - tolerance
            })
            .count();
        return Paired {
            n,
            mean_difference,
            p: extreme as f64 / f64::from(total),
            permutations: 0,
        };
    }
    let mut rng = Rng::new(seed);
    let mut extreme = 0usize;
    for _ in 0..permutations {
        let mut t = 0.0;
        let mut bits = 0u64;
        for (i, d) in differences.iter().enumerate() {
            if i % 64 == 0 {
                bits = rng.next_u64();
            }
            t += if bits >> (i % 64) & 1 == 1 { -d } else { *d };
        }
        if t.abs() >= observed.abs() - tolerance {
            extreme += 1;
        }
    }
    Paired {
        n,
        mean_difference,
        p: (1 + extreme) as f64 / (1 + permutations) as f64,
        permutations,
    }
}

/// The interaction test's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interaction {
    /// Items (questions present for every algorithm).
    pub n: usize,
    /// Between-type sum of squares of the within-item centred profiles.
    pub statistic: f64,
    /// p = (1 + #{T* ≥ T}) / (1 + B).
    pub p: f64,
    /// Permutations drawn.
    pub permutations: usize,
}

/// Algorithm × type interaction: `scores[i][a]` is item i's summary under algorithm a and
/// `types[i]` its type. Each item's profile is centred on its own mean (removing the item's
/// main effect, and with it the type's), the statistic is the between-type sum of squares of
/// the centred profiles, Σ_t n_t Σ_a (mean of t's centred scores under a)², and its null
/// distribution comes from permuting the type labels across items: under no interaction the
/// centred profiles do not depend on the type.
pub fn interaction_permutation(
    scores: &[Vec<f64>],
    types: &[usize],
    permutations: usize,
    seed: u64,
) -> Interaction {
    let centred: Vec<Vec<f64>> = scores
        .iter()
        .map(|s| {
            let m = s.iter().sum::<f64>() / s.len().max(1) as f64;
            s.iter().map(|v| v - m).collect()
        })
        .collect();
    let k = types.iter().copied().max().map_or(0, |m| m + 1);
    let a = scores.first().map_or(0, Vec::len);
    let statistic = |labels: &[usize]| {
        let mut sums = vec![vec![0.0; a]; k];
        let mut counts = vec![0usize; k];
        for (profile, &t) in centred.iter().zip(labels) {
            counts[t] += 1;
            for (s, v) in sums[t].iter_mut().zip(profile) {
                *s += v;
            }
        }
        (0..k)
            .filter(|&t| counts[t] > 0)
            .map(|t| sums[t].iter().map(|s| s * s).sum::<f64>() / counts[t] as f64)
            .sum::<f64>()
    };
    let observed = statistic(types);
    let mut rng = Rng::new(seed);
    let mut labels = types.to_vec();
    let mut extreme = 0usize;
    for _ in 0..permutations {
        rng.shuffle(&mut labels);
        if statistic(&labels) >= observed - 1e-9 * (1.0 + observed.abs()) {
            extreme += 1;
        }
    }
    Interaction {
        n: scores.len(),
        statistic: observed,
        p: (1 + extreme) as f64 / (1 + permutations) as f64,
        permutations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cochran_q_matches_a_hand_computation() {
        // Weights 1, 4, 1; pooled (0 + 4·1 + 2) / 6 = 1; Q = 1 + 0 + 1 = 2 on 2 df.
        let c = cochran_q(&[0.0, 1.0, 2.0], &[1.0, 0.5, 1.0]).unwrap();
        assert!((c.pooled - 1.0).abs() < 1e-12);
        assert!((c.q - 2.0).abs() < 1e-12);
        assert!(
            (c.p - (-1.0f64).exp()).abs() < 1e-12,
            "χ²(2) survival at 2 is e⁻¹"
        );
        assert_eq!(c.i2, 0.0);
        let wide = cochran_q(&[0.0, 10.0], &[1.0, 1.0]).unwrap();
        assert!((wide.i2 - 49.0 / 50.0).abs() < 1e-12);
        assert!(cochran_q(&[1.0], &[1.0]).is_none());
    }

    #[test]
    fn holm_steps_down_and_stays_monotone() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.5]);
        assert_eq!(adj, vec![0.04, 0.09, 0.09, 0.5]);
    }

    #[test]
    fn paired_test_is_exact_for_small_samples_and_detects_shifts() {
        // Four positive differences: only the all-positive and all-negative patterns are as
        // extreme, p = 2/16.
        let p = paired_permutation(&[1.0, 2.0, 3.0, 4.0], 0, 1);
        assert_eq!((p.p, p.permutations), (0.125, 0));
        let shifted: Vec<f64> = (0..200).map(|i| 1.0 + f64::from(i % 7) - 3.0).collect();
        assert!(paired_permutation(&shifted, 2000, 1).p < 0.01);
        let centred: Vec<f64> = (0..200).map(|i| f64::from(i % 7) - 3.0).collect();
        assert!(paired_permutation(&centred, 2000, 1).p > 0.5);
    }

    #[test]
    fn interaction_detects_a_type_specific_profile() {
        // Type 1 items gain from algorithm 0 only: an interaction.
        let mut rng = Rng::new(5);
        let mut noise = || (rng.below(1000) as f64 / 1000.0 - 0.5) * 0.2;
        let scores: Vec<Vec<f64>> = (0..60)
            .map(|i| {
                let base = f64::from(i % 5);
                let bump = if i % 2 == 1 { 1.0 } else { 0.0 };
                vec![base + bump + noise(), base + noise()]
            })
            .collect();
        let types: Vec<usize> = (0..60).map(|i| i % 2).collect();
        assert!(interaction_permutation(&scores, &types, 999, 1).p < 0.01);
        let none: Vec<Vec<f64>> = scores.iter().map(|s| vec![s[0], s[0] + 0.3]).collect();
        assert!(interaction_permutation(&none, &types, 999, 1).p > 0.05);
    }
}
