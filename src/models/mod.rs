//! Models: non-neural reference readers, the neural reader, and byte-level language models.

pub mod baselines;
pub mod checkpoint;
pub mod lm;
pub mod reader;
pub mod words;
