//! Metrics computed on real outputs: SQuAD v1.1 F1 and exact match.

pub mod qa_eval;
pub mod squad;
