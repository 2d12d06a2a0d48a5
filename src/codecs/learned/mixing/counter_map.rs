//! What a counter's state has actually meant: for each hashed model, an adaptive table maps a
//! counter's (count, probability) to the frequency of ones that followed that state. A counter
//! that has seen a single 1 in an order-8 context says 0.83; the map learns that such contexts
//! are followed by a 1 far more often, and that young counters of low orders mean less.

use super::counter::{self, FRESH};
use super::logistic::stretch;

/// Count classes: 0, 1, 2, 3, 4-5, 6-9, 10 and more.
const COUNT_CLASSES: usize = 8;
/// Probability classes along the stretched axis.
const PROBABILITY_CLASSES: usize = 64;
/// Slots per model: count × probability × whether the bit starts a byte.
const PER_MODEL: usize = COUNT_CLASSES * PROBABILITY_CLASSES * 2;

/// The maps of every hashed model.
#[derive(Debug, Clone)]
pub struct CounterMap {
    slots: Vec<u32>,
    used: Vec<usize>,
}

impl CounterMap {
    /// Maps for `models` models.
    pub fn new(models: usize) -> CounterMap {
        CounterMap {
            slots: vec![FRESH; models * PER_MODEL],
            used: vec![0; models],
        }
    }

    /// The stretched probability the map gives model `model`'s counter `c` (whose own
    /// stretched probability is `stretched`), given whether the bit is the first of its byte;
    /// remembered for [`CounterMap::update`].
    #[inline]
    pub fn input(&mut self, model: usize, c: u32, stretched: i32, first_bit: bool) -> i32 {
        let n = counter::count(c) as usize;
        let class = [0, 1, 2, 3, 4, 4, 5, 5, 5, 5, 6][n.min(10)] + usize::from(n >= 20);
        let p = ((stretched + 2048) >> 6) as usize;
        let at = model * PER_MODEL + (class * PROBABILITY_CLASSES + p) * 2 + usize::from(first_bit);
        self.used[model] = at;
        stretch(counter::p12(self.slots[at]))
    }

    /// Learns the coded bit in every slot used for it.
    pub fn update(&mut self, bit: bool) {
        for &at in &self.used {
            self.slots[at] = counter::update(self.slots[at], bit, 1023);
        }
    }
}
