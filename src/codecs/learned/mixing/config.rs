//! The mixer's configuration: which models it mixes and how big their tables are.

use serde::{Deserialize, Serialize};

use super::super::mode::Mode;
use super::contexts;

/// What predicts the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mixing {
    /// The bench's recommendation: `on` with a pretrained model (pretrained and dynamic
    /// modes: the network is trained already and costs only its inference), `counts` in
    /// adaptive mode (a network trained while coding improved the size by under 1% at about
    /// 40 times the time).
    Auto,
    /// The network's prediction mixed with the count and match models.
    On,
    /// The count and match models alone (the network never runs).
    Counts,
    /// The network alone, its distribution range-coded per symbol.
    Off,
}

impl Mixing {
    /// What `self` means in `mode` (never `Auto`).
    pub fn resolve(self, mode: Mode) -> Mixing {
        match (self, mode) {
            (Mixing::Auto, Mode::Adaptive) => Mixing::Counts,
            (Mixing::Auto, _) => Mixing::On,
            (m, _) => m,
        }
    }

    /// The mixer's configuration in `mode` (None: no mixing).
    pub fn config(self, mode: Mode) -> Option<MixingConfig> {
        match self.resolve(mode) {
            Mixing::On => Some(MixingConfig::default()),
            Mixing::Counts => Some(MixingConfig {
                neural: false,
                ..MixingConfig::default()
            }),
            Mixing::Off | Mixing::Auto => None,
        }
    }
}

/// The most hashed orders: with the word models and 2^22 buckets of 64 bytes, under 4 GiB of
/// tables (what a file may ask for is further bounded by the decoder's memory limit).
pub const MAX_ORDERS: usize = 12;

/// The mixer's configuration (recorded in the file: the decoder builds the same models).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MixingConfig {
    /// Hashed context orders (bytes before the current one), e.g. [2, 3, 4, 6].
    pub orders: Vec<usize>,
    /// The word models (the current word's letters; with the previous word).
    pub word: bool,
    /// 2^bits buckets of 64 bytes per hashed model.
    pub table_bits: u32,
    /// Bytes a match must repeat before the match model predicts (0: no match model).
    pub match_min: usize,
    /// The neural model's prediction is one of the inputs (false: count models only, and the
    /// network is not run at all).
    pub neural: bool,
    /// The mixer's learning rate, in 1/4096.
    pub mixer_rate: i32,
    /// The counters' count limit (their slowest rate is 1 / (limit + 1.5)).
    pub counter_limit: u32,
}

impl Default for MixingConfig {
    fn default() -> MixingConfig {
        MixingConfig {
            orders: vec![2, 3, 4, 5, 6, 8],
            word: true,
            table_bits: 20,
            match_min: 8,
            neural: true,
            mixer_rate: 16,
            counter_limit: 12,
        }
    }
}

impl MixingConfig {
    /// A problem with the configuration, if any.
    /// Hashed models: the orders and, with `word`, the word models.
    pub fn models(&self) -> usize {
        self.orders.len() + if self.word { WORD_MODELS } else { 0 }
    }

    /// Bytes the mixer takes with `streams` streams: the shared hashed tables, each stream's
    /// match table and contexts, and the fixed tables (direct counters, mixers, APMs).
    pub fn memory(&self, streams: usize) -> u64 {
        let shared = self.models() as u64 * contexts::HashedTable::bytes(self.table_bits);
        let per_stream = (4u64 << match_bits(streams)) + 16 * self.models() as u64 + 512;
        let fixed = 32 << 20;
        shared + streams as u64 * per_stream + fixed
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.orders.len() > MAX_ORDERS || self.orders.iter().any(|&o| !(1..=16).contains(&o)) {
            return Err(format!(
                "mixing orders {:?}: at most {MAX_ORDERS}, each between 1 and 16",
                self.orders
            ));
        }
        if !(10..=22).contains(&self.table_bits) {
            return Err(format!(
                "table_bits {} must be between 10 and 22",
                self.table_bits
            ));
        }
        if !(1..=1023).contains(&self.counter_limit) || !(1..=4096).contains(&self.mixer_rate) {
            return Err("counter_limit must be 1..1023 and mixer_rate 1..4096".into());
        }
        Ok(())
    }
}

/// Hashed models of the word model: the word, with the previous word, with the one before.
pub(crate) const WORD_MODELS: usize = 3;

/// Bits of each stream's match table: 2^20 positions for up to 4 streams, fewer for more
/// streams (their chunks are shorter), so memory stays bounded.
pub(crate) fn match_bits(streams: usize) -> u32 {
    let log = usize::BITS - streams.max(1).saturating_sub(1).leading_zeros();
    22u32.saturating_sub(log).clamp(12, 20)
}
