//! Texts to compress or model: files, a directory of files, a JSONL file of generated
//! responses (text, or token ids decoded with a tokenizer.json), or the contexts of a SQuAD file.
//! Each text is one "response"; batches group responses as they come in the input.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// One text.
#[derive(Debug, Clone)]
pub struct Text {
    /// Where it came from: a file name, or `file:line`.
    pub source: String,
    /// Its bytes (UTF-8 for text inputs; any bytes for files).
    pub bytes: Vec<u8>,
    /// Tokens: the ids' count for token-id inputs, the tokenizer's count when one is given,
    /// else whitespace-separated words.
    pub token_count: usize,
    /// Batch given by the input (`batch_field`), if any.
    pub batch: Option<usize>,
}

/// How to read an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// Decide from the path: a directory, `.jsonl`, `.json` (SQuAD), or one file.
    Auto,
    /// One file or every file of a directory (sorted, not recursive).
    Files,
    /// One response per line of a JSONL file.
    Jsonl,
    /// The contexts of a SQuAD-format file.
    Squad,
}

/// An input and how to read it.
#[derive(Debug, Clone)]
pub struct TextSource {
    /// File or directory.
    pub path: PathBuf,
    /// Format.
    pub format: Format,
    /// JSONL field holding the text or the token ids.
    pub field: String,
    /// tokenizer.json to decode token ids and count tokens.
    pub tokenizer: Option<PathBuf>,
    /// JSONL field holding a batch index.
    pub batch_field: Option<String>,
}

impl TextSource {
    /// An input read with the defaults (auto format, field `text`).
    pub fn path(path: impl Into<PathBuf>) -> TextSource {
        TextSource {
            path: path.into(),
            format: Format::Auto,
            field: "text".into(),
            tokenizer: None,
            batch_field: None,
        }
    }
}

/// Reads every text of a source.
pub fn load(source: &TextSource) -> Result<Vec<Text>> {
    let path = &source.path;
    if !path.exists() {
        bail!(
            "{} does not exist (data directory: {}; set RUNNER_DATA to change it)",
            path.display(),
            super::data_dir().display()
        );
    }
    let format = match source.format {
        Format::Auto if path.is_dir() => Format::Files,
        Format::Auto if has_ext(path, "jsonl") => Format::Jsonl,
        Format::Auto if has_ext(path, "json") => Format::Squad,
        Format::Auto => Format::Files,
        ref f => f.clone(),
    };
    let counter = Counter::new(source.tokenizer.as_deref())?;
    match format {
        Format::Files => load_files(path, &counter),
        Format::Squad => load_squad(path, &counter),
        Format::Jsonl => load_jsonl(source, &counter),
        Format::Auto => unreachable!("resolved above"),
    }
}

/// Counts a text's tokens: with the tokenizer when one is given, else whitespace words.
struct Counter {
    tokenizer: Option<tokenizers::Tokenizer>,
}

impl Counter {
    fn new(tokenizer: Option<&Path>) -> Result<Counter> {
        let tokenizer = match tokenizer {
            Some(p) => Some(
                tokenizers::Tokenizer::from_file(p)
                    .map_err(|e| anyhow::anyhow!("cannot load tokenizer {}: {e}", p.display()))?,
            ),
            None => None,
        };
        Ok(Counter { tokenizer })
    }

    fn count(&self, text: &str) -> Result<usize> {
        match &self.tokenizer {
            Some(t) => Ok(t
                .encode(text, false)
                .map_err(|e| anyhow::anyhow!("tokenizer: {e}"))?
                .len()),
            None => Ok(text.split_whitespace().count()),
        }
    }
}

/// One file, or every file of a directory.
fn load_files(path: &Path, counter: &Counter) -> Result<Vec<Text>> {
    let files = if path.is_dir() {
        list_files(path)?
    } else {
        vec![path.to_path_buf()]
    };
    let mut texts = Vec::new();
    for file in files {
        let bytes =
            std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let token_count = counter.count(&String::from_utf8_lossy(&bytes))?;
        let source = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        texts.push(Text {
            source,
            bytes,
            token_count,
            batch: None,
        });
    }
    Ok(texts)
}

/// The contexts of a SQuAD-format file.
fn load_squad(path: &Path, counter: &Counter) -> Result<Vec<Text>> {
    let squad = super::squad::load(path)?;
    let mut texts = Vec::new();
    for (i, context) in squad.contexts().enumerate() {
        texts.push(Text {
            source: format!("context {i}"),
            bytes: context.as_bytes().to_vec(),
            token_count: counter.count(context)?,
            batch: None,
        });
    }
    Ok(texts)
}

/// One response per line of a JSONL file: a text field, or token ids decoded with the
/// tokenizer.
fn load_jsonl(source: &TextSource, counter: &Counter) -> Result<Vec<Text>> {
    let path = &source.path;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut texts = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = format!("{}:{}", path.display(), i + 1);
        let record: Value =
            serde_json::from_str(line).with_context(|| format!("{at}: invalid JSON"))?;
        let batch = match &source.batch_field {
            Some(f) => Some(
                record
                    .get(f)
                    .and_then(Value::as_u64)
                    .with_context(|| format!("{at}: no integer field `{f}`"))?
                    as usize,
            ),
            None => None,
        };
        let (content, token_count) = response(&record, source, counter, &at)?;
        texts.push(Text {
            source: format!("line {}", i + 1),
            bytes: content.into_bytes(),
            token_count,
            batch,
        });
    }
    Ok(texts)
}

/// The text of one JSONL record and its token count.
fn response(
    record: &Value,
    source: &TextSource,
    counter: &Counter,
    at: &str,
) -> Result<(String, usize)> {
    match record.get(&source.field) {
        Some(Value::String(s)) => Ok((s.clone(), counter.count(s)?)),
        Some(Value::Array(ids)) => {
            let ids: Vec<u32> = ids
                .iter()
                .map(|v| v.as_u64().map(|n| n as u32))
                .collect::<Option<_>>()
                .with_context(|| {
                    format!("{at}: `{}` must hold token ids (integers)", source.field)
                })?;
            let Some(tok) = &counter.tokenizer else {
                bail!(
                    "{at}: `{}` holds token ids; give a tokenizer (tokenizer.json) to decode them",
                    source.field
                )
            };
            let decoded = tok
                .decode(&ids, false)
                .map_err(|e| anyhow::anyhow!("{at}: cannot decode: {e}"))?;
            Ok((decoded, ids.len()))
        }
        _ => bail!(
            "{at}: no field `{}` with a string or token ids",
            source.field
        ),
    }
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jsonl_with_batches_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gen.jsonl");
        std::fs::write(
            &path,
            "{\"response\": \"a b c\", \"batch\": 0}\n\n{\"response\": \"d\", \"batch\": 1}\n",
        )
        .unwrap();
        let source = TextSource {
            field: "response".into(),
            batch_field: Some("batch".into()),
            ..TextSource::path(&path)
        };
        let texts = load(&source).unwrap();
        assert_eq!(texts.len(), 2);
        assert_eq!(texts[0].token_count, 3);
        assert_eq!(texts[1].batch, Some(1));
        std::fs::write(&path, "{\"response\": [1, 2], \"batch\": 0}\n").unwrap();
        let err = load(&source).unwrap_err().to_string();
        assert!(
            err.contains("gen.jsonl:1") && err.contains("tokenizer"),
            "{err}"
        );
    }
}
