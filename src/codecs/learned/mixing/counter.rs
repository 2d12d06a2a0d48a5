//! Adaptive probability counters: a 22-bit probability that the next bit is 1 and a 10-bit
//! count of the updates it has seen, in one `u32`. The probability moves towards each bit by
//! 1 / (count + 1.5), so a young counter learns fast and an old one averages, up to a limit
//! that keeps it following a changing source.

use std::sync::OnceLock;

/// A fresh counter: probability 1/2, no updates.
pub const FRESH: u32 = 1 << 31;

/// 65536 / (n + 1.5) for every count.
fn reciprocal(n: u32) -> i64 {
    static TABLE: OnceLock<Vec<i64>> = OnceLock::new();
    let t = TABLE.get_or_init(|| (0..1024).map(|n| 131_072 / (2 * n + 3)).collect());
    t[n as usize]
}

/// The 12-bit probability of a 1.
#[inline]
pub fn p12(slot: u32) -> i32 {
    (slot >> 20) as i32
}

/// The 16-bit probability of a 1.
#[inline]
pub fn p16(slot: u32) -> u32 {
    slot >> 16
}

/// Updates updates seen.
#[inline]
pub fn count(slot: u32) -> u32 {
    slot & 1023
}

/// `slot` after seeing `bit`, its count limited to `limit` (≤ 1023).
#[inline]
pub fn update(slot: u32, bit: bool, limit: u32) -> u32 {
    let n = count(slot);
    let p = i64::from(slot >> 10);
    let target = if bit { (1i64 << 22) - 1 } else { 0 };
    let p = (p + (((target - p) * reciprocal(n)) >> 16)).clamp(0, (1 << 22) - 1) as u32;
    (p << 10) | (n + u32::from(n < limit)).min(1023)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_learns_the_frequency_of_its_bits() {
        let mut c = FRESH;
        for i in 0..1000 {
            c = update(c, i % 4 == 0, 255);
        }
        let p = f64::from(p12(c)) / 4096.0;
        assert!((p - 0.25).abs() < 0.05, "{p}");
        assert_eq!(count(c), 255);
        let mut d = FRESH;
        d = update(d, true, 255);
        assert!(
            p12(d) > 3000,
            "one bit moves a fresh counter most of the way"
        );
    }
}
