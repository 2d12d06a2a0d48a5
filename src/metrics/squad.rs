//! SQuAD v1.1 F1 and exact match, with the official evaluation script's semantics:
//! lower-case, remove ASCII punctuation (`string.punctuation`; other punctuation is kept),
//! remove the words a/an/the, collapse whitespace; F1 over bags of tokens; the maximum over the
//! gold answers; averages reported ×100; a missing prediction scores 0. As in v1.1 (unlike
//! v2.0), F1 is 0 when either normalized string is empty, while EM of two empty strings is 1.

use std::collections::HashMap;

fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The official `normalize_answer`.
pub fn normalize(text: &str) -> String {
    let lowered = text.to_lowercase();
    let no_punct: String = lowered
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    // re.sub(r'\b(a|an|the)\b', ' ', text): replace whole words only.
    let mut no_articles = String::with_capacity(no_punct.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if matches!(word.as_str(), "a" | "an" | "the") {
            out.push(' ');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in no_punct.chars() {
        if is_word_char(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut no_articles);
            no_articles.push(c);
        }
    }
    flush(&mut word, &mut no_articles);
    no_articles
        .split(is_python_space)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Exact match of one prediction against one gold answer (0 or 1).
pub fn exact_match(prediction: &str, gold: &str) -> f64 {
    if normalize(prediction) == normalize(gold) {
        1.0
    } else {
        0.0
    }
}

/// Token F1 of one prediction against one gold answer (0 to 1).
pub fn f1(prediction: &str, gold: &str) -> f64 {
    let p = normalize(prediction);
    let g = normalize(gold);
    let p_tokens: Vec<&str> = p.split(' ').filter(|t| !t.is_empty()).collect();
    let g_tokens: Vec<&str> = g.split(' ').filter(|t| !t.is_empty()).collect();
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in &g_tokens {
        *counts.entry(t).or_default() += 1;
    }
    let mut same = 0;
    for t in &p_tokens {
        if let Some(c) = counts.get_mut(t) {
            if *c > 0 {
                *c -= 1;
                same += 1;
            }
        }
    }
    if same == 0 {
        return 0.0;
    }
    let precision = same as f64 / p_tokens.len() as f64;
    let recall = same as f64 / g_tokens.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// (F1, EM) of a prediction: the maximum over the gold answers; None scores 0.
pub fn score(prediction: Option<&str>, golds: &[String]) -> (f64, f64) {
    let Some(p) = prediction else {
        return (0.0, 0.0);
    };
    let f = golds.iter().map(|g| f1(p, g)).fold(0.0, f64::max);
    let e = golds.iter().map(|g| exact_match(p, g)).fold(0.0, f64::max);
    (f, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_follows_the_official_script() {
        assert_eq!(normalize("The U.S. Army"), "us army");
        assert_eq!(normalize("  An  apple, a DAY!  "), "apple day");
        // Unicode punctuation is not in string.punctuation: it stays.
        assert_eq!(normalize("«the» end"), "« » end");
        assert_eq!(normalize("Café – the best"), "café – best");
        // Articles only as whole words.
        assert_eq!(normalize("theater anthem"), "theater anthem");
        assert_eq!(
            normalize("the_a"),
            "thea",
            "`_` is ASCII punctuation, removed first"
        );
    }

    #[test]
    fn f1_and_em() {
        assert_eq!(exact_match("the Denver Broncos", "Denver Broncos!"), 1.0);
        assert!((f1("Denver Broncos won", "the Denver Broncos") - 0.8).abs() < 1e-12);
        assert_eq!(
            f1("a a a", "a"),
            0.0,
            "empty after normalization: F1 0 in v1.1"
        );
        assert_eq!(
            exact_match("the", "a"),
            1.0,
            "two empty strings match exactly"
        );
        // Bags of tokens: repeated tokens count once each.
        assert!((f1("red red blue", "red blue blue") - 2.0 / 3.0).abs() < 1e-12);
        let golds = vec!["Santa Clara".to_string(), "Levi's Stadium".to_string()];
        assert_eq!(score(Some("Levi's Stadium in Santa Clara"), &golds).1, 0.0);
        assert!((score(Some("Levis Stadium"), &golds).0 - 1.0).abs() < 1e-12);
        assert_eq!(score(None, &golds), (0.0, 0.0));
    }
}
