//! Between text and the teacher's token ids: packing a split's paragraphs into windows of the
//! tokenizer's tokens, encoding windows, questions and answers, and turning generated ids back
//! into text (WordPiece pieces joined, no space before closing punctuation).

use anyhow::{anyhow, Result};
use tokenizers::Tokenizer;

use super::train::EncodedWindow;
use crate::data::qa::QaExample;
use crate::data::windows::{pack, Window};

/// Token ids of `text` (no special tokens).
pub fn ids(tokenizer: &Tokenizer, text: &str) -> Result<Vec<u32>> {
    Ok(tokenizer
        .encode(text, false)
        .map_err(|e| anyhow!("tokenizing: {e}"))?
        .get_ids()
        .to_vec())
}

/// The examples' paragraphs packed into windows of at most `window_tokens` tokens.
pub fn windows(tokenizer: &Tokenizer, examples: &[QaExample], window_tokens: usize) -> Vec<Window> {
    pack(examples, window_tokens, |text| {
        ids(tokenizer, text).map_or(0, |v| v.len())
    })
}

/// Windows as token ids, each question with its first gold answer.
pub fn encode(tokenizer: &Tokenizer, windows: &[Window]) -> Result<Vec<EncodedWindow>> {
    windows
        .iter()
        .map(|w| {
            let questions = w
                .questions
                .iter()
                .map(|q| {
                    let answer = q.answers.first().map_or("", String::as_str);
                    Ok((ids(tokenizer, &q.question)?, ids(tokenizer, answer)?))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(EncodedWindow {
                context: ids(tokenizer, &w.text)?,
                questions,
            })
        })
        .collect()
}

/// Generated ids as text: `##` pieces join the previous token; no space before closing
/// punctuation and apostrophes, nor after an opening bracket, a dollar or an apostrophe.
pub fn detokenize(tokenizer: &Tokenizer, ids: &[u32]) -> String {
    let mut out = String::new();
    for &id in ids {
        let Some(token) = tokenizer.id_to_token(id) else {
            continue;
        };
        if token.starts_with('[') && token.ends_with(']') {
            continue;
        }
        if let Some(piece) = token.strip_prefix("##") {
            out.push_str(piece);
            continue;
        }
        let closing = matches!(
            token.as_str(),
            "." | "," | ";" | ":" | "!" | "?" | ")" | "%" | "'"
        );
        let after_open = out.ends_with(['(', '$', '\'']);
        if !out.is_empty() && !closing && !after_open {
            out.push(' ');
        }
        out.push_str(&token);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pieces_and_punctuation_are_joined() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let texts: Vec<String> = (0..30)
            .map(|i| format!("the broncos won super bowl 50 in 2016 ( at levi's stadium ). {i}"))
            .collect();
        crate::models::tokenizer::train_bert(
            crate::models::tokenizer::TokenizerModel::WordPiece,
            120,
            2,
            &texts,
            &path,
        )
        .unwrap();
        let tok = crate::models::tokenizer::load(&path).unwrap();
        let ids = super::ids(&tok, "Broncos won (at Levi's Stadium).").unwrap();
        assert_eq!(
            super::detokenize(&tok, &ids),
            "broncos won (at levi's stadium)."
        );
    }
}
