//! Question-answering examples from SQuAD-format files: records that cannot be right counted
//! and kept out (duplicate ids, empty questions or contexts, no answer; answer offsets that do
//! not point at the answer text keep the question out of training only), a deterministic split
//! by article (training and evaluation never share an article), seeded sampling of questions.

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
    /// Whether every offset points at its answer's text (else the example is kept out of
    /// training: its span would be wrong; it is still scored by its answer texts).
    pub offsets_match: bool,
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
    /// Records of the file that were left out or kept out of training.
    pub issues: DataIssues,
}

/// Records of a SQuAD-format file that cannot be right, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataIssues {
    /// Questions whose id an earlier question has (left out; the first is kept).
    pub duplicate_ids: usize,
    /// Questions with no text (left out).
    pub empty_questions: usize,
    /// Paragraphs with no context text (their questions left out).
    pub empty_contexts: usize,
    /// Questions without a gold answer (left out: nothing to score against).
    pub no_answers: usize,
    /// Questions whose every gold answer is empty text (left out, as without an answer).
    #[serde(default)]
    pub empty_answers: usize,
    /// Questions with an answer offset outside the context or not at its text (kept out of
    /// training).
    pub bad_offsets: usize,
}

impl DataIssues {
    /// Whether the file had no such record.
    pub fn is_clean(&self) -> bool {
        *self == DataIssues::default()
    }

    /// One line for logs, e.g. "2 duplicate ids (left out), 1 answer offset not at its text".
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.duplicate_ids, "duplicate question ids (later ones left out)"),
            (self.empty_questions, "empty questions (left out)"),
            (self.empty_contexts, "empty contexts (their questions left out)"),
            (self.no_answers, "questions without an answer (left out)"),
            (self.empty_answers, "questions whose answers are all empty text (left out)"),
            (self.bad_offsets, "answer offsets outside the context or not at the answer's text (kept out of training)"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        parts.join(", ")
    }
}

/// Whether every answer's character offset points at its text.
fn offsets_match(context: &str, answers: &[super::squad::Answer]) -> bool {
    answers.iter().all(|a| {
        let n = a.text.chars().count();
        context.chars().count() >= a.answer_start + n
            && context
                .chars()
                .skip(a.answer_start)
                .take(n)
                .eq(a.text.chars())
    })
}

/// Every usable question of a file as an example, and the records that were not.
pub fn examples(file: &SquadFile) -> (Vec<QaExample>, DataIssues) {
    let mut out = Vec::new();
    let mut issues = DataIssues::default();
    let mut ids = std::collections::HashSet::new();
    for (a, article) in file.data.iter().enumerate() {
        for paragraph in &article.paragraphs {
            if paragraph.context.trim().is_empty() {
                issues.empty_contexts += 1;
                continue;
            }
            let context: Arc<str> = Arc::from(paragraph.context.as_str());
            for q in &paragraph.qas {
                if q.question.trim().is_empty() {
                    issues.empty_questions += 1;
                    continue;
                }
                if q.answers.is_empty() {
                    issues.no_answers += 1;
                    continue;
                }
                if q.answers.iter().all(|a| a.text.trim().is_empty()) {
                    issues.empty_answers += 1;
                    continue;
                }
                if !ids.insert(q.id.as_str()) {
                    issues.duplicate_ids += 1;
                    continue;
                }
                let matching = offsets_match(&context, &q.answers);
                issues.bad_offsets += usize::from(!matching);
                out.push(QaExample {
                    id: q.id.clone(),
                    article: a,
                    question: q.question.clone(),
                    context: context.clone(),
                    answers: q.answers.iter().map(|x| x.text.clone()).collect(),
                    answer_starts: q.answers.iter().map(|x| x.answer_start).collect(),
                    offsets_match: matching,
                    qtype: QuestionType::of(&q.question),
                });
            }
        }
    }
    (out, issues)
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
    let (all, issues) = examples(file);
    let pick = |set: &[usize]| -> Vec<QaExample> {
        all.iter()
            .filter(|e| set.contains(&e.article))
            .cloned()
            .collect()
    };
    let titles = |set: &[usize]| -> Vec<String> {
        set.iter()
            .map(|&i| match file.data[i].title.as_str() {
                "" => format!("(untitled article {})", i + 1),
                t => t.to_string(),
            })
            .collect()
    };
    let train: Vec<QaExample> = pick(train_set)
        .into_iter()
        .filter(|e| e.offsets_match)
        .collect();
    Ok(Split {
        train,
        eval: pick(eval_set),
        train_titles: titles(train_set),
        eval_titles: titles(eval_set),
        issues,
    })
}

