//! A model's next-token distribution as integer frequencies both directions compute alike:
//! from the logits (f32, bit-identical on both sides), p_i ∝ exp(l_i − max) in f64, then
//! f_i = 1 + ⌊p_i · (2^32 − V)⌋ so every token can occur, and what the floors leave over goes
//! to the likeliest token (the first on ties). Only integer arithmetic and IEEE operations on
//! identical inputs: the same table in the encoder and the decoder.

use super::coder::TOTAL_BITS;

/// A frequency table over the vocabulary and its cumulative sums.
#[derive(Debug, Clone, Default)]
pub struct Freqs {
    /// Cumulative frequencies: `cum[i]` is the sum of the frequencies of tokens before i;
    /// `cum[V]` = 2^32.
    pub cum: Vec<u64>,
    /// The probabilities of the last fill: the model's, or a mixture of it (`probs_mut`).
    probs: Vec<f64>,
    /// The largest logit of the last fill.
    top: f64,
    /// Σ exp(l_i − top) of the last fill.
    sum: f64,
}

impl Freqs {
    /// The table of `logits` (reusing this one's memory).
    pub fn fill(&mut self, logits: &[f32]) {
        let best = self.model(logits);
        self.quantize(best);
    }

    /// The model's probabilities of `logits` (p_i = exp(l_i − max) / Σ, in f64), kept until the
    /// next call; gives the likeliest token (the first on ties). [`Freqs::quantize`] makes the
    /// table of them.
    pub fn model(&mut self, logits: &[f32]) -> usize {
        let (mut best, mut top) = (0usize, f32::NEG_INFINITY);
        for (i, &l) in logits.iter().enumerate() {
            if l > top {
                (best, top) = (i, l);
            }
        }
        self.top = f64::from(top);
        self.probs.clear();
        self.probs
            .extend(logits.iter().map(|&l| (f64::from(l) - self.top).exp()));
        self.sum = self.probs.iter().sum();
        let sum = self.sum;
        self.probs.iter_mut().for_each(|e| *e /= sum);
        best
    }

    /// The model's probability of token `t` under `logits` (those of the last fill): the value
    /// [`Freqs::model`] computed, recomputed after a mixture has replaced it.
    pub fn model_probability(&self, logits: &[f32], t: usize) -> f64 {
        (f64::from(logits[t]) - self.top).exp() / self.sum
    }

    /// The model's probability of its likeliest token (of the last fill).
    pub fn top_probability(&self) -> f64 {
        1.0 / self.sum
    }

    /// The probabilities of the last fill, for a mixture to replace (they must stay a
    /// distribution).
    pub fn probs_mut(&mut self) -> &mut [f64] {
        &mut self.probs
    }

    /// The table of the probabilities: f_i = 1 + ⌊p_i · (2^32 − V)⌋, the rest to `best`.
    pub fn quantize(&mut self, best: usize) {
        let v = self.probs.len();
        let total = 1u64 << TOTAL_BITS;
        let spare = (total - v as u64) as f64;
        self.cum.clear();
        self.cum.reserve(v + 1);
        self.cum.push(0);
        let mut acc = 0u64;
        for &p in &self.probs {
            acc += 1 + (p * spare).floor() as u64;
            self.cum.push(acc);
        }
        // The remainder of the floors goes to the likeliest token.
        let rest = total - acc;
        for c in &mut self.cum[best + 1..] {
            *c += rest;
        }
    }

    /// The interval of token `t`.
    pub fn interval(&self, t: usize) -> (u64, u64) {
        (self.cum[t], self.cum[t + 1] - self.cum[t])
    }

    /// The token whose interval contains `target`.
    pub fn find(&self, target: u64) -> usize {
        // The last cum ≤ target.
        self.cum.partition_point(|&c| c <= target) - 1
    }

    /// Bits token `t` costs under this table.
    pub fn bits(&self, t: usize) -> f64 {
        let (_, f) = self.interval(t);
        TOTAL_BITS as f64 - (f as f64).log2()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_gets_an_interval_and_the_table_sums_to_the_total() {
        let logits: Vec<f32> = (0..49_152)
            .map(|i| ((i * 7919) % 101) as f32 / 7.0 - 3.0)
            .collect();
        let mut f = Freqs::default();
        f.fill(&logits);
        assert_eq!(*f.cum.last().unwrap(), 1 << TOTAL_BITS);
        assert!(
            f.cum.windows(2).all(|w| w[1] > w[0]),
            "every token has a frequency ≥ 1"
        );
        for t in [0, 1, 500, 49_151] {
            let (c, q) = f.interval(t);
            assert_eq!(f.find(c), t);
            assert_eq!(f.find(c + q - 1), t);
        }
        // A confident model: its token costs almost nothing.
        let mut sharp = vec![-30.0f32; 49_152];
        sharp[42] = 30.0;
        f.fill(&sharp);
        assert!(
            f.bits(42) < 0.001 && f.bits(7) > 20.0,
            "{} {}",
            f.bits(42),
            f.bits(7)
        );
    }
}
