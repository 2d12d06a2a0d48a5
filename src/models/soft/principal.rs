//! Principal directions of the teacher's encoder states: the eigenvectors of their second
//! moment Σ h hᵀ / n, largest eigenvalue first, fitted on the training windows only. `conv`
//! with `packing = "principal"` keeps each state's coordinates along the first d / k of them
//! (k states share one memory vector), and the decoder's slots map those coordinates back.

use burn::tensor::Tensor;

/// Sweeps of Jacobi rotations at most (a symmetric matrix of width 128 needs about 10).
const MAX_SWEEPS: usize = 60;

/// Directions of a set of states, largest share of the second moment first.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Unit eigenvectors in the same order, `vectors[i][c]` = channel c of direction i.
    pub vectors: Vec<Vec<f64>>,
}

impl Principal {
    /// The directions of `states` ([tokens, d] each; at least one token).
    pub fn of_states(states: &[Tensor<2>]) -> Principal {
        let d = states.first().map_or(0, |s| s.dims()[1]);
        Principal::of_moment(&second_moment(states), d)
    }

    /// The eigenvectors of the symmetric `moment` (d×d, row-major).
    pub fn of_moment(moment: &[f64], d: usize) -> Principal {
        let (diagonal, v) = jacobi(moment.to_vec(), d);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| diagonal[b].total_cmp(&diagonal[a]));
        Principal {
            values: order.iter().map(|&i| diagonal[i]).collect(),
            vectors: order
                .iter()
                .map(|&i| (0..d).map(|c| v[c * d + i]).collect())
                .collect(),
        }
    }
}

/// Σ h hᵀ / n over every token of `states`, row-major d×d.
fn second_moment(states: &[Tensor<2>]) -> Vec<f64> {
    let mut sum: Option<Tensor<2>> = None;
    let mut n = 0usize;
    for s in states {
        n += s.dims()[0];
        let m = s.clone().transpose().matmul(s.clone());
        sum = Some(match sum {
            Some(acc) => acc + m,
            None => m,
        });
    }
    let Some(sum) = sum else {
        return Vec::new();
    };
    let values = sum.into_data().convert::<f64>().try_to_vec::<f64>();
    values
        .unwrap_or_default()
        .into_iter()
        .map(|x| x / n.max(1) as f64)
        .collect()
}

/// Cyclic Jacobi rotations of the symmetric `a` (d×d, row-major) until it is diagonal: its
/// diagonal (the eigenvalues) and V (row-major, eigenvector i in column i).
fn jacobi(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v: Vec<f64> = (0..d * d)
        .map(|i| if i / d == i % d { 1.0 } else { 0.0 })
        .collect();
    let scale: f64 = a.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| a[p * d + q] * a[p * d + q])
            .sum();
        if off <= 1e-24 * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                rotate(&mut a, &mut v, d, p, q);
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

/// One rotation in the (p, q) plane that zeroes a[p][q] (A ← Jᵀ A J, V ← V J).
fn rotate(a: &mut [f64], v: &mut [f64], d: usize, p: usize, q: usize) {
    let apq = a[p * d + q];
    if apq == 0.0 {
        return;
    }
    let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..d {
        let (kp, kq) = (a[k * d + p], a[k * d + q]);
        a[k * d + p] = c * kp - s * kq;
        a[k * d + q] = s * kp + c * kq;
    }
    for k in 0..d {
        let (pk, qk) = (a[p * d + k], a[q * d + k]);
        a[p * d + k] = c * pk - s * qk;
        a[q * d + k] = s * pk + c * qk;
    }
    for k in 0..d {
        let (kp, kq) = (v[k * d + p], v[k * d + q]);
        v[k * d + p] = c * kp - s * kq;
        v[k * d + q] = s * kp + c * kq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn directions_are_orthonormal_eigenvectors_largest_first() {
        let d = 6;
        // A symmetric matrix with distinct eigenvalues: B Bᵀ + a diagonal.
        let b: Vec<f64> = (0..d * d)
            .map(|i| ((i * 7 + 3) % 11) as f64 - 5.0)
            .collect();
        let a: Vec<f64> = (0..d * d)
            .map(|i| {
                let (r, c) = (i / d, i % d);
                let dot: f64 = (0..d).map(|k| b[r * d + k] * b[c * d + k]).sum();
                dot + if r == c { r as f64 } else { 0.0 }
            })
            .collect();
        let p = Principal::of_moment(&a, d);
        assert!(p.values.windows(2).all(|w| w[0] >= w[1]), "{:?}", p.values);
        for (i, u) in p.vectors.iter().enumerate() {
            for (j, w) in p.vectors.iter().enumerate() {
                let dot: f64 = u.iter().zip(w).map(|(x, y)| x * y).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-9, "u{i}·u{j} = {dot}");
            }
            for r in 0..d {
                let au: f64 = (0..d).map(|c| a[r * d + c] * u[c]).sum();
                assert!((au - p.values[i] * u[r]).abs() < 1e-8 * p.values[0].abs());
            }
        }
    }

    /// Share of the second moment's trace along the first `r` directions.
    fn kept(p: &Principal, r: usize) -> f64 {
        let total: f64 = p.values.iter().sum();
        p.values.iter().take(r).sum::<f64>() / total
    }

    #[test]
    fn states_in_a_plane_put_all_their_moment_in_two_directions() {
        let device = crate::models::device::cpu();
        // Every state is a mix of two fixed vectors of width 5.
        let (x, y) = ([1.0, 2.0, 0.0, -1.0, 0.5], [0.0, 1.0, 3.0, 1.0, -2.0]);
        let rows: Vec<f32> = (0..40)
            .flat_map(|i| {
                let (s, t) = ((i as f32 * 0.37).sin(), (i as f32 * 1.3).cos());
                (0..5).map(move |c| s * x[c] + t * y[c])
            })
            .collect();
        let states = Tensor::<2>::from_data(TensorData::new(rows, [40, 5]), &device);
        let p = Principal::of_states(&[states.clone(), states]);
        assert!(kept(&p, 2) > 1.0 - 1e-6, "kept {}", kept(&p, 2));
        assert!(kept(&p, 1) < 0.999);
    }
}