/// A seeded sample of `n` examples, in their original order.
pub fn sample(examples: &[QaExample], n: usize, seed: u64) -> Vec<QaExample> {
    super::sampling::sample(examples.to_vec(), n, seed)
}

/// Items of held-out articles split by article, in held-out order: those of the first
/// `validation_articles` articles (to choose settings on), and the rest (to report on).
pub fn split_by_article<T>(
    eval: Vec<T>,
    article: impl Fn(&T) -> usize,
    validation_articles: usize,
) -> anyhow::Result<(Vec<T>, Vec<T>)> {
    let mut articles: Vec<usize> = Vec::new();
    for ex in &eval {
        if !articles.contains(&article(ex)) {
            articles.push(article(ex));
        }
    }
    if articles.len() <= validation_articles {
        anyhow::bail!(
            "validation_articles = {validation_articles} leaves no evaluation article ({} held out)",
            articles.len()
        );
    }
    let chosen = &articles[..validation_articles];
    Ok(eval
        .into_iter()
        .partition(|ex| chosen.contains(&article(ex))))
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

    #[test]
    fn variants_load_and_records_that_cannot_be_right_are_counted() {
        // Integer ids, no title, an extra field; a duplicate id, an empty question, a question
        // without answers, an empty context, and an answer offset that misses its text.
        let text = r#"{"version": "1.1", "source": "other", "data": [{"paragraphs": [
            {"context": "Denver won the game.", "qas": [
                {"id": 1, "question": "Who won?", "answers": [{"text": "Denver", "answer_start": 0}], "extra": true},
                {"id": 1, "question": "Who won again?", "answers": [{"text": "Denver", "answer_start": 0}]},
                {"id": 2, "question": " ", "answers": [{"text": "Denver", "answer_start": 0}]},
                {"id": 3, "question": "What?", "answers": []},
                {"id": 4, "question": "What was won?", "answers": [{"text": "game", "answer_start": 3}]}]},
            {"context": "", "qas": [{"id": 5, "question": "Why?", "answers": [{"text": "x", "answer_start": 0}]}]}
        ]}]}"#;
        let file = super::super::squad::parse(text).unwrap();
        assert!(!file.is_v2());
        let (examples, issues) = examples(&file);
        let ids: Vec<&str> = examples.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["1", "4"], "the first of a duplicate id is kept");
        assert_eq!(
            (
                issues.duplicate_ids,
                issues.empty_questions,
                issues.no_answers,
                issues.empty_contexts,
                issues.bad_offsets
            ),
            (1, 1, 1, 1, 1)
        );
        assert!(!examples[1].offsets_match);
        assert!(
            issues.describe().contains("1 duplicate question ids"),
            "{}",
            issues.describe()
        );
        let parts = split(
            &file,
            SplitSpec {
                seed: 0,
                train_articles: 1,
                eval_articles: 0,
            },
        )
        .unwrap();
        assert_eq!(
            parts.train.len(),
            1,
            "a wrong offset keeps its question out of training"
        );
        assert_eq!(parts.train_titles, ["(untitled article 1)"]);
        let v2 = r#"{"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [{"id": "a", "question": "q?", "answers": [], "is_impossible": true}]}]}]}"#;
        assert!(super::super::squad::parse(v2).unwrap().is_v2());
    }

    #[test]
    fn the_parts_are_whole_articles_in_held_out_order() {
        let items = vec![(7, 'a'), (7, 'b'), (3, 'c'), (9, 'd'), (3, 'e')];
        let (validation, evaluation) = split_by_article(items.clone(), |i| i.0, 2).unwrap();
        assert_eq!(validation, vec![(7, 'a'), (7, 'b'), (3, 'c'), (3, 'e')]);
        assert_eq!(evaluation, vec![(9, 'd')]);
        let error = split_by_article(items, |i| i.0, 3).unwrap_err().to_string();
        assert!(error.contains("leaves no evaluation article"), "{error}");
    }
}
