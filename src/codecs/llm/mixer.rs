//! The model's next-token distribution mixed with token counts of the text coded so far.
//!
//! Mixer 1 (the only one; a file records its number): for orders 1 to 3, the tokens that
//! followed the last one to three tokens of the stream, counted over every stream's tokens coded
//! so far (the decoder has them too: the streams advance in lock step). The table is the linear
//! mixture p = w₀·p_model + Σ wₒ·cₒ(x)/nₒ over the orders whose context has been seen. The
//! weights come from one of 625 weight sets, chosen by the three contexts' counts (log-scale
//! buckets) and the model's confidence (its top probability), and learn by an exponentiated
//! gradient step on the coded token's log loss. Everything is f64 arithmetic in a fixed order
//! on values both directions have: the encoder and the decoder compute the same tables.
//!
//! The constants were chosen on text no bench file contains (120 KB of the King James Bible
//! from byte 3,000,000, past the bench's first MiB, and 120 KB of SQuAD contexts of the last
//! dev articles), by the mean gain over a grid of orders {1-2, 1-3}, rates {0.02, 0.05, 0.1},
//! starting weights {0.5, 0.8, 0.95} and with or without the confidence buckets, from
//! llama.cpp's probabilities of the same model: 0.88 % and 0.07 % fewer bits.

use std::collections::HashMap;

use super::freqs::Freqs;

/// The orders of the count models.
const ORDERS: usize = 3;
/// Models mixed: the language model and one per order.
const MODELS: usize = ORDERS + 1;
/// Buckets of a context's count and of the model's confidence.
const BUCKETS: usize = 5;
/// Step size of the weights' update.
const RATE: f64 = 0.02;
/// Largest gradient of one update (a token the mixture gave almost nothing).
const CLIP: f64 = 20.0;
/// Smallest share of a weight, so that no model is shut out for good.
const FLOOR: f64 = 1e-4;
/// The weights a set starts from: the model's, then the orders'.
const START: [f64; MODELS] = [0.95, 0.05 / 3.0, 0.05 / 3.0, 0.05 / 3.0];

/// The counts of what followed one context: (token, count) in order of first occurrence.
#[derive(Debug, Default, Clone)]
struct Counts {
    total: u32,
    next: Vec<(u32, u32)>,
}

impl Counts {
    fn of(&self, token: u32) -> u32 {
        self.next.iter().find(|e| e.0 == token).map_or(0, |e| e.1)
    }

    fn add(&mut self, token: u32) {
        self.total += 1;
        match self.next.iter_mut().find(|e| e.0 == token) {
            Some(e) => e.1 += 1,
            None => self.next.push((token, 1)),
        }
    }
}

/// What the mixer chose for the current token, kept for its update.
#[derive(Debug, Default, Clone, Copy)]
struct Step {
    set: usize,
    weights: [f64; MODELS],
    contexts: [Option<u64>; ORDERS],
}

/// The state of mixer 1 over all streams.
#[derive(Debug)]
pub struct TokenMixer {
    tables: [HashMap<u64, Counts>; ORDERS],
    sets: Vec<[f64; MODELS]>,
    step: Step,
}

impl Default for TokenMixer {
    fn default() -> Self {
        TokenMixer {
            tables: Default::default(),
            sets: vec![START; BUCKETS.pow(ORDERS as u32 + 1)],
            step: Step::default(),
        }
    }
}

/// The context of order `o` at the end of `history`: a 64-bit hash of its tokens (a collision
/// merges two contexts alike in both directions).
fn context(history: &[u32], o: usize) -> Option<u64> {
    let n = history.len();
    (n >= o).then(|| {
        history[n - o..].iter().fold(o as u64, |k, &t| {
            (k ^ u64::from(t))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29)
        })
    })
}

/// Log-scale bucket of a count: 0 for none, up to 4 for 15 and more.
fn count_bucket(n: u32) -> usize {
    ((u32::BITS - (n + 1).leading_zeros()) as usize - 1).min(BUCKETS - 1)
}

/// Bucket of the model's top probability: 0 above 0.7, up to 4 below about 0.06.
fn confidence_bucket(top: f64) -> usize {
    ((-top.log2() * 2.0) as usize).min(BUCKETS - 1)
}

