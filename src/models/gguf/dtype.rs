//! The tensor types runner reads from GGUF files and how each is dequantized, exactly as ggml
//! defines them: F32, F16, BF16, and the 32-weight blocks Q8_0 (f16 scale d, 32 i8: w = d·q),
//! Q4_0 (f16 d, 16 bytes of nibbles: w = d·(q − 8)) and Q4_1 (f16 d, f16 minimum m, 16 bytes
//! of nibbles: w = d·q + m). In a block's nibble bytes, byte j holds weight j in its low nibble
//! and weight j + 16 in its high one.

use half::{bf16, f16};

/// Weights per block of the quantized types.
pub const BLOCK: usize = 32;

/// A tensor type runner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
    /// 8-bit blocks with one scale.
    Q8_0,
    /// 4-bit blocks with one scale.
    Q4_0,
    /// 4-bit blocks with a scale and a minimum.
    Q4_1,
}

impl DType {
    /// The type of ggml's type code, if runner reads it.
    pub fn from_code(code: u32) -> Option<DType> {
        Some(match code {
            0 => DType::F32,
            1 => DType::F16,
            2 => DType::Q4_0,
            3 => DType::Q4_1,
            8 => DType::Q8_0,
            30 => DType::Bf16,
            _ => return None,
        })
    }

    /// ggml's type code.
    pub fn code(self) -> u32 {
        match self {
            DType::F32 => 0,
            DType::F16 => 1,
            DType::Q4_0 => 2,
            DType::Q4_1 => 3,
            DType::Q8_0 => 8,
            DType::Bf16 => 30,
        }
    }

    /// ggml's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "F32",
            DType::F16 => "F16",
            DType::Bf16 => "BF16",
            DType::Q8_0 => "Q8_0",
            DType::Q4_0 => "Q4_0",
            DType::Q4_1 => "Q4_1",
        }
    }

    /// Weights per block (1 for the float types).
    pub fn block_weights(self) -> usize {
        match self {
            DType::F32 | DType::F16 | DType::Bf16 => 1,
            _ => BLOCK,
        }
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F16 | DType::Bf16 => 2,
            DType::Q8_0 => 2 + BLOCK,
            DType::Q4_0 => 2 + BLOCK / 2,
            DType::Q4_1 => 4 + BLOCK / 2,
        }
    }

    /// Bytes `n` weights take, if `n` is a whole number of blocks.
    pub fn bytes_for(self, n: u64) -> Option<u64> {
        let per = self.block_weights() as u64;
        n.is_multiple_of(per)
            .then(|| n / per * self.block_bytes() as u64)
    }

    /// Bits per weight (Q4_1: 5.0, Q8_0: 8.5).
    pub fn bits_per_weight(self) -> f64 {
        self.block_bytes() as f64 * 8.0 / self.block_weights() as f64
    }
}

/// The names of ggml's type codes runner does not read, for messages.
pub fn code_name(code: u32) -> String {
    match DType::from_code(code) {
        Some(t) => t.name().to_string(),
        None => match code {
            6 => "Q5_0".into(),
            7 => "Q5_1".into(),
            9 => "Q8_1".into(),
            10 => "Q2_K".into(),
            11 => "Q3_K".into(),
            12 => "Q4_K".into(),
            13 => "Q5_K".into(),
            14 => "Q6_K".into(),
            15 => "Q8_K".into(),
            other => format!("type {other}"),
        },
    }
}

fn half_at(bytes: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([bytes[at], bytes[at + 1]]).to_f32()
}

/// The weights `bytes` hold as `dtype` (a whole number of blocks), as f32.
pub fn dequantize(dtype: DType, bytes: &[u8]) -> Vec<f32> {
    let size = dtype.block_bytes();
    let mut out = Vec::with_capacity(bytes.len() / size * dtype.block_weights());
    for block in bytes.chunks_exact(size) {
        match dtype {
            DType::F32 => out.push(f32::from_le_bytes([block[0], block[1], block[2], block[3]])),
            DType::F16 => out.push(half_at(block, 0)),
            DType::Bf16 => out.push(bf16::from_le_bytes([block[0], block[1]]).to_f32()),
            DType::Q8_0 => {
                let d = half_at(block, 0);
                out.extend(block[2..].iter().map(|&q| d * (q as i8) as f32));
            }
            DType::Q4_0 => {
                let d = half_at(block, 0);
                let qs = &block[2..];
                out.extend(qs.iter().map(|&q| d * ((q & 0x0f) as i32 - 8) as f32));
                out.extend(qs.iter().map(|&q| d * ((q >> 4) as i32 - 8) as f32));
            }
            DType::Q4_1 => {
                let (d, m) = (half_at(block, 0), half_at(block, 2));
                let qs = &block[4..];
                out.extend(qs.iter().map(|&q| d * (q & 0x0f) as f32 + m));
                out.extend(qs.iter().map(|&q| d * (q >> 4) as f32 + m));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn half(v: f32) -> [u8; 2] {
        f16::from_f32(v).to_le_bytes()
    }

    #[test]
    fn blocks_dequantize_as_ggml_defines_them() {
        // Q4_1: d = 0.5, m = -1; byte j = (j + 16 high nibble) | j low nibble.
        let mut q41 = Vec::new();
        q41.extend(half(0.5));
        q41.extend(half(-1.0));
        q41.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        let w = dequantize(DType::Q4_1, &q41);
        assert_eq!(w.len(), 32);
        assert_eq!(w[3], 0.5 * 3.0 - 1.0);
        assert_eq!(w[16 + 3], 0.5 * 12.0 - 1.0);
        // Q4_0: d = 2; nibble 8 is zero.
        let mut q40 = half(2.0).to_vec();
        q40.extend([0x8f; 16]);
        let w = dequantize(DType::Q4_0, &q40);
        assert_eq!((w[0], w[16]), (2.0 * 7.0, 0.0));
        // Q8_0: d = 0.25, q = -128..
        let mut q80 = half(0.25).to_vec();
        q80.extend((0..32).map(|j| (j as i8 - 16) as u8));
        let w = dequantize(DType::Q8_0, &q80);
        assert_eq!((w[0], w[31]), (-4.0, 3.75));
        let bf = dequantize(DType::Bf16, &bf16::from_f32(1.5).to_le_bytes());
        assert_eq!(bf, [1.5]);
        assert_eq!(DType::Q4_1.bits_per_weight(), 5.0);
        assert_eq!(DType::Q8_0.bits_per_weight(), 8.5);
        assert_eq!(DType::Q4_1.bytes_for(64), Some(40));
        assert_eq!(DType::Q4_1.bytes_for(33), None);
    }
}
