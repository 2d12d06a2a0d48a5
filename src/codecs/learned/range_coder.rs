//! A range coder over integer frequency tables (LZMA-style: 32-bit range, 64-bit low with
//! carry propagation, byte-wise output). Tables sum to `2^TOTAL_BITS`; every symbol that can
//! occur has a frequency of at least 1. Decoding corrupted input never panics: it yields some
//! symbols, which the container's checksums then reject.

/// Precision of frequency tables.
pub const TOTAL_BITS: u32 = 16;
/// Sum of every frequency table.
pub const TOTAL: u32 = 1 << TOTAL_BITS;
const TOP: u32 = 1 << 24;

/// Encodes symbols into bytes.
#[derive(Debug)]
pub struct Encoder {
    low: u64,
    range: u32,
    cache: u8,
    cache_size: u64,
    out: Vec<u8>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            low: 0,
            range: u32::MAX,
            cache: 0,
            cache_size: 1,
            out: Vec::new(),
        }
    }
}

impl Encoder {
    /// Codes a symbol occupying `[cum, cum + freq)` of the table.
    pub fn encode(&mut self, cum: u32, freq: u32) {
        debug_assert!(freq > 0 && cum + freq <= TOTAL);
        let r = self.range >> TOTAL_BITS;
        self.low += u64::from(r) * u64::from(cum);
        self.range = r * freq;
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    fn shift_low(&mut self) {
        if (self.low as u32) < 0xFF00_0000 || (self.low >> 32) != 0 {
            let carry = (self.low >> 32) as u8;
            let mut byte = self.cache;
            loop {
                self.out.push(byte.wrapping_add(carry));
                byte = 0xFF;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    /// Flushes and returns the coded bytes.
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        self.out
    }
}

/// Decodes symbols from bytes produced by [`Encoder`].
#[derive(Debug)]
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    code: u32,
    range: u32,
    r: u32,
}

impl<'a> Decoder<'a> {
    /// Starts decoding `data`.
    pub fn new(data: &'a [u8]) -> Decoder<'a> {
        let mut d = Decoder {
            data,
            pos: 0,
            code: 0,
            range: u32::MAX,
            r: 0,
        };
        for _ in 0..5 {
            d.code = (d.code << 8) | u32::from(d.next_byte());
        }
        d
    }

    fn next_byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// The position in the table of the next symbol (call [`Decoder::consume`] next).
    pub fn target(&mut self) -> u32 {
        self.r = self.range >> TOTAL_BITS;
        (self.code / self.r).min(TOTAL - 1)
    }

    /// Removes the symbol found at `[cum, cum + freq)`.
    pub fn consume(&mut self, cum: u32, freq: u32) {
        self.code -= self.r * cum;
        self.range = self.r * freq;
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.next_byte());
        }
    }

    /// Whether decoding read past the end of its input (a truncated stream).
    pub fn overran(&self) -> bool {
        // The encoder's flush writes 4 bytes beyond what decoding needs: reading more than
        // that many past the end means the input was cut short.
        self.pos > self.data.len() + 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A skewed static table over 4 symbols.
    const FREQS: [u32; 4] = [TOTAL - 300, 100, 150, 50];

    fn cum(s: usize) -> u32 {
        FREQS[..s].iter().sum()
    }

    #[test]
    fn round_trips_and_compresses_skewed_sources() {
        let symbols: Vec<usize> = (0..20_000u32)
            .map(|i| match i.wrapping_mul(2_654_435_761) % 1000 {
                0..=990 => 0,
                991..=994 => 1,
                995..=998 => 2,
                _ => 3,
            })
            .collect();
        let mut enc = Encoder::default();
        for &s in &symbols {
            enc.encode(cum(s), FREQS[s]);
        }
        let bytes = enc.finish();
        // The ideal cost under this table is about 0.08 bits per symbol.
        assert!(bytes.len() < 400, "{} bytes", bytes.len());
        let mut dec = Decoder::new(&bytes);
        for (i, &s) in symbols.iter().enumerate() {
            let t = dec.target();
            let found = (0..4).rev().find(|&k| cum(k) <= t).unwrap();
            assert_eq!(found, s, "symbol {i}");
            dec.consume(cum(found), FREQS[found]);
        }
        assert!(!dec.overran());
    }

    #[test]
    fn garbage_input_decodes_without_panicking() {
        let junk: Vec<u8> = (0..64u32).map(|i| (i * 97 % 251) as u8).collect();
        let mut dec = Decoder::new(&junk[..7]);
        for _ in 0..1000 {
            let t = dec.target();
            let found = (0..4).rev().find(|&k| cum(k) <= t).unwrap();
            dec.consume(cum(found), FREQS[found]);
        }
        assert!(dec.overran());
    }
}
