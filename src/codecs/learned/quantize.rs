//! Turning a model's probabilities into an integer frequency table, deterministically: the
//! same probabilities give the same table on every call, every symbol gets at least 1, and the table sums
//! to exactly `TOTAL`. Encoder and decoder both go through here.

use super::range_coder::TOTAL;

/// A cumulative frequency table: `cum[s]..cum[s + 1]` is symbol `s`'s interval.
#[derive(Debug, Clone)]
pub struct Table {
    /// Cumulative frequencies (`symbols + 1` entries, first 0, last `TOTAL`).
    pub cum: Vec<u32>,
}

impl Table {
    /// An empty table for `symbols` symbols.
    pub fn new(symbols: usize) -> Table {
        Table {
            cum: vec![0; symbols + 1],
        }
    }

    /// Fills the table from probabilities (any values: negative, non-finite or unnormalised
    /// ones still give a valid table).
    pub fn fill(&mut self, probs: &[f32]) {
        let n = probs.len();
        let spare = TOTAL - n as u32;
        let sum: f32 = probs.iter().map(|p| p.max(0.0)).sum();
        let scale = if sum > 0.0 { spare as f32 / sum } else { 0.0 };
        let (mut total, mut best, mut best_freq) = (0u32, 0usize, 0u32);
        for (s, &p) in probs.iter().enumerate() {
            // `as` saturates: NaN and negatives become 0, so a broken model still codes.
            let f = 1 + ((p * scale) as u32).min(spare);
            self.cum[s + 1] = f;
            total += f;
            if f > best_freq {
                (best, best_freq) = (s, f);
            }
        }
        // Give the rounding remainder to (or take the excess from) the likeliest symbol.
        let adjusted = i64::from(best_freq) + i64::from(TOTAL) - i64::from(total);
        self.cum[best + 1] = adjusted.max(1) as u32;
        for s in 0..n {
            self.cum[s + 1] += self.cum[s];
        }
        debug_assert_eq!(self.cum[n], TOTAL);
    }

    /// `(cum, freq)` of symbol `s`.
    pub fn interval(&self, s: usize) -> (u32, u32) {
        (self.cum[s], self.cum[s + 1] - self.cum[s])
    }

    /// The symbol whose interval contains `target`.
    pub fn find(&self, target: u32) -> usize {
        // The last index whose cumulative value is ≤ target.
        self.cum.partition_point(|&c| c <= target) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_sum_to_total_and_keep_every_symbol() {
        let mut t = Table::new(256);
        for logits in [
            vec![0.0f32; 256],
            (0..256).map(|i| i as f32 * 0.3).collect(),
            (0..256)
                .map(|i| if i == 7 { 80.0 } else { -80.0 })
                .collect(),
            (0..256)
                .map(|i| if i == 3 { f32::NAN } else { 1.0 })
                .collect(),
        ] {
            t.fill(&logits);
            assert_eq!(t.cum[256], TOTAL);
            for s in 0..256 {
                let (c, f) = t.interval(s);
                assert!(f >= 1);
                assert_eq!(t.find(c), s);
                assert_eq!(t.find(c + f - 1), s);
            }
        }
    }
}
