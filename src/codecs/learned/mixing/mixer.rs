//! Gated logistic mixing: the stretched predictions of the models are weighted and summed, the
//! sum squashed into a probability. Several gates share the inputs; each gate chooses its weight
//! set by a small context, and after each bit every chosen set moves along the gradient of the
//! coding cost. The learning rate starts at four times its final value and decays towards it
//! over the first [`DECAY_BITS`] bits, so a young mixer learns fast and an old one averages.

use super::logistic::squash;

/// The bits over which the learning rate decays (chosen on the tuning texts: 10^4 to 3·10^5
/// bits give the same sizes within 0.05%, none 0.2% more).
pub const DECAY_BITS: i64 = 100_000;

/// One gate: its weight sets and what it chose for the current bit.
#[derive(Debug, Clone)]
struct Gate {
    weights: Vec<i32>,
    set: usize,
    pr: i32,
}

/// A mixer of `inputs` predictions through one or more gates.
#[derive(Debug, Clone)]
pub struct Mixer {
    inputs: usize,
    x: Vec<i32>,
    gates: Vec<Gate>,
    rate: i64,
    seen: i64,
}

impl Mixer {
    /// A mixer whose gate `g` has `sets[g]` weight sets. Weights start at `initial` (16.16
    /// fixed point: 65536 is 1); `rate` is the final learning rate in units of 1/4096 (a weight
    /// moves by rate/4096 · error · input, in natural units).
    pub fn new(inputs: usize, sets: &[usize], initial: i32, rate: i32) -> Mixer {
        Mixer {
            inputs,
            x: Vec::with_capacity(inputs),
            gates: sets
                .iter()
                .map(|&n| Gate {
                    weights: vec![initial; inputs * n],
                    set: 0,
                    pr: 2048,
                })
                .collect(),
            rate: i64::from(rate),
            seen: 0,
        }
    }

    /// Starts a bit: clears the inputs.
    pub fn clear(&mut self) {
        self.x.clear();
    }

    /// Adds one stretched input.
    #[inline]
    pub fn add(&mut self, x: i32) {
        self.x.push(x);
    }

    /// The mixed stretched value (before squashing) of gate `gate` with its weight set `set`.
    pub fn mix(&mut self, gate: usize, set: usize) -> i32 {
        debug_assert_eq!(self.x.len(), self.inputs);
        let g = &mut self.gates[gate];
        g.set = set * self.inputs;
        let w = &g.weights[g.set..g.set + self.inputs];
        let dot: i64 = self
            .x
            .iter()
            .zip(w)
            .map(|(&x, &w)| i64::from(x) * i64::from(w))
            .sum();
        let dot = (dot >> 16).clamp(-2047, 2047) as i32;
        g.pr = squash(dot);
        dot
    }

    /// Learns from the coded bit (every gate mixed since [`Mixer::clear`]).
    pub fn update(&mut self, bit: bool) {
        self.seen += 1;
        let rate = self.rate + 3 * self.rate * DECAY_BITS / (DECAY_BITS + self.seen);
        for g in &mut self.gates {
            let err = i64::from((i32::from(bit) << 12) - g.pr) * rate;
            let w = &mut g.weights[g.set..g.set + self.inputs];
            for (w, &x) in w.iter_mut().zip(&self.x) {
                let step = (i64::from(x) * err) >> 16;
                *w = (i64::from(*w) + step).clamp(-(1 << 22), 1 << 22) as i32;
            }
        }
    }
}
