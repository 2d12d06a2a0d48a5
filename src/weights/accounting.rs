//! Bits per weight, counted honestly: every parameter of the model (embeddings, biases, norms)
//! and every byte of the file (codes, scales, zero points, codebooks, seeds, exponents,
//! headers); beside it the papers' convention, the quantised tensors' codes and side
//! information over their own weights.

use serde::{Deserialize, Serialize};

use super::method::{Encoded, Method, Role};

/// Sizes of one compressed model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Accounting {
    /// Every parameter of the model.
    pub parameters: usize,
    /// Parameters of the tensors the method compressed (not kept in half precision).
    pub quantised_parameters: usize,
    /// Packed bits of the codes of every tensor.
    pub code_bits: u64,
    /// Packed bits of the side information of every tensor.
    pub side_bits: u64,
    /// Packed bits (codes and side) of the quantised tensors.
    pub quantised_bits: u64,
    /// The model in 32-bit floats, bytes.
    pub fp32_bytes: usize,
    /// The file without the lossless stage, bytes (header and checksum included).
    pub packed_file_bytes: usize,
    /// The file as written (after the lossless stage), bytes.
    pub file_bytes: usize,
}

impl Accounting {
    /// The accounting of `encoded` tensors (with their weight counts), whose file takes
    /// `packed_file_bytes` before and `file_bytes` after the lossless stage.
    pub fn of(
        encoded: &[(usize, &Encoded)],
        packed_file_bytes: usize,
        file_bytes: usize,
    ) -> Accounting {
        let mut a = Accounting {
            packed_file_bytes,
            file_bytes,
            ..Accounting::default()
        };
        for &(count, e) in encoded {
            a.parameters += count;
            a.code_bits += e.bits(Role::Codes);
            a.side_bits += e.bits(Role::Side);
            if e.method != Method::Half {
                a.quantised_parameters += count;
                a.quantised_bits += e.bits(Role::Codes) + e.bits(Role::Side);
            }
        }
        a.fp32_bytes = 4 * a.parameters;
        a
    }

    /// Bits per weight over every parameter, from the file before the lossless stage.
    pub fn bpw_all(&self) -> f64 {
        8.0 * self.packed_file_bytes as f64 / self.parameters.max(1) as f64
    }

    /// Bits per weight over every parameter, from the file as written.
    pub fn bpw_file(&self) -> f64 {
        8.0 * self.file_bytes as f64 / self.parameters.max(1) as f64
    }

    /// The papers' bits per weight: quantised tensors' codes and side bits over their weights.
    pub fn bpw_quantised(&self) -> f64 {
        self.quantised_bits as f64 / self.quantised_parameters.max(1) as f64
    }

    /// fp32 bytes over file bytes.
    pub fn ratio(&self) -> f64 {
        self.fp32_bytes as f64 / self.file_bytes.max(1) as f64
    }

    /// What the lossless stage saved, as a fraction of the packed file.
    pub fn lossless_saving(&self) -> f64 {
        1.0 - self.file_bytes as f64 / self.packed_file_bytes.max(1) as f64
    }
}
