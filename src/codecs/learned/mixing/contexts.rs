//! Hashed context models: for every order, the bytes before the current one hash to a bucket
//! of one cache line per nibble (a 32-bit check and the 15 counters of the nibble's bit
//! contexts), so a byte costs two memory lookups per order. A bucket whose check differs
//! belongs to another context: it is reset, so collisions cost what they forget, not wrong
//! statistics.

use super::counter::{self, FRESH};

/// Counters in a bucket: the check, then the 15 bit contexts of a nibble.
const BUCKET: usize = 16;

/// A table of buckets.
#[derive(Debug, Clone)]
pub struct HashedTable {
    slots: Vec<u32>,
    mask: usize,
    limit: u32,
}

impl HashedTable {
    /// A table of 2^`bits` buckets whose counters count up to `limit` (an error when the
    /// memory cannot be had).
    pub fn new(bits: u32, limit: u32) -> anyhow::Result<HashedTable> {
        Ok(HashedTable {
            slots: super::filled::filled(BUCKET << bits, 0)?,
            mask: (1 << bits) - 1,
            limit,
        })
    }

    /// Bytes a table of 2^`bits` buckets takes.
    pub fn bytes(bits: u32) -> u64 {
        (BUCKET as u64 * 4) << bits
    }

    /// The bucket of context hash `h` (reset if it held another context): its base index.
    pub fn bucket(&mut self, h: u32) -> usize {
        let base = ((h as usize).wrapping_mul(0x9E37_79B1) >> 7 & self.mask) * BUCKET;
        let check = h | 1;
        if self.slots[base] != check {
            self.slots[base] = check;
            self.slots[base + 1..base + BUCKET].fill(FRESH);
        }
        base
    }

    /// The counter at `base` for the nibble's bit context `within` (1..16: a leading 1, then
    /// the nibble's bits so far).
    #[inline]
    pub fn get(&self, base: usize, within: usize) -> u32 {
        self.slots[base + within]
    }

    /// Updates that counter with `bit`.
    #[inline]
    pub fn update(&mut self, base: usize, within: usize, bit: bool) {
        let s = &mut self.slots[base + within];
        *s = counter::update(*s, bit, self.limit);
    }
}

/// A directly indexed table of counters (small contexts: order 0 and 1).
#[derive(Debug, Clone)]
pub struct DirectTable {
    slots: Vec<u32>,
    limit: u32,
}

impl DirectTable {
    /// `size` fresh counters counting up to `limit`.
    pub fn new(size: usize, limit: u32) -> DirectTable {
        DirectTable {
            slots: vec![FRESH; size],
            limit,
        }
    }

    /// The counter at `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        self.slots[i]
    }

    /// Updates counter `i` with `bit`.
    #[inline]
    pub fn update(&mut self, i: usize, bit: bool) {
        self.slots[i] = counter::update(self.slots[i], bit, self.limit);
    }
}

/// A 32-bit hash of `x` mixed into `h`.
#[inline]
pub fn combine(h: u32, x: u32) -> u32 {
    (h ^ x)
        .wrapping_mul(0x2C1B_3C6D)
        .rotate_left(13)
        .wrapping_add(x.wrapping_mul(0x297A_2D39))
}