impl TokenMixer {
    /// Replaces the model's probabilities in `freqs` (after [`Freqs::model`]) by the mixture
    /// for the stream whose inputs so far are `history`, and quantizes the table.
    pub fn mix(&mut self, history: &[u32], freqs: &mut Freqs) {
        let mut step = Step::default();
        let mut set = confidence_bucket(freqs.top_probability());
        for (o, table) in self.tables.iter().enumerate() {
            let key = context(history, o + 1);
            let n = key.and_then(|k| table.get(&k)).map_or(0, |c| c.total);
            step.contexts[o] = key.filter(|_| n > 0);
            set = set * BUCKETS + count_bucket(n);
        }
        step.set = set;
        step.weights = self.weights(&step);
        let probs = freqs.probs_mut();
        if step.weights[0] < 1.0 {
            probs.iter_mut().for_each(|p| *p *= step.weights[0]);
        }
        for (o, key) in step.contexts.iter().enumerate() {
            if let Some(c) = key.and_then(|k| self.tables[o].get(&k)) {
                let w = step.weights[o + 1] / f64::from(c.total);
                for &(t, n) in &c.next {
                    probs[t as usize] += w * f64::from(n);
                }
            }
        }
        let mut best = 0;
        for (i, &p) in probs.iter().enumerate() {
            if p > probs[best] {
                best = i;
            }
        }
        freqs.quantize(best);
        self.step = step;
    }

    /// The normalised weights of the step's set over the models present.
    fn weights(&self, step: &Step) -> [f64; MODELS] {
        let raw = &self.sets[step.set];
        let mut w = [0.0; MODELS];
        w[0] = raw[0];
        for o in 0..ORDERS {
            if step.contexts[o].is_some() {
                w[o + 1] = raw[o + 1];
            }
        }
        let sum: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= sum);
        w
    }

    /// Learns from the coded `token` (the model gave it `model_p`) and counts it after
    /// `history` (the stream's inputs before it).
    pub fn learn(&mut self, history: &[u32], token: u32, model_p: f64) {
        let step = self.step;
        let mut ps = [0.0; MODELS];
        ps[0] = model_p;
        for (o, key) in step.contexts.iter().enumerate() {
            if let Some(c) = key.and_then(|k| self.tables[o].get(&k)) {
                ps[o + 1] = f64::from(c.of(token)) / f64::from(c.total);
            }
        }
        let p: f64 = (0..MODELS).map(|i| step.weights[i] * ps[i]).sum();
        let raw = &mut self.sets[step.set];
        let before: f64 = (0..MODELS)
            .filter(|&i| step.weights[i] > 0.0)
            .map(|i| raw[i])
            .sum();
        for i in (0..MODELS).filter(|&i| step.weights[i] > 0.0) {
            let g = (ps[i] / p - 1.0).min(CLIP);
            raw[i] *= (RATE * g).exp();
        }
        let after: f64 = (0..MODELS)
            .filter(|&i| step.weights[i] > 0.0)
            .map(|i| raw[i])
            .sum();
        for i in (0..MODELS).filter(|&i| step.weights[i] > 0.0) {
            raw[i] = (raw[i] / after * before).max(FLOOR);
        }
        for (o, table) in self.tables.iter_mut().enumerate() {
            if let Some(k) = context(history, o + 1) {
                table.entry(k).or_default().add(token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_contexts() {
        assert_eq!(
            [0, 1, 2, 3, 7, 15, 1000].map(count_bucket),
            [0, 1, 1, 2, 3, 4, 4]
        );
        assert_eq!(confidence_bucket(1.0), 0);
        assert_eq!(confidence_bucket(0.01), 4);
        assert_eq!(context(&[5], 2), None);
        assert_ne!(context(&[1, 2], 2), context(&[2, 1], 2));
        assert_ne!(context(&[0, 7], 2), context(&[7], 1));
    }

    #[test]
    fn a_repeated_text_costs_less_mixed_and_the_table_stays_whole() {
        // A flat model over 64 tokens and a text that repeats one phrase: the counts learn it.
        let logits = vec![0.0f32; 64];
        let text: Vec<u32> = [3u32, 17, 9, 40, 22].repeat(40);
        let (mut alone, mut mixed) = (0.0, 0.0);
        let (mut f, mut m) = (Freqs::default(), TokenMixer::default());
        let mut history = vec![0u32];
        for &t in &text {
            f.fill(&logits);
            alone += f.bits(t as usize);
            f.model(&logits);
            m.mix(&history, &mut f);
            assert_eq!(*f.cum.last().unwrap(), 1 << super::super::coder::TOTAL_BITS);
            assert!(f.cum.windows(2).all(|w| w[1] > w[0]));
            mixed += f.bits(t as usize);
            m.learn(&history, t, f.model_probability(&logits, t as usize));
            history.push(t);
        }
        assert!(
            mixed < alone / 3.0,
            "mixed {mixed:.0} bits, alone {alone:.0}"
        );
    }
}
