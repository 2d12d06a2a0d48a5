//! The logistic domain of the mixer, in integers so that every machine computes the same
//! numbers: probabilities are 12-bit (0..4096), "stretched" values ln(p / (1 - p)) are scaled by
//! 256 and clamped to ±2047.

use std::sync::OnceLock;

/// The logistic function at 33 points, every 128 stretched units from -2048: 4096 / (1 + e^-x/256).
const KNOTS: [i32; 33] = [
    1, 2, 3, 6, 10, 16, 27, 45, 73, 120, 194, 310, 488, 747, 1101, 1546, 2047, 2549, 2994, 3348,
    3607, 3785, 3901, 3975, 4024, 4050, 4068, 4079, 4085, 4089, 4092, 4093, 4094,
];

/// 12-bit probability of a stretched value (interpolated between the knots).
pub fn squash(d: i32) -> i32 {
    if d > 2047 {
        return 4095;
    }
    if d < -2047 {
        return 1;
    }
    let w = d & 127;
    let i = ((d >> 7) + 16) as usize;
    ((KNOTS[i] * (128 - w) + KNOTS[i + 1] * w + 64) >> 7).clamp(1, 4095)
}

/// The stretched value of a 12-bit probability (the inverse of [`squash`]).
pub fn stretch(p: i32) -> i32 {
    static TABLE: OnceLock<Vec<i16>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = vec![2047i16; 4096];
        let mut next = 0usize;
        for x in -2047..=2047 {
            let v = squash(x) as usize;
            for slot in t.iter_mut().take(v + 1).skip(next) {
                *slot = x as i16;
            }
            next = next.max(v + 1);
        }
        t
    });
    i32::from(table[p.clamp(0, 4095) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretch_inverts_squash() {
        for d in (-1500..1500).step_by(50) {
            let back = stretch(squash(d));
            assert!((back - d).abs() <= 40, "{d} -> {} -> {back}", squash(d));
        }
        assert_eq!(squash(0), 2047);
        assert!(stretch(1) < -1500 && stretch(4095) > 1500);
    }
}
