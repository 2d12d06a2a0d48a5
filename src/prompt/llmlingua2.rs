//! LLMLingua-2-style compression: a bidirectional token classifier
//! ([`crate::models::token_classifier`]) predicts each token's probability of being kept, and
//! the tokens above the keep threshold that meets the ratio are kept (the threshold is the
//! probability of the `budget`-th best token; ties keep the earlier token).
//!
//! The classifier is distilled from **answer-preserving oracle labels**, a slower procedure
//! that sees what the compressor never does: on the training articles, a context's token is
//! labelled keep when it overlaps a gold answer of any of the context's questions, or when one
//! of its words is a content word (not a stop word) of one of those questions. The labels are
//! question-agnostic at compression time, like LLMLingua-2's: one compression per context,
//! whatever is asked, keeping what questions about such text tend to need.

use std::collections::HashSet;

use super::compressed::{keep_top, tokens, Compressed};
use crate::data::qa::QaExample;
use crate::models::token_classifier::{TokenClassifier, TokenClassifierConfig};
use crate::models::words::words;

/// Name of the label procedure (part of the classifier artifact's identity).
pub const ORACLE_LABELS: &str = "answer_oracle";

/// Function words that do not make a question word a content word.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "being", "between", "both", "but", "by", "can", "could", "did", "do", "does",
    "during", "each", "for", "from", "had", "has", "have", "he", "her", "his", "how", "i", "if",
    "in", "into", "is", "it", "its", "many", "may", "more", "most", "much", "name", "not", "of",
    "on", "one", "or", "other", "over", "she", "so", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "to", "type", "under",
    "up", "upon", "was", "were", "what", "when", "where", "which", "while", "who", "whom", "whose",
    "why", "will", "with", "would",
];

/// Byte ranges of the whitespace tokens of `text`.
pub fn token_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Oracle keep labels of a context's tokens from its questions (see the module docs).
pub fn oracle_labels(context: &str, questions: &[&QaExample]) -> Vec<bool> {
    let spans = token_spans(context);
    // SQuAD answer offsets count characters: map them to bytes.
    let byte_at: Vec<usize> = context
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(context.len()))
        .collect();
    let mut answers = Vec::new();
    let mut content = HashSet::new();
    for q in questions {
        for (text, &start) in q.answers.iter().zip(&q.answer_starts) {
            let end_char = start + text.chars().count();
            if let (Some(&a), Some(&z)) = (byte_at.get(start), byte_at.get(end_char)) {
                answers.push((a, z));
            }
        }
        for w in words(&q.question) {
            if !STOP_WORDS.contains(&w.text.as_str()) {
                content.insert(w.text);
            }
        }
    }
    spans
        .iter()
        .map(|&(s, e)| {
            answers.iter().any(|&(a, z)| s < z && a < e)
                || words(&context[s..e])
                    .iter()
                    .any(|w| content.contains(&w.text))
        })
        .collect()
}

/// Keeps the tokens the classifier most wants to keep.
pub fn compress(
    model: &TokenClassifier,
    config: &TokenClassifierConfig,
    text: &str,
    ratio: f64,
) -> Compressed {
    let toks = tokens(text);
    let scores = model.keep_probabilities(config, &toks);
    keep_top(&toks, &scores, ratio)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::question_type::QuestionType;

    #[test]
    fn oracle_keeps_answers_and_question_content_words() {
        let context = "Über Bowl 50 was played in Santa Clara, California by the Broncos.";
        let q = QaExample {
            id: "q".into(),
            article: 0,
            question: "Where was the Bowl played?".into(),
            context: context.into(),
            answers: vec!["Santa Clara, California".into()],
            // Character offset (after the two-byte 'Ü').
            answer_starts: vec![context.find("Santa").unwrap() - 1],
            qtype: QuestionType::of("Where was the Bowl played?"),
            offsets_match: true,
        };
        let labels = oracle_labels(context, &[&q]);
        let kept: Vec<&str> = tokens(context)
            .into_iter()
            .zip(&labels)
            .filter_map(|(t, &k)| k.then_some(t))
            .collect();
        assert_eq!(kept, ["Bowl", "played", "Santa", "Clara,", "California"]);
        assert_eq!(token_spans(" a  bc\n"), [(1, 2), (4, 6)]);
    }
}
