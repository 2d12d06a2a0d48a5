//! SQuAD v1.1 files and the variants found in public SQuAD-format sets (XQuAD, COVID-QA, ...):
//! integer question ids are kept as strings, titles are optional, extra fields are ignored.
//! SQuAD 2.0 files (unanswerable questions) are refused with a message. Errors name the file,
//! the line and column, and the JSON path of the problem.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// A SQuAD file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SquadFile {
    /// Format version ("1.1").
    #[serde(default)]
    pub version: Option<String>,
    /// Articles.
    pub data: Vec<Article>,
}

/// One Wikipedia article.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Article {
    /// Article title (empty when the file gives none).
    #[serde(default)]
    pub title: String,
    /// Its paragraphs.
    pub paragraphs: Vec<Paragraph>,
}

/// A paragraph (the context) and its questions.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Paragraph {
    /// The context text.
    pub context: String,
    /// Questions about it.
    pub qas: Vec<Question>,
}

/// A question with its gold answers.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Question {
    /// Question id (an integer id is kept as its decimal string).
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    /// Question text.
    pub question: String,
    /// Gold answers (one or more).
    #[serde(default)]
    pub answers: Vec<Answer>,
    /// SQuAD 2.0: the question has no answer in the context.
    #[serde(default)]
    pub is_impossible: bool,
}

/// A question id written as a string or as an integer.
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    })
}

/// A gold answer span.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Answer {
    /// Answer text.
    pub text: String,
    /// Character offset of the answer in the context.
    pub answer_start: usize,
}

/// Reads a SQuAD-format file.
pub fn load(path: &Path) -> Result<SquadFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file = parse(&text)
        .with_context(|| format!("{} is not a valid SQuAD v1.1 file", path.display()))?;
    if file.is_v2() {
        anyhow::bail!(
            "{} is a SQuAD 2.0 file (it has unanswerable questions): runner's readers always answer, so it reads SQuAD v1.1-format data\n  = help: keep the questions with answers (drop those with \"is_impossible\": true) and give that file",
            path.display()
        );
    }
    Ok(file)
}

/// Parses SQuAD JSON text; errors say where (line, column, JSON path).
pub fn parse(text: &str) -> Result<SquadFile> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        anyhow::anyhow!(
            "at line {}, column {} (JSON path `{path}`): {inner}",
            inner.line(),
            inner.column()
        )
    })
}

impl SquadFile {
    /// Whether the file is SQuAD 2.0: a 2.x version, or unanswerable questions.
    pub fn is_v2(&self) -> bool {
        self.version
            .as_deref()
            .is_some_and(|v| v.trim_start_matches('v').starts_with('2'))
            || self
                .data
                .iter()
                .flat_map(|a| &a.paragraphs)
                .flat_map(|p| &p.qas)
                .any(|q| q.is_impossible)
    }

    /// Every paragraph's context, in file order.
    pub fn contexts(&self) -> impl Iterator<Item = &str> {
        self.data
            .iter()
            .flat_map(|a| a.paragraphs.iter().map(|p| p.context.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_files_name_the_json_path() {
        let bad = r#"{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q", "answers": [{"text": "a"}]}]}]}]}"#;
        let err = format!("{:#}", parse(bad).unwrap_err());
        assert!(
            err.contains("data[0].paragraphs[0].qas[0].answers[0]"),
            "{err}"
        );
        assert!(err.contains("answer_start"), "{err}");
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn damaged_files_are_errors_naming_the_file() {
        let good = r#"{"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "The cat sat.", "qas": [{"id": "1", "question": "Who sat?", "answers": [{"text": "The cat", "answer_start": 0}]}]}]}]}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.json");
        std::fs::write(&path, good).unwrap();
        assert_eq!(load(&path).unwrap().data.len(), 1);
        crate::data::damage::assert_clear_errors(&path, good.as_bytes(), load);
    }
}
