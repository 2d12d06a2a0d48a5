//! runner: describe a compression-research ablation once in TOML; runner expands the grid,
//! schedules the runs on this machine's GPUs or CPU, records every result, resumes what is
//! missing after a crash, and reports.
//!
//! Data flows spec → grid → store (plan) → scheduler → task; reporters show what happens.

pub mod analysis;
pub mod artifacts;
pub mod cli;
pub mod codecs;
pub mod data;
pub mod grid;
pub mod metrics;
pub mod models;
pub mod prompt;
pub mod report;
pub mod reporter;
pub mod scheduler;
pub mod spec;
pub mod store;
pub mod task;
