//! A 64-bit range coder over 32-bit frequency totals, for large vocabularies: a pretrained
//! model's 49,152 tokens each need a frequency of at least 1, which a 16-bit table could not
//! spare. LZMA-style (the range renormalised byte by byte below 2^56, carries propagated
//! through a cached byte); the range never falls below 2^56, so `range >> 32` keeps at least
//! 24 bits of precision. Decoding past the end reads zeros and is reported (`overran`).

/// Bits of the frequency totals.
pub const TOTAL_BITS: u32 = 32;
/// The renormalisation bound.
const TOP: u64 = 1 << 56;

/// Encodes symbols given their cumulative frequency and frequency (of 2^32).
#[derive(Debug)]
pub struct WideEncoder {
    low: u128,
    range: u64,
    cache: u8,
    cache_size: u64,
    out: Vec<u8>,
}

impl Default for WideEncoder {
    fn default() -> Self {
        WideEncoder {
            low: 0,
            range: u64::MAX,
            cache: 0,
            cache_size: 1,
            out: Vec::new(),
        }
    }
}

impl WideEncoder {
    /// Codes the interval [cum, cum + freq) of 2^32.
    pub fn encode(&mut self, cum: u64, freq: u64) {
        debug_assert!(freq > 0 && cum + freq <= 1 << TOTAL_BITS);
        let r = self.range >> TOTAL_BITS;
        self.low += u128::from(r) * u128::from(cum);
        self.range = r * freq;
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    fn shift_low(&mut self) {
        if (self.low as u64) < 0xFF00_0000_0000_0000 || (self.low >> 64) != 0 {
            let carry = (self.low >> 64) as u8;
            let mut byte = self.cache;
            loop {
                self.out.push(byte.wrapping_add(carry));
                byte = 0xFF;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = ((self.low >> 56) & 0xFF) as u8;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00FF_FFFF_FFFF_FFFF) << 8;
    }

    /// The coded bytes. The first byte the coder writes is always 0 (the coded value lies in
    /// [0, 1)) and is left out; the flush writes the value of the final interval with the most
    /// trailing zero bytes, and those are left out too: the decoder reads zeros past the end.
    pub fn finish(mut self) -> Vec<u8> {
        let end = self.low + u128::from(self.range);
        for zeros in (0..8).rev() {
            let mask = (1u128 << (8 * zeros)) - 1;
            let v = (self.low + mask) & !mask;
            if v < end {
                self.low = v;
                break;
            }
        }
        for _ in 0..9 {
            self.shift_low();
        }
        debug_assert_eq!(self.out.first(), Some(&0));
        self.out.remove(0);
        while self.out.last() == Some(&0) {
            self.out.pop();
        }
        self.out
    }
}

/// Decodes what [`WideEncoder`] coded.
#[derive(Debug)]
pub struct WideDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    code: u64,
    range: u64,
    r: u64,
}

impl<'a> WideDecoder<'a> {
    /// A decoder of `data`.
    pub fn new(data: &'a [u8]) -> WideDecoder<'a> {
        let mut d = WideDecoder {
            data,
            pos: 0,
            code: 0,
            range: u64::MAX,
            r: 0,
        };
        for _ in 0..8 {
            d.code = (d.code << 8) | u64::from(d.next_byte());
        }
        d
    }

    fn next_byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// The cumulative frequency the next symbol's interval contains.
    pub fn target(&mut self) -> u64 {
        self.r = self.range >> TOTAL_BITS;
        (self.code / self.r).min((1 << TOTAL_BITS) - 1)
    }

    /// Removes the decoded symbol's interval (as [`WideEncoder::encode`] gave it).
    pub fn consume(&mut self, cum: u64, freq: u64) {
        self.code -= self.r * cum;
        self.range = self.r * freq;
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u64::from(self.next_byte());
        }
    }

    /// Whether decoding read past the end of the data by more than the zeros the flush left
    /// out (the stream was cut, or its header claims more symbols than it holds).
    pub fn overran(&self) -> bool {
        self.pos > self.data.len() + 9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_intervals_round_trip_at_every_scale() {
        let total = 1u64 << TOTAL_BITS;
        let mut state = 99u64;
        let mut symbols = Vec::new();
        for i in 0..20_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Intervals from a single unit to nearly everything.
            let freq = match i % 4 {
                0 => 1,
                1 => 1 + (state >> 40) % 1000,
                2 => total / 3,
                _ => total - 50_000,
            };
            let cum = (state >> 20) % (total - freq + 1);
            symbols.push((cum, freq));
        }
        let mut e = WideEncoder::default();
        for &(c, f) in &symbols {
            e.encode(c, f);
        }
        let bytes = e.finish();
        let mut d = WideDecoder::new(&bytes);
        for &(c, f) in &symbols {
            let t = d.target();
            assert!(t >= c && t < c + f, "target {t} outside [{c}, {})", c + f);
            d.consume(c, f);
        }
        assert!(
            !d.overran(),
            "a whole stream is read without running past its end"
        );
        let mut cut = WideDecoder::new(&bytes[..bytes.len() / 2]);
        for _ in &symbols {
            let t = cut.target();
            cut.consume(t, 1);
        }
        assert!(cut.overran());
    }
}
