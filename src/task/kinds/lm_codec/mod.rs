//! The `lm-codec` task kind: learned lossless compression of files with a language model and
//! a range coder, and the coding of one run's files.

pub mod files;
pub mod llm_file;
pub mod llm_run;
pub mod one_file;
pub mod task;

pub use task::{LmCodecParams, LmCodecTask};
