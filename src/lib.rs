//! runner: describe a compression-research ablation once in TOML; runner expands the grid,
//! schedules the runs on this machine's GPUs or CPU (or a Slurm cluster), records every result,
//! resumes what is missing after a crash, and reports.
//!
//! Data flows spec → grid → plan/store → scheduler → task → models/data/metrics → analysis →
//! paper report. The modules below are listed in layer order, bottom first: each imports only
//! modules above it in this list (tests/architecture.rs checks it; ARCHITECTURE.md explains).

pub mod error;

pub mod data;
pub mod spec;

pub mod grid;
pub mod store;

pub mod metrics;
pub mod models;
pub mod tracking;

pub mod artifacts;
pub mod codecs;
pub mod prompt;
pub mod task;
pub mod weights;

pub mod bench;

pub mod analysis;
pub mod paper;

pub mod cli;
pub mod console;
pub mod scheduler;
