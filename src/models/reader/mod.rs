//! The neural extractive reader (burn): features, model, training with checkpoints.

pub mod features;
pub mod model;
pub mod train;
