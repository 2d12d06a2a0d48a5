//! Word tokens with character offsets, for the lexical baselines and answer extraction.

/// A word: its lower-cased text and its byte range in the source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Lower-cased text.
    pub text: String,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
}

/// Splits text into words: runs of letters and digits (apostrophes inside a word kept);
/// punctuation is dropped.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        let inner_apostrophe = (c == '\'' || c == '’')
            && start.is_some()
            && chars.get(k + 1).is_some_and(|&(_, n)| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push(Word {
                text: text[s..i].to_lowercase(),
                start: s,
                end: i,
            });
        }
    }
    if let Some(s) = start {
        out.push(Word {
            text: text[s..].to_lowercase(),
            start: s,
            end: text.len(),
        });
    }
    out
}

/// Common English function words, left out of lexical overlap and of candidate answers' edges.
pub const STOPWORDS: &[&str] = &[
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or", "is",
    "was", "are", "were", "be", "been", "did", "do", "does", "what", "which", "who", "whom",
    "whose", "when", "where", "why", "how", "that", "this", "these", "those", "it", "its", "as",
    "s", "many", "much",
];

/// Whether a word is a stopword.
pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_keep_offsets() {
        let t = "Levi's Stadium, in 2016.";
        let w = super::words(t);
        assert_eq!(
            w.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            ["levi's", "stadium", "in", "2016"]
        );
        assert_eq!(&t[w[0].start..w[1].end], "Levi's Stadium");
    }
}
