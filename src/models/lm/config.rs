//! The shape of a language model (architecture, widths, vocabulary), part of every identity
//! that involves one, and the bounds a shape read from a file must keep.

use serde::{Deserialize, Serialize};

use super::symbols::{BYTES, MAX_VOCAB};

/// Architecture of a language model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// Gated recurrent unit.
    Gru,
    /// Long short-term memory.
    Lstm,
    /// Causal transformer with a sliding context window.
    Transformer,
}

impl Arch {
    /// Parses `gru`, `lstm` or `transformer`.
    pub fn parse(name: &str) -> Option<Arch> {
        match name {
            "gru" => Some(Arch::Gru),
            "lstm" => Some(Arch::Lstm),
            "transformer" => Some(Arch::Transformer),
            _ => None,
        }
    }

    /// The name used in specs.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Gru => "gru",
            Arch::Lstm => "lstm",
            Arch::Transformer => "transformer",
        }
    }
}

/// Shape of a language model (part of every identity that involves one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LmConfig {
    /// Architecture.
    pub arch: Arch,
    /// Hidden width (recurrent state, or transformer model width).
    pub hidden: usize,
    /// Stacked layers.
    pub layers: usize,
    /// Attention heads (transformer only).
    #[serde(default = "default_heads")]
    pub heads: usize,
    /// Context window in symbols (transformer only).
    #[serde(default = "default_window")]
    pub window: usize,
    /// Symbols: 256 for bytes, or a tokenizer's vocabulary size (then the model's input also
    /// has a start symbol, id `vocab`). Left out of identities when it is 256.
    #[serde(default = "default_vocab", skip_serializing_if = "is_bytes")]
    pub vocab: usize,
}

fn default_vocab() -> usize {
    BYTES
}

fn is_bytes(vocab: &usize) -> bool {
    *vocab == BYTES
}

fn default_heads() -> usize {
    4
}

fn default_window() -> usize {
    128
}

impl LmConfig {
    /// Checks the shape; the message names the problem.
    pub fn validate(&self) -> Result<(), String> {
        if self.hidden == 0 || self.layers == 0 {
            return Err("`hidden` and `layers` must be at least 1".into());
        }
        // Sizes may come from a file's header: bound them before anything is allocated.
        if self.hidden > MAX_HIDDEN || self.layers > MAX_LAYERS || self.window > MAX_WINDOW {
            return Err(format!(
                "the model is implausibly large (hidden {}, layers {}, window {}; at most {MAX_HIDDEN}, {MAX_LAYERS}, {MAX_WINDOW})",
                self.hidden, self.layers, self.window
            ));
        }
        let weights = self.hidden * self.hidden * 8 * self.layers + self.hidden * self.vocab * 2;
        if weights > MAX_WEIGHTS {
            return Err(format!(
                "the model would have about {weights} weights, more than {MAX_WEIGHTS}"
            ));
        }
        if !(2..=MAX_VOCAB).contains(&self.vocab) {
            return Err(format!(
                "the vocabulary ({}) must have 2 to {MAX_VOCAB} symbols",
                self.vocab
            ));
        }
        if self.arch == Arch::Transformer {
            if self.heads == 0 || !self.hidden.is_multiple_of(self.heads) {
                return Err(format!(
                    "`hidden` ({}) must be a multiple of `heads` ({})",
                    self.hidden, self.heads
                ));
            }
            if self.window < 4 {
                return Err("`window` must be at least 4".into());
            }
        }
        Ok(())
    }
}

/// Widest hidden layer a model may have.
pub const MAX_HIDDEN: usize = 8192;
/// Most stacked layers.
pub const MAX_LAYERS: usize = 64;
/// Longest transformer window.
pub const MAX_WINDOW: usize = 1 << 16;
/// Most weights (about 2 GB of f32).
pub const MAX_WEIGHTS: usize = 1 << 29;
