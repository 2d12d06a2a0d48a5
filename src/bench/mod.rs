//! Benchmarks runner runs itself: training throughput of its models on a GPU against the CPU
//! (`runner devices --bench`) and the learned codec's settings against reference compressors
//! (`runner lm-codec bench`). They measure and record; the CLI only parses their options.

pub mod devices;
pub mod lm_codec;
