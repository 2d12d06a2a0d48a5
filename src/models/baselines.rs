//! Non-neural reference readers, so reports can say how far a trained reader is above chance:
//!
//! - **Sliding window** (Richardson et al. 2013, the lexical baseline of Rajpurkar et al. 2016):
//!   every span of 1 to `max_len` words that contains no question word and does not begin or end
//!   with a stopword is a candidate, if it lies in one of the sentences with the largest
//!   unigram + bigram overlap with the question; its score is the sum, over the distinct
//!   non-stopword question words found in a window of `window` words on each side of it, of
//!   their inverse frequency weight log(1 + 1/count in the passage), plus 0.5 when its shape
//!   fits the question type (a number for when / how many, capitalised words for who / where /
//!   which). The best candidate wins (ties: longer, then earlier). Rajpurkar et al. restricted
//!   candidates to parse constituents; without a parser, word n-grams stand in for them.
//! - **Random span**: a span of 1 to `max_len` words at a random position, seeded by the
//!   question id, so a run is repeatable.

use std::collections::{HashMap, HashSet};

use super::words::{is_stopword, words};
use crate::data::question_type::QuestionType;

/// Settings of the sliding-window reader.
#[derive(Debug, Clone, Copy)]
pub struct SlidingWindow {
    /// Longest candidate, in words.
    pub max_len: usize,
    /// Words on each side of a candidate that count as its window.
    pub window: usize,
}

impl Default for SlidingWindow {
    fn default() -> Self {
        SlidingWindow {
            max_len: 3,
            window: 8,
        }
    }
}

impl SlidingWindow {
    /// The predicted answer text (a substring of the context).
    pub fn predict(&self, question: &str, context: &str) -> String {
        let qtype = QuestionType::of(question);
        let q: HashSet<String> = words(question).into_iter().map(|w| w.text).collect();
        let q_content: Vec<&String> = q.iter().filter(|w| !is_stopword(w)).collect();
        let passage = words(context);
        if passage.is_empty() {
            return String::new();
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for w in &passage {
            *counts.entry(w.text.as_str()).or_default() += 1;
        }
        let weight = |w: &str| counts.get(w).map_or(0.0, |&c| (1.0 + 1.0 / c as f64).ln());
        // As Rajpurkar et al.: keep candidates from the sentences with the largest unigram +
        // bigram overlap with the question, then rank them by the sliding window.
        let sentence = sentence_ids(context, &passage);
        let q_words = words(question);
        let q_bigrams: HashSet<(String, String)> = q_words
            .windows(2)
            .map(|w| (w[0].text.clone(), w[1].text.clone()))
            .collect();
        let n_sentences = sentence.last().map_or(0, |s| s + 1);
        let mut overlap = vec![0usize; n_sentences];
        for (i, w) in passage.iter().enumerate() {
            if q_content.iter().any(|q| **q == w.text) {
                overlap[sentence[i]] += 1;
            }
            if i + 1 < passage.len()
                && sentence[i] == sentence[i + 1]
                && q_bigrams.contains(&(w.text.clone(), passage[i + 1].text.clone()))
            {
                overlap[sentence[i]] += 1;
            }
        }
        let top = overlap.iter().copied().max().unwrap_or(0);
        let mut best: Option<(f64, usize, usize)> = None;
        for start in 0..passage.len() {
            if overlap[sentence[start]] < top {
                continue;
            }
            for len in 1..=self.max_len.min(passage.len() - start) {
                let span = &passage[start..start + len];
                if span.iter().any(|w| q.contains(&w.text))
                    || sentence[start + len - 1] != sentence[start]
                {
                    break;
                }
                if is_stopword(&span[0].text) || is_stopword(&span[len - 1].text) {
                    continue;
                }
                let lo = start.saturating_sub(self.window);
                let hi = (start + len + self.window).min(passage.len());
                let around: HashSet<&str> =
                    passage[lo..hi].iter().map(|w| w.text.as_str()).collect();
                let lexical: f64 = q_content
                    .iter()
                    .filter(|w| around.contains(w.as_str()))
                    .map(|w| weight(w))
                    .sum();
                let original = &context[span[0].start..span[len - 1].end];
                let score = lexical
                    + if shape_fits(qtype, original) {
                        0.5
                    } else {
                        0.0
                    };
                let better = match best {
                    None => true,
                    Some((s, _, l)) => score > s + 1e-12 || ((score - s).abs() <= 1e-12 && len > l),
                };
                if better {
                    best = Some((score, start, len));
                }
            }
        }
        match best {
            Some((_, start, len)) => {
                context[passage[start].start..passage[start + len - 1].end].to_string()
            }
            None => String::new(),
        }
    }
}

/// Whether a candidate looks like the answer a question type asks for.
fn shape_fits(qtype: QuestionType, text: &str) -> bool {
    match qtype {
        QuestionType::When | QuestionType::HowMany => text.chars().any(|c| c.is_ascii_digit()),
        QuestionType::Who | QuestionType::Where | QuestionType::Which => text
            .split_whitespace()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase)),
        _ => false,
    }
}

/// The sentence number of each word: sentences end at `.`, `?` or `!` followed by whitespace.
fn sentence_ids(text: &str, passage: &[super::words::Word]) -> Vec<usize> {
    let mut ids = Vec::with_capacity(passage.len());
    let mut current = 0;
    let mut prev_end = 0;
    for w in passage {
        let gap = &text[prev_end..w.start];
        if prev_end > 0 && gap.contains(['.', '?', '!']) && gap.ends_with(char::is_whitespace) {
            current += 1;
        }
        ids.push(current);
        prev_end = w.end;
    }
    ids
}

/// The random-span reader.
#[derive(Debug, Clone, Copy)]
pub struct RandomSpan {
    /// Longest span, in words.
    pub max_len: usize,
    /// Seed mixed with the question id.
    pub seed: u64,
}

impl RandomSpan {
    /// A random span of the context, repeatable for the same seed and question id.
    pub fn predict(&self, id: &str, context: &str) -> String {
        let passage = words(context);
        if passage.is_empty() {
            return String::new();
        }
        let mut h: u64 = self.seed ^ 0xCBF2_9CE4_8422_2325;
        for b in id.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01B3);
        }
        let start = (h % passage.len() as u64) as usize;
        let len = 1 + ((h >> 32) % self.max_len.max(1) as u64) as usize;
        let end = (start + len).min(passage.len());
        context[passage[start].start..passage[end - 1].end].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_finds_the_span_near_the_question_words() {
        // The sentence sharing most words with the question holds the answer; within it the
        // capitalised span fits a "which" question.
        let context = "The game was played at Levi's Stadium in Santa Clara. The Broncos defeated the Carolina Panthers by ten points.";
        let answer =
            SlidingWindow::default().predict("Which team did the Broncos defeat?", context);
        assert_eq!(answer, "Carolina Panthers");
    }

    #[test]
    fn random_span_is_repeatable() {
        let r = RandomSpan {
            max_len: 3,
            seed: 1,
        };
        let c = "one two three four five six seven";
        assert_eq!(r.predict("q1", c), r.predict("q1", c));
        assert!(c.contains(&r.predict("q2", c)));
    }
}
