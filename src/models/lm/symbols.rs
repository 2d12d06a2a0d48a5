//! The symbols a language model reads and predicts: bytes, or tokens of a byte-level BPE.

use burn::tensor::{Device, Int, Tensor};

/// Symbols a byte-level model predicts.
pub const BYTES: usize = 256;
/// Largest vocabulary (frequency tables have 16 bits, every symbol at least 1).
pub const MAX_VOCAB: usize = 8192;

/// Int tensor [batch] of input symbols.
pub(crate) fn symbols_tensor(inputs: &[usize], device: &Device) -> Tensor<2, Int> {
    let data: Vec<i64> = inputs.iter().map(|&s| s as i64).collect();
    Tensor::<2, Int>::from_data(
        burn::tensor::TensorData::new(data, [inputs.len(), 1]),
        device,
    )
}
