//! The match model: the last place where the latest `min_len` bytes occurred before predicts
//! that the byte after it comes again. Its input is the probability that the predicted bit is
//! right, learned per match length, so a long match speaks loudly and a short one softly.

use super::contexts::combine;
use super::counter::{self, FRESH};
use super::logistic::stretch;

/// Longest match length distinguished (longer ones share its counters).
const MAX_LEN: usize = 31;

/// Match state over one stream's history.
#[derive(Debug, Clone)]
pub struct MatchModel {
    min_len: usize,
    /// Position after the last occurrence of each hashed context of `min_len` bytes.
    table: Vec<u32>,
    mask: usize,
    /// Where the predicted byte is in the history (0: no match).
    ptr: usize,
    /// Length of the current match in bytes.
    len: usize,
    /// The predicted byte's bits still agree with the bits coded so far in this byte.
    agrees: bool,
    /// Counters: the prediction is right, per (length, predicted bit).
    right: Vec<u32>,
}

impl MatchModel {
    /// A match model with a table of 2^`bits` positions (an error when the memory cannot be
    /// had).
    pub fn new(bits: u32, min_len: usize) -> anyhow::Result<MatchModel> {
        Ok(MatchModel {
            min_len: min_len.max(1),
            table: super::filled::filled(1 << bits, 0)?,
            mask: (1 << bits) - 1,
            ptr: 0,
            len: 0,
            agrees: false,
            right: vec![FRESH; (MAX_LEN + 1) * 2],
        })
    }

    /// After a whole byte: extends or looks up the match for `history` (ending with that byte).
    pub fn byte(&mut self, history: &[u8]) {
        let n = history.len();
        if self.len > 0 && self.ptr < n && history[self.ptr] == history[n - 1] {
            self.len += 1;
            self.ptr += 1;
        } else {
            self.len = 0;
        }
        if n < self.min_len {
            return;
        }
        let h = history[n - self.min_len..]
            .iter()
            .fold(0u32, |h, &b| combine(h, u32::from(b)));
        let slot = h as usize & self.mask;
        if self.len == 0 {
            let candidate = self.table[slot] as usize;
            if candidate > 0 {
                let len = (1..=candidate.min(MAX_LEN + 1))
                    .take_while(|&k| history[candidate - k] == history[n - k])
                    .count();
                if len >= self.min_len {
                    (self.ptr, self.len) = (candidate, len);
                }
            }
        }
        self.table[slot] = n as u32;
        self.agrees = self.len > 0;
    }

    /// The predicted next bit given the bits of this byte so far (`c0`: a leading 1, then
    /// `bits` bits), if the match still predicts.
    fn predicted(&self, history: &[u8], c0: u32, bits: u32) -> Option<(bool, usize)> {
        if !self.agrees || self.ptr >= history.len() {
            return None;
        }
        let expected = u32::from(history[self.ptr]) | 0x100;
        if expected >> (8 - bits) != c0 {
            return None;
        }
        let bit = (expected >> (7 - bits)) & 1 == 1;
        Some((bit, self.len.min(MAX_LEN) * 2 + usize::from(bit)))
    }

    /// The mixer input (stretched probability of a 1; 0 without a match) and the match length
    /// bucket (0: none) for the mixer's weight selection.
    pub fn input(&mut self, history: &[u8], c0: u32, bits: u32) -> (i32, usize) {
        match self.predicted(history, c0, bits) {
            Some((bit, i)) => {
                let p = stretch(counter::p12(self.right[i]));
                (if bit { p } else { -p }, 1 + self.len.min(15))
            }
            None => {
                self.agrees = false;
                (0, 0)
            }
        }
    }

    /// Learns whether the prediction for this bit was right.
    pub fn update(&mut self, history: &[u8], c0: u32, bits: u32, bit: bool) {
        if let Some((predicted, i)) = self.predicted(history, c0, bits) {
            self.right[i] = counter::update(self.right[i], predicted == bit, 1023);
        }
    }
}
