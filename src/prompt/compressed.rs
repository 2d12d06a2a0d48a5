//! A compressed context (the tokens kept, in text order) and the two ways a selection makes
//! one: from a keep mask, or the best-scored tokens within the ratio's budget.

use crate::models::selection::{budget, top};

/// A compressed context.
#[derive(Debug, Clone, PartialEq)]
pub struct Compressed {
    /// The kept tokens, in order, joined by single spaces.
    pub text: String,
    /// Tokens kept.
    pub kept: usize,
    /// Tokens in the original.
    pub total: usize,
}

/// The tokens of a text (whitespace-separated).
pub fn tokens(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The tokens whose `keep` flag is set, in text order.
pub fn from_mask(tokens: &[&str], keep: &[bool]) -> Compressed {
    let kept: Vec<&str> = tokens
        .iter()
        .zip(keep)
        .filter_map(|(t, &k)| k.then_some(*t))
        .collect();
    Compressed {
        text: kept.join(" "),
        kept: kept.len(),
        total: tokens.len(),
    }
}

/// Keeps the `budget(n, ratio)` best-scored tokens (ties: earlier first), in text order.
pub fn keep_top(tokens: &[&str], scores: &[f64], ratio: f64) -> Compressed {
    let mut keep = vec![false; tokens.len()];
    for i in top(scores, budget(tokens.len(), ratio)) {
        keep[i] = true;
    }
    from_mask(tokens, &keep)
}
