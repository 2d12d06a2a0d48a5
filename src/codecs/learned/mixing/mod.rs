//! Context mixing for the learned codec: bytes are coded bit by bit, each bit's probability
//! mixed from fast count-based models (orders 0 and 1 direct, hashed orders up to 6, a word
//! model), a match model for long repeats and, when there is one, the neural model's
//! prediction; then refined by adaptive probability maps. Everything adapts online in integer
//! arithmetic, so the decoder repeats it exactly.

pub mod apm;
pub mod bit_coder;
pub mod coding;
pub mod config;
pub mod contexts;
pub mod counter;
pub mod counter_map;
pub mod filled;
pub mod logistic;
pub mod match_model;
pub mod mixer;
pub mod predictor;
pub mod stream;

pub use config::{Mixing, MixingConfig, MAX_ORDERS};

#[cfg(test)]
mod tests;
