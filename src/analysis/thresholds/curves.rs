//! Quality-against-compression curves, fitted on x = ln(ratio):
//!
//! - **log-logistic (4 parameters)**: `f(x) = c + (d − c) / (1 + exp(b (x − ln e)))`, lower
//!   asymptote `c`, upper `d`, slope `b` (negative when quality rises with the ratio), midpoint
//!   `e`. Least squares by Levenberg–Marquardt with an analytic Jacobian, started from the best
//!   point of a grid over (b, ln e) on which `c` and `d` are solved exactly (variable projection).
//! - **segmented (broken line)**: `f(x) = a + s₁ (x − ψ) + s₂ max(x − ψ, 0)`, a continuous line
//!   that bends at the breakpoint `ψ` (inside the observed range, with a point on each side).
//!   For each ψ the rest is ordinary least squares; ψ minimises the profile residual sum of
//!   squares: every interval between neighbouring observations is searched by golden section.
//! - **constant** (no collapse): `f(x) = mean`.
//!
//! Models are compared by AIC = n ln(RSS/n) + 2k, k counting the residual variance too.

use serde::Serialize;

/// A fitted log-logistic curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogLogistic {
    /// Slope.
    pub b: f64,
    /// Lower asymptote.
    pub c: f64,
    /// Upper asymptote.
    pub d: f64,
    /// Midpoint, as a ratio.
    pub e: f64,
    /// Residual sum of squares.
    pub rss: f64,
}

impl LogLogistic {
    /// Quality at ratio `r`.
    pub fn at(&self, r: f64) -> f64 {
        self.c + (self.d - self.c) / (1.0 + (self.b * (r.ln() - self.e.ln())).exp())
    }

    /// The ratio at which the curve keeps `fraction` of its quality at ratio 1 (the
    /// uncompressed context), or None when the curve never falls that low.
    pub fn retention_ratio(&self, fraction: f64) -> Option<f64> {
        let target = fraction * self.at(1.0);
        let (lo, hi) = (self.c.min(self.d), self.c.max(self.d));
        if !(target > lo && target < hi) || self.b == 0.0 {
            return None;
        }
        // c + (d − c) / (1 + exp(b (x − ln e))) = target
        let x = self.e.ln() + ((self.d - self.c) / (target - self.c) - 1.0).ln() / self.b;
        Some(x.exp())
    }
}

/// A fitted broken line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segmented {
    /// Quality at the breakpoint.
    pub a: f64,
    /// Slope below the breakpoint (per unit of ln ratio).
    pub slope_below: f64,
    /// Slope above the breakpoint.
    pub slope_above: f64,
    /// Breakpoint, as a ratio.
    pub breakpoint: f64,
    /// Residual sum of squares.
    pub rss: f64,
}

/// AIC of a least-squares fit with `k` parameters (the residual variance included).
pub fn aic(rss: f64, n: usize, k: usize) -> f64 {
    let n = n as f64;
    n * (rss.max(1e-300) / n).ln() + 2.0 * k as f64
}

/// Residual sum of squares of the constant model.
pub fn constant_rss(y: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
    y.iter().map(|v| (v - mean).powi(2)).sum()
}

/// Least squares of y on the columns of `x` (each a vector of n values): coefficients and RSS.
fn ols(columns: &[Vec<f64>], y: &[f64]) -> Option<(Vec<f64>, f64)> {
    let p = columns.len();
    let mut a = vec![vec![0.0; p + 1]; p];
    for i in 0..p {
        for j in 0..p {
            a[i][j] = columns[i].iter().zip(&columns[j]).map(|(u, v)| u * v).sum();
        }
        a[i][p] = columns[i].iter().zip(y).map(|(u, v)| u * v).sum();
    }
    let beta = solve(a)?;
    let rss = (0..y.len())
        .map(|k| {
            let fit: f64 = (0..p).map(|i| beta[i] * columns[i][k]).sum();
            (y[k] - fit).powi(2)
        })
        .sum();
    Some((beta, rss))
}

/// Solves an augmented p × (p+1) system by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let p = a.len();
    for col in 0..p {
        let pivot = (col..p).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (v, pv) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *v -= f * pv;
                }
            }
        }
    }
    Some((0..p).map(|i| a[i][p] / a[i][i]).collect())
}

