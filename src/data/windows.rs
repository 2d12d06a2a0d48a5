//! Context windows for soft context compression: consecutive paragraphs of one article packed
//! into windows of at most a given number of tokens, each with the questions of its paragraphs.
//! A SQuAD paragraph is ~160 tokens, so a window of 512 makes M = 32 / 64 / 128 memory vectors
//! a real 16× / 8× / 4× compression. Windows never cross articles, so the article split keeps
//! training and evaluation apart.

use super::qa::QaExample;

/// Paragraphs of one article and their questions.
#[derive(Debug, Clone)]
pub struct Window {
    /// Index of the article in the file.
    pub article: usize,
    /// The paragraphs, joined by a space.
    pub text: String,
    /// The questions of those paragraphs.
    pub questions: Vec<QaExample>,
}

/// Packs `examples` (in file order) into windows of at most `max_tokens` tokens as `tokens`
/// counts them. A paragraph longer than that is a window of its own (cut when encoded).
pub fn pack(
    examples: &[QaExample],
    max_tokens: usize,
    tokens: impl Fn(&str) -> usize,
) -> Vec<Window> {
    let mut windows: Vec<Window> = Vec::new();
    let mut used = 0usize;
    let mut last: Option<(usize, &str)> = None;
    for ex in examples {
        if last == Some((ex.article, &*ex.context)) {
            if let Some(w) = windows.last_mut() {
                w.questions.push(ex.clone());
            }
            continue;
        }
        last = Some((ex.article, &*ex.context));
        let n = tokens(&ex.context);
        let fits = windows
            .last()
            .is_some_and(|w| w.article == ex.article && used + n <= max_tokens);
        match windows.last_mut() {
            Some(w) if fits => {
                w.text.push(' ');
                w.text.push_str(&ex.context);
                w.questions.push(ex.clone());
                used += n;
            }
            _ => {
                windows.push(Window {
                    article: ex.article,
                    text: ex.context.to_string(),
                    questions: vec![ex.clone()],
                });
                used = n;
            }
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ex(article: usize, context: &str, q: &str) -> QaExample {
        QaExample {
            id: q.into(),
            article,
            question: q.into(),
            context: Arc::from(context),
            answers: vec!["x".into()],
            answer_starts: vec![0],
            offsets_match: true,
            qtype: crate::data::question_type::QuestionType::of(q),
        }
    }

    #[test]
    fn paragraphs_pack_within_an_article_up_to_the_budget() {
        let words = |s: &str| s.split_whitespace().count();
        let examples = [
            ex(0, "a b c", "q1"),
            ex(0, "a b c", "q2"),
            ex(0, "d e", "q3"),
            ex(0, "f g h i", "q4"),
            ex(1, "j", "q5"),
        ];
        let windows = pack(&examples, 6, words);
        assert_eq!(windows.len(), 3);
        assert_eq!(windows[0].text, "a b c d e");
        assert_eq!(windows[0].questions.len(), 3);
        assert_eq!(windows[1].text, "f g h i");
        assert_eq!(windows[2].article, 1, "never across articles");
    }
}
