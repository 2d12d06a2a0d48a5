//! A binary arithmetic coder (32-bit, carry-less: the interval shrinks until its ends share a
//! leading byte, which is then written). Each bit is coded with a 16-bit probability that it
//! is 1. Decoding past the end reads zeros, so a damaged stream gives wrong bits (caught by
//! the chunk's CRC), never a panic.

/// Encodes bits.
#[derive(Debug, Default)]
pub struct BitEncoder {
    low: u32,
    high: u32,
    out: Vec<u8>,
}

/// Where an interval splits for a bit of probability `p1` (of 65536) of being 1.
fn split(low: u32, high: u32, p1: u32) -> u32 {
    let range = u64::from(high - low);
    low + ((range * u64::from(p1.clamp(1, 65535))) >> 16) as u32
}

impl BitEncoder {
    /// An empty encoder.
    pub fn new() -> BitEncoder {
        BitEncoder {
            low: 0,
            high: u32::MAX,
            out: Vec::new(),
        }
    }

    /// Codes `bit` with probability `p1` / 65536 of a 1.
    pub fn encode(&mut self, bit: bool, p1: u32) {
        let mid = split(self.low, self.high, p1);
        if bit {
            self.high = mid;
        } else {
            self.low = mid + 1;
        }
        while (self.low ^ self.high) & 0xFF00_0000 == 0 {
            self.out.push((self.high >> 24) as u8);
            self.low <<= 8;
            self.high = (self.high << 8) | 0xFF;
        }
    }

    /// The coded bytes.
    pub fn finish(mut self) -> Vec<u8> {
        // Enough of `low` to land inside the final interval.
        self.out.extend_from_slice(&self.low.to_be_bytes());
        self.out
    }
}

/// Decodes bits.
#[derive(Debug)]
pub struct BitDecoder<'a> {
    low: u32,
    high: u32,
    x: u32,
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitDecoder<'a> {
    /// A decoder over a coded stream.
    pub fn new(data: &'a [u8]) -> BitDecoder<'a> {
        let mut d = BitDecoder {
            low: 0,
            high: u32::MAX,
            x: 0,
            data,
            pos: 0,
        };
        for _ in 0..4 {
            d.x = (d.x << 8) | u32::from(d.byte());
        }
        d
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// Whether decoding has read past the end of the data: the encoder's flush leaves exactly
    /// what decoding reads, so a valid stream never does.
    pub fn overran(&self) -> bool {
        self.pos > self.data.len()
    }

    /// The next bit, coded with probability `p1` / 65536 of a 1.
    pub fn decode(&mut self, p1: u32) -> bool {
        let mid = split(self.low, self.high, p1);
        let bit = self.x <= mid;
        if bit {
            self.high = mid;
        } else {
            self.low = mid + 1;
        }
        while (self.low ^ self.high) & 0xFF00_0000 == 0 {
            self.low <<= 8;
            self.high = (self.high << 8) | 0xFF;
            self.x = (self.x << 8) | u32::from(self.byte());
        }
        bit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_at_every_probability() {
        let mut state = 12345u64;
        let mut bits = Vec::new();
        for i in 0..20_000u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let p = [1, 100, 30_000, 32_768, 65_000, 65_535][(i % 6) as usize];
            let bit = (state >> 33) % 65_536 < u64::from(p);
            bits.push((bit, p));
        }
        let mut e = BitEncoder::new();
        for &(b, p) in &bits {
            e.encode(b, p);
        }
        let coded = e.finish();
        let mut d = BitDecoder::new(&coded);
        for &(b, p) in &bits {
            assert_eq!(d.decode(p), b);
        }
        // Skewed bits cost less than one bit each.
        assert!(coded.len() * 8 < bits.len());
    }
}
