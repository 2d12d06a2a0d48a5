//! The `llm-eval` task kind and `runner llm`: a pretrained language model measured on texts
//! (bits per byte) and on zero-shot question answering.

pub mod measure;
pub mod params;
pub mod qa;
pub mod task;

pub use params::LlmEvalParams;
pub use task::LlmEvalTask;