fn ll4_residuals(x: &[f64], y: &[f64], [b, c, d, m]: [f64; 4]) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(xi, yi)| yi - (c + (d - c) / (1.0 + (b * (xi - m)).exp())))
        .collect()
}

fn sum_sq(v: &[f64]) -> f64 {
    v.iter().map(|r| r * r).sum()
}

/// Fits the log-logistic curve to (ratio, quality) points; None with fewer than 5 distinct
/// ratios (4 parameters need at least one degree of freedom) or when no fit is finite.
pub fn fit_log_logistic(ratios: &[f64], y: &[f64]) -> Option<LogLogistic> {
    let x: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
    if sorted_unique(&x).len() < 5 {
        return None;
    }
    let (xmin, xmax) = (min(&x), max(&x));
    let span = (xmax - xmin).max(1e-9);
    // Variable projection on a grid: for fixed (b, m), c and d are linear.
    let mut best: Option<([f64; 4], f64)> = None;
    for i in 0..=40 {
        let m = xmin - 0.5 * span + 2.0 * span * f64::from(i) / 40.0;
        for j in 0..=30 {
            let b = -(0.25 * 200f64.powf(f64::from(j) / 30.0)) / span;
            let g: Vec<f64> = x
                .iter()
                .map(|xi| 1.0 / (1.0 + (b * (xi - m)).exp()))
                .collect();
            // f = c (1 − g) + d g
            let one_minus: Vec<f64> = g.iter().map(|v| 1.0 - v).collect();
            if let Some((beta, rss)) = ols(&[one_minus, g], y) {
                if rss.is_finite() && best.as_ref().is_none_or(|(_, r)| rss < *r) {
                    best = Some(([b, beta[0], beta[1], m], rss));
                }
            }
        }
    }
    let (mut p, mut rss) = best?;
    // Levenberg–Marquardt.
    let mut lambda = 1e-3;
    for _ in 0..500 {
        let r = ll4_residuals(&x, y, p);
        let [b, c, d, m] = p;
        let mut jtj = [[0.0; 4]; 4];
        let mut jtr = [0.0; 4];
        for (k, xi) in x.iter().enumerate() {
            let u = (b * (xi - m)).exp();
            let g = 1.0 / (1.0 + u);
            // Derivatives of the model.
            let dg = -(d - c) * u * g * g; // d f / d (b (x − m))
            let row = [dg * (xi - m), 1.0 - g, g, -dg * b];
            for i in 0..4 {
                jtr[i] += row[i] * r[k];
                for j in 0..4 {
                    jtj[i][j] += row[i] * row[j];
                }
            }
        }
        let mut improved = false;
        while lambda < 1e12 {
            let mut a = vec![vec![0.0; 5]; 4];
            for i in 0..4 {
                for j in 0..4 {
                    a[i][j] = jtj[i][j];
                }
                a[i][i] += lambda * jtj[i][i].max(1e-12);
                a[i][4] = jtr[i];
            }
            let Some(step) = solve(a) else {
                lambda *= 10.0;
                continue;
            };
            let trial = [
                p[0] + step[0],
                p[1] + step[1],
                p[2] + step[2],
                p[3] + step[3],
            ];
            let trial_rss = sum_sq(&ll4_residuals(&x, y, trial));
            if trial_rss.is_finite() && trial_rss <= rss {
                let change = rss - trial_rss;
                p = trial;
                rss = trial_rss;
                lambda = (lambda / 10.0).max(1e-12);
                improved = change > 1e-15 * rss.max(1e-300)
                    && step
                        .iter()
                        .zip(&p)
                        .any(|(s, v)| s.abs() > 1e-13 * (1.0 + v.abs()));
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    let [b, c, d, m] = p;
    let fit = LogLogistic {
        b,
        c,
        d,
        e: m.exp(),
        rss,
    };
    [b, c, d, fit.e, rss]
        .iter()
        .all(|v| v.is_finite())
        .then_some(fit)
}

fn segmented_rss(x: &[f64], y: &[f64], psi: f64) -> Option<(Vec<f64>, f64)> {
    let ones = vec![1.0; x.len()];
    let below: Vec<f64> = x.iter().map(|xi| xi - psi).collect();
    let hinge: Vec<f64> = x.iter().map(|xi| (xi - psi).max(0.0)).collect();
    ols(&[ones, below, hinge], y)
}

/// Fits the broken line; None with fewer than 4 distinct ratios.
pub fn fit_segmented(ratios: &[f64], y: &[f64]) -> Option<Segmented> {
    let x: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
    let xs = sorted_unique(&x);
    if xs.len() < 4 {
        return None;
    }
    let profile = |psi: f64| segmented_rss(&x, y, psi).map_or(f64::INFINITY, |(_, r)| r);
    // The breakpoint lies between the second and the second-to-last distinct ratio.
    let mut best = (f64::INFINITY, f64::NAN);
    for w in xs[1..xs.len() - 1].windows(2) {
        let (mut lo, mut hi) = (w[0], w[1]);
        let phi = (5f64.sqrt() - 1.0) / 2.0;
        let (mut a, mut b) = (hi - phi * (hi - lo), lo + phi * (hi - lo));
        let (mut fa, mut fb) = (profile(a), profile(b));
        for _ in 0..200 {
            if hi - lo < 1e-13 {
                break;
            }
            if fa <= fb {
                hi = b;
                (b, fb) = (a, fa);
                a = hi - phi * (hi - lo);
                fa = profile(a);
            } else {
                lo = a;
                (a, fa) = (b, fb);
                b = lo + phi * (hi - lo);
                fb = profile(b);
            }
        }
        for psi in [w[0], w[1], 0.5 * (lo + hi)] {
            let r = profile(psi);
            if r < best.0 {
                best = (r, psi);
            }
        }
    }
    let (rss, psi) = best;
    let (beta, _) = segmented_rss(&x, y, psi)?;
    Some(Segmented {
        a: beta[0],
        slope_below: beta[1],
        slope_above: beta[1] + beta[2],
        breakpoint: psi.exp(),
        rss,
    })
}

fn sorted_unique(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

fn min(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATIOS: [f64; 8] = [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0];

    #[test]
    fn log_logistic_recovers_its_parameters() {
        let truth = LogLogistic {
            b: -4.0,
            c: 5.0,
            d: 60.0,
            e: 0.3,
            rss: 0.0,
        };
        let y: Vec<f64> = RATIOS.iter().map(|&r| truth.at(r)).collect();
        let fit = fit_log_logistic(&RATIOS, &y).unwrap();
        assert!((fit.b - truth.b).abs() < 1e-6, "{fit:?}");
        assert!((fit.c - truth.c).abs() < 1e-6, "{fit:?}");
        assert!((fit.d - truth.d).abs() < 1e-6, "{fit:?}");
        assert!((fit.e - truth.e).abs() < 1e-8, "{fit:?}");
        // Retention: 90% of the quality at ratio 1.
        let r90 = fit.retention_ratio(0.9).unwrap();
        assert!((fit.at(r90) - 0.9 * fit.at(1.0)).abs() < 1e-9);
        assert!(r90 > truth.e && r90 < 1.0);
        assert_eq!(
            fit.retention_ratio(0.01),
            None,
            "never falls below its lower asymptote"
        );
        assert!(
            fit_log_logistic(&RATIOS[..4], &y[..4]).is_none(),
            "too few ratios"
        );
    }

    #[test]
    fn segmented_finds_the_bend() {
        let psi = 0.35f64.ln();
        let y: Vec<f64> = RATIOS
            .iter()
            .map(|r| 50.0 + 30.0 * (r.ln() - psi).min(0.0) + 2.0 * (r.ln() - psi).max(0.0))
            .collect();
        let fit = fit_segmented(&RATIOS, &y).unwrap();
        assert!((fit.breakpoint - 0.35).abs() < 1e-8, "{fit:?}");
        assert!((fit.slope_below - 30.0).abs() < 1e-6 && (fit.slope_above - 2.0).abs() < 1e-6);
        assert!(fit.rss < 1e-12);
        assert!(aic(fit.rss, 8, 5) < aic(constant_rss(&y), 8, 2));
    }
}
