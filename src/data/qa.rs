//! Question-answering examples from SQuAD-format files: a deterministic split by article
//! (training and evaluation never share an article) and seeded sampling of questions.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::question_type::QuestionType;
use super::squad::SquadFile;

/// One question with its context and gold answers.
#[derive(Debug, Clone)]
pub struct QaExample {
    /// Question id.
    pub id: String,
    /// Index of the article in the file.
    pub article: usize,
    /// The question.
    pub question: String,
    /// The context paragraph (shared by its questions).
    pub context: Arc<str>,
    /// Gold answer texts.
    pub answers: Vec<String>,
    /// Character offsets of the gold answers in the context.
    pub answer_starts: Vec<usize>,
    /// Question type.
    pub qtype: QuestionType,
}

/// How to split a file's articles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitSpec {
    /// Seed of the article permutation.
    pub seed: u64,
    /// Articles for training.
    pub train_articles: usize,
    /// Articles for evaluation (taken after the training ones).
    pub eval_articles: usize,
}

/// Training and evaluation examples, and the article titles on each side.
#[derive(Debug, Clone)]
pub struct Split {
    /// Training examples.
    pub train: Vec<QaExample>,
    /// Evaluation examples.
    pub eval: Vec<QaExample>,
    /// Titles of the training articles.
    pub train_titles: Vec<String>,
    /// Titles of the evaluation articles.
    pub eval_titles: Vec<String>,
}

/// Every question of a file as an example.
pub fn examples(file: &SquadFile) -> Vec<QaExample> {
    let mut out = Vec::new();
    for (a, article) in file.data.iter().enumerate() {
        for paragraph in &article.paragraphs {
            let context: Arc<str> = Arc::from(paragraph.context.as_str());
            for q in &paragraph.qas {
                out.push(QaExample {
                    id: q.id.clone(),
                    article: a,
                    question: q.question.clone(),
                    context: context.clone(),
                    answers: q.answers.iter().map(|x| x.text.clone()).collect(),
                    answer_starts: q.answers.iter().map(|x| x.answer_start).collect(),
                    qtype: QuestionType::of(&q.question),
                });
            }
        }
    }
    out
}

/// Splits a file by article: the permuted articles' first `train_articles` train, the next
/// `eval_articles` evaluate.
pub fn split(file: &SquadFile, spec: SplitSpec) -> anyhow::Result<Split> {
    let n = file.data.len();
    if spec.train_articles + spec.eval_articles > n {
        anyhow::bail!(
            "the split asks for {} + {} articles but the file has {n}",
            spec.train_articles,
            spec.eval_articles
        );
    }
    let order = super::sampling::permutation(n, spec.seed);
    let train_set = &order[..spec.train_articles];
    let eval_set = &order[spec.train_articles..spec.train_articles + spec.eval_articles];
    let all = examples(file);
    let pick = |set: &[usize]| -> Vec<QaExample> {
        all.iter()
            .filter(|e| set.contains(&e.article))
            .cloned()
            .collect()
    };
    let titles = |set: &[usize]| -> Vec<String> {
        set.iter().map(|&i| file.data[i].title.clone()).collect()
    };
    Ok(Split {
        train: pick(train_set),
        eval: pick(eval_set),
        train_titles: titles(train_set),
        eval_titles: titles(eval_set),
    })
}

/// A seeded sample of `n` examples, in their original order.
pub fn sample(examples: &[QaExample], n: usize, seed: u64) -> Vec<QaExample> {
    super::sampling::sample(examples.to_vec(), n, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> SquadFile {
        let article = |t: &str| {
            format!(
                r#"{{"title": "{t}", "paragraphs": [{{"context": "{t} text", "qas": [{{"id": "{t}1", "question": "Who?", "answers": [{{"text": "{t}", "answer_start": 0}}]}}]}}]}}"#
            )
        };
        let data: Vec<String> = (0..10).map(|i| article(&format!("A{i}"))).collect();
        super::super::squad::parse(&format!(
            r#"{{"version": "1.1", "data": [{}]}}"#,
            data.join(",")
        ))
        .unwrap()
    }

    #[test]
    fn split_is_deterministic_and_disjoint() {
        let f = file();
        let spec = SplitSpec {
            seed: 3,
            train_articles: 6,
            eval_articles: 4,
        };
        let a = split(&f, spec).unwrap();
        let b = split(&f, spec).unwrap();
        assert_eq!(a.train_titles, b.train_titles);
        assert!(a.train_titles.iter().all(|t| !a.eval_titles.contains(t)));
        assert_eq!(a.train.len() + a.eval.len(), 10);
        let other = split(&f, SplitSpec { seed: 4, ..spec }).unwrap();
        assert_ne!(
            a.train_titles, other.train_titles,
            "another seed, another split"
        );
        assert!(split(
            &f,
            SplitSpec {
                seed: 0,
                train_articles: 8,
                eval_articles: 4
            }
        )
        .is_err());
        let s = sample(&a.train, 3, 1);
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
            sample(&a.train, 3, 1)
                .iter()
                .map(|e| e.id.clone())
                .collect::<Vec<_>>()
        );
    }
}
