//! Prompt compression by token selection: an algorithm keeps a fraction `ratio` of a context's
//! tokens (whitespace-separated words with their punctuation, the one fixed tokenization every
//! algorithm is measured in) and the reader answers from what is left. `ratio = 1.0` keeps the
//! context unchanged (the uncompressed baseline).
//!
//! Algorithms: `random` (uniform selection, deterministic from the seed and the text),
//! `selective_context` (self-information under a byte-level language model trained on the
//! training articles), `llmlingua` (sentence budgets, then window-by-window selection
//! conditioned on the kept prefix; question-aware on request) and `llmlingua2` (a bidirectional
//! token classifier distilled from oracle labels). Each scores tokens and [`keep_top`] keeps
//! the best-scored fraction in text order.

pub mod compressed;
pub mod llmlingua;
pub mod llmlingua2;
pub mod selective;

use sha2::{Digest, Sha256};

pub use crate::models::selection::{budget, top};
pub use compressed::{from_mask, keep_top, tokens, Compressed};

use crate::models::lm::LanguageModel;
use crate::models::token_classifier::{TokenClassifier, TokenClassifierConfig};

/// A token-selection algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// A uniform random sample, deterministic from the seed and the text.
    Random,
    /// Self-information under a byte-level language model.
    SelectiveContext,
    /// Sentence budgets, then window-by-window selection conditioned on the kept prefix.
    Llmlingua,
    /// A bidirectional token classifier's keep probabilities.
    Llmlingua2,
}

impl Algorithm {
    /// Every algorithm with its name, in documentation order.
    pub const ALL: [(&'static str, Algorithm); 4] = [
        ("random", Algorithm::Random),
        ("selective_context", Algorithm::SelectiveContext),
        ("llmlingua", Algorithm::Llmlingua),
        ("llmlingua2", Algorithm::Llmlingua2),
    ];

    /// Its name in specs.
    pub fn name(self) -> &'static str {
        Algorithm::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("", |(n, _)| n)
    }
}

/// The trained model an algorithm scores tokens with.
#[derive(Clone, Copy)]
pub enum Scorer<'a> {
    /// None (`random`).
    None,
    /// A causal language model (`selective_context`, `llmlingua`).
    Lm(&'a LanguageModel),
    /// A token classifier and its shape (`llmlingua2`).
    Classifier(&'a TokenClassifier, &'a TokenClassifierConfig),
}

/// Uniformly random selection: the same text, ratio and seed always keep the same tokens.
pub fn random(text: &str, ratio: f64, seed: u64) -> Compressed {
    let toks = tokens(text);
    let digest = Sha256::digest(text.as_bytes());
    let text_seed = u64::from_le_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let order = crate::data::sampling::permutation(toks.len(), seed ^ text_seed);
    let mut scores = vec![0.0; toks.len()];
    for (rank, &i) in order.iter().enumerate() {
        scores[i] = -(rank as f64);
    }
    keep_top(&toks, &scores, ratio)
}

/// Compresses `text` with an algorithm and its scoring model (`question`: makes `llmlingua`
/// question-aware).
pub fn compress(
    algorithm: Algorithm,
    text: &str,
    ratio: f64,
    seed: u64,
    scorer: Scorer,
    question: Option<&str>,
) -> anyhow::Result<Compressed> {
    match (algorithm, scorer) {
        (Algorithm::Random, _) => Ok(random(text, ratio, seed)),
        (Algorithm::SelectiveContext, Scorer::Lm(model)) => {
            Ok(selective::selective_context(model, text, ratio))
        }
        (Algorithm::Llmlingua, Scorer::Lm(model)) => {
            Ok(llmlingua::compress(model, text, ratio, question))
        }
        (Algorithm::Llmlingua2, Scorer::Classifier(model, config)) => {
            Ok(llmlingua2::compress(model, config, text, ratio))
        }
        (Algorithm::SelectiveContext | Algorithm::Llmlingua, _) => {
            anyhow::bail!("{} needs a language model", algorithm.name())
        }
        (Algorithm::Llmlingua2, _) => anyhow::bail!("llmlingua2 needs a token classifier"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "The Broncos play in Denver. In 2015 the Broncos defeated the Carolina Panthers.";

    #[test]
    fn random_keeps_the_budget_in_order_and_is_seeded() {
        let all = random(TEXT, 1.0, 3);
        assert_eq!(all.text, tokens(TEXT).join(" "));
        assert_eq!((all.kept, all.total), (13, 13));
        let half = random(TEXT, 0.5, 3);
        assert_eq!((half.kept, half.total), (7, 13));
        assert_eq!(half, random(TEXT, 0.5, 3), "deterministic");
        assert_ne!(half.text, random(TEXT, 0.5, 4).text, "seeded");
        // Kept tokens are a subsequence of the original (their order is kept).
        let original = tokens(TEXT);
        let mut at = 0;
        for t in tokens(&half.text) {
            at += original[at..]
                .iter()
                .position(|u| *u == t)
                .expect("in order")
                + 1;
        }
        assert_eq!(random("", 0.5, 1).kept, 0);
        assert_eq!(random("one", 0.01, 1).kept, 1);
    }

    #[test]
    fn top_scores_win_and_ties_keep_the_earlier_token() {
        let toks = ["a", "b", "c", "d"];
        let c = keep_top(&toks, &[0.1, 0.9, 0.9, 0.2], 0.5);
        assert_eq!(c.text, "b c");
        let c = keep_top(&toks, &[1.0, 1.0, 1.0, 1.0], 0.25);
        assert_eq!(c.text, "a");
    }
}
