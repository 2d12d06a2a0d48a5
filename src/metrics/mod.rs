//! Metrics computed on real outputs: SQuAD v1.1 F1 and exact match, confidence intervals of a
//! mean, and which direction of a metric is better.

pub mod declared;
pub mod direction;
pub mod flatten;
pub mod intervals;
pub mod qa_eval;
pub mod squad;
