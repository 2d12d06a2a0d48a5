//! An adaptive probability map (secondary estimation): a probability is refined by what
//! actually followed it in a context, a table of 33 points along the stretched axis per
//! context, interpolated, the nearer point moving towards each coded bit.

use super::logistic::{squash, stretch};

/// A map over `contexts` contexts.
#[derive(Debug, Clone)]
pub struct Apm {
    table: Vec<u16>,
    index: usize,
    rate: u32,
}

impl Apm {
    /// A map that starts as the identity; `rate`: the update's shift (higher: slower).
    pub fn new(contexts: usize, rate: u32) -> Apm {
        let row: Vec<u16> = (0..33)
            .map(|j| (squash((j - 16) * 128) * 16) as u16)
            .collect();
        Apm {
            table: row.iter().copied().cycle().take(33 * contexts).collect(),
            index: 0,
            rate,
        }
    }

    /// The refined 12-bit probability of `p` in context `cx`.
    pub fn refine(&mut self, p: i32, cx: usize) -> i32 {
        let s = stretch(p) + 2048;
        let (lo, w) = ((s >> 7) as usize, s & 127);
        let base = cx * 33 + lo;
        self.index = base + usize::from(w >= 64);
        let (a, b) = (i32::from(self.table[base]), i32::from(self.table[base + 1]));
        ((a * (128 - w) + b * w) >> 11).clamp(1, 4095)
    }

    /// Moves the point used towards `bit`.
    pub fn update(&mut self, bit: bool) {
        let target: i32 = if bit { 65535 } else { 0 };
        let t = &mut self.table[self.index];
        *t = (i32::from(*t) + ((target - i32::from(*t)) >> self.rate)) as u16;
    }
}
