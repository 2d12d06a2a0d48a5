//! GGUF, llama.cpp's model file: reading its metadata and tensors (dequantized as ggml defines
//! each type) with every declared size checked first, and writing it.

pub mod dtype;
pub mod file;
pub mod value;
pub mod write;

pub use dtype::DType;
pub use file::{Gguf, TensorInfo};
pub use value::MetaValue;
pub use write::GgufWriter;
