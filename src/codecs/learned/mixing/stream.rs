//! What one stream's models know of its own past: the history, the bits of the current byte,
//! the context hashes of every order and the word hashes (the current word alone, with the
//! previous word, and with the word before that).

use super::contexts::combine;
use super::match_model::MatchModel;

/// One stream's context.
#[derive(Debug, Clone)]
pub struct StreamContext {
    /// Bytes coded so far.
    pub history: Vec<u8>,
    /// The current byte's bits so far after a leading 1 (1..=255).
    pub c0: u32,
    /// Bits of the current byte coded so far (0..8).
    pub bits: u32,
    /// The current nibble's bits after a leading 1 (1..=15).
    pub nibble: usize,
    /// Hash per hashed model of the bytes before the current one (orders, then words).
    pub hashes: Vec<u32>,
    /// The bucket of each hashed model for the current nibble.
    pub buckets: Vec<usize>,
    /// The match model.
    pub matcher: MatchModel,
    word: u32,
    previous_word: u32,
    older_word: u32,
}

impl StreamContext {
    /// A fresh context with `models` hashed models.
    pub fn new(models: usize, matcher: MatchModel) -> StreamContext {
        StreamContext {
            history: Vec::new(),
            c0: 1,
            bits: 0,
            nibble: 1,
            hashes: vec![0; models],
            buckets: vec![0; models],
            matcher,
            word: 0,
            previous_word: 0,
            older_word: 0,
        }
    }

    /// The last byte (0 at the start).
    pub fn c1(&self) -> u32 {
        self.history.last().map_or(0, |&b| u32::from(b))
    }

    /// The byte before the last.
    pub fn c2(&self) -> u32 {
        let n = self.history.len();
        if n >= 2 {
            u32::from(self.history[n - 2])
        } else {
            0
        }
    }

    /// Advances by one coded bit; true when it completed a byte.
    pub fn advance(&mut self, bit: bool) -> bool {
        self.c0 = (self.c0 << 1) | u32::from(bit);
        self.nibble = (self.nibble << 1) | usize::from(bit);
        self.bits += 1;
        if self.nibble >= 16 {
            self.nibble = 1;
        }
        if self.bits < 8 {
            return false;
        }
        let byte = (self.c0 & 0xFF) as u8;
        self.history.push(byte);
        (self.c0, self.bits) = (1, 0);
        self.matcher.byte(&self.history);
        true
    }

    /// Recomputes the context hashes after a byte for `orders` (then the word models).
    pub fn rehash(&mut self, orders: &[usize], word: bool) {
        let n = self.history.len();
        for (i, &order) in orders.iter().enumerate() {
            let start = n.saturating_sub(order);
            self.hashes[i] = self.history[start..]
                .iter()
                .fold(combine(order as u32, 0x5EED), |h, &b| {
                    combine(h, u32::from(b))
                });
        }
        if !word {
            return;
        }
        let c = self.c1() as u8;
        if c.is_ascii_alphabetic() {
            self.word = combine(self.word, u32::from(c.to_ascii_lowercase()));
        } else if self.word != 0 {
            (self.older_word, self.previous_word, self.word) = (self.previous_word, self.word, 0);
        }
        let k = orders.len();
        self.hashes[k] = combine(self.word, 0x3A3A_0001);
        self.hashes[k + 1] = combine(combine(self.word, self.previous_word), 0x3A3A_0002);
        self.hashes[k + 2] = combine(combine(self.word, self.older_word), 0x3A3A_0003);
    }
}
