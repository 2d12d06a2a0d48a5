//! Analysis: experiment data loaded from run stores, aggregated over seeds with confidence
//! intervals (`metrics::intervals`), and the threshold statistics of a prompt-compression
//! study. `paper` turns the results into tables, figures and report.md.

pub mod aggregate;
pub mod artifact_contents;
pub mod experiment_data;
pub mod paired;
pub mod reproduction;
pub mod thresholds;
