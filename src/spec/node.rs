//! A TOML value tree in which every value and key keeps its location.
//! Built from `toml`'s spanned parser; the rest of the spec code reads only these nodes.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use super::source::{Loc, SourceFile, SpecError};

/// A located TOML value.
#[derive(Debug, Clone)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it is written.
    pub loc: Loc,
}

/// The kinds of TOML values.
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A date or time, kept as its TOML text.
    Datetime(String),
    /// An array.
    Array(Vec<Node>),
    /// A table, in source order.
    Table(Table),
}

/// A located table: entries in source order, each with its key's location.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// (key, key location, value).
    pub entries: Vec<(String, Loc, Node)>,
}

impl Table {
    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, v)| v)
    }

    /// Keys in source order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _, _)| k.as_str())
    }

    /// Sets `key`, replacing an existing entry in place or appending.
    pub fn set(&mut self, key: String, key_loc: Loc, value: Node) {
        match self.entries.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => *entry = (key, key_loc, value),
            None => self.entries.push((key, key_loc, value)),
        }
    }

    /// Errors on the first key not in `allowed`, with a suggestion.
    pub fn deny_unknown(&self, section: &str, allowed: &[&str]) -> Result<(), SpecError> {
        for (key, loc, _) in &self.entries {
            if !allowed.contains(&key.as_str()) {
                let what = if section.is_empty() {
                    "allowed top-level sections".to_string()
                } else {
                    format!("allowed keys in [{section}]")
                };
                return Err(SpecError::at(loc, join_key(section, key), "unknown key")
                    .help(super::suggest::help_for(key, allowed, &what)));
            }
        }
        Ok(())
    }
}

/// `section.key`, or `key` for the top level.
pub fn join_key(section: &str, key: &str) -> String {
    if section.is_empty() {
        key.to_string()
    } else {
        format!("{section}.{key}")
    }
}

impl Node {
    /// Name of the value's TOML type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Str(_) => "a string",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Datetime(_) => "a datetime",
            NodeKind::Array(_) => "an array",
            NodeKind::Table(_) => "a table",
        }
    }

    /// The string, or an error naming `key` and what was expected.
    pub fn as_str(&self, key: &str) -> Result<&str, SpecError> {
        match &self.kind {
            NodeKind::Str(s) => Ok(s),
            _ => Err(self.wrong_type(key, "a string")),
        }
    }

    /// The table, or an error.
    pub fn as_table(&self, key: &str) -> Result<&Table, SpecError> {
        match &self.kind {
            NodeKind::Table(t) => Ok(t),
            _ => Err(self.wrong_type(key, "a table")),
        }
    }

    /// The array, or an error.
    pub fn as_array(&self, key: &str) -> Result<&[Node], SpecError> {
        match &self.kind {
            NodeKind::Array(a) => Ok(a),
            _ => Err(self.wrong_type(key, "an array")),
        }
    }

    /// A non-negative integer, or an error.
    pub fn as_u64(&self, key: &str) -> Result<u64, SpecError> {
        match self.kind {
            NodeKind::Int(i) if i >= 0 => Ok(i as u64),
            _ => Err(self.wrong_type(key, "a non-negative integer")),
        }
    }

    /// An error saying the value has the wrong type.
    pub fn wrong_type(&self, key: &str, expected: &str) -> SpecError {
        SpecError::at(
            &self.loc,
            key,
            format!("expected {expected}, found {}", self.type_name()),
        )
    }

    /// The value as JSON (tables keep their keys; JSON objects sort them).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(x) => {
                serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number)
            }
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Datetime(d) => Value::String(d.clone()),
            NodeKind::Array(a) => Value::Array(a.iter().map(Node::to_json).collect()),
            NodeKind::Table(t) => Value::Object(
                t.entries
                    .iter()
                    .map(|(k, _, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Reads and parses a TOML file into a located table.
pub fn parse_file(path: &Path) -> Result<(Arc<SourceFile>, Table), SpecError> {
    let size = std::fs::metadata(path)
        .map_err(|e| SpecError::file(path, format!("cannot read the file: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(SpecError::file(
            path,
            format!("the file has {size} bytes, more than the {MAX_FILE_BYTES} a spec may have"),
        )
        .help("a spec describes a grid; long lists of values belong in a preset (configs/) or a data file"));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| SpecError::file(path, format!("cannot read the file: {e}")))?;
    let text = super::source::utf8_text(bytes).map_err(|e| SpecError::file(path, e))?;
    parse_text(path, text)
}

/// Largest spec (or preset) file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Parses TOML text (named `path` in messages) into a located table.
pub fn parse_text(path: &Path, text: String) -> Result<(Arc<SourceFile>, Table), SpecError> {
    let file = Arc::new(SourceFile {
        path: path.to_path_buf(),
        text,
    });
    let doc = DeTable::parse(&file.text).map_err(|e| {
        let loc = Loc {
            file: file.clone(),
            span: e.span().unwrap_or(0..0),
        };
        let message = e.message().trim().to_string();
        SpecError::at(&loc, "", format!("invalid TOML: {message}"))
    })?;
    let table = convert_table(&file, doc.get_ref())?;
    Ok((file, table))
}

fn convert_table(file: &Arc<SourceFile>, table: &DeTable<'_>) -> Result<Table, SpecError> {
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table.iter() {
        let key_loc = Loc {
            file: file.clone(),
            span: key.span(),
        };
        entries.push((key.get_ref().to_string(), key_loc, convert(file, value)?));
    }
    Ok(Table { entries })
}

fn convert(file: &Arc<SourceFile>, value: &toml::Spanned<DeValue<'_>>) -> Result<Node, SpecError> {
    let loc = Loc {
        file: file.clone(),
        span: value.span(),
    };
    let kind = match value.get_ref() {
        DeValue::String(s) => NodeKind::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let parsed = i64::from_str_radix(&digits, i.radix())
                .map_err(|_| SpecError::at(&loc, "", "integer out of range (64-bit signed)"))?;
            NodeKind::Int(parsed)
        }
        DeValue::Float(x) => {
            let text = x.as_str().replace('_', "");
            let parsed = match text.as_str() {
                "inf" | "+inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "+nan" | "-nan" => f64::NAN,
                t => t
                    .parse()
                    .map_err(|_| SpecError::at(&loc, "", "invalid float"))?,
            };
            NodeKind::Float(parsed)
        }
        DeValue::Boolean(b) => NodeKind::Bool(*b),
        DeValue::Datetime(d) => NodeKind::Datetime(d.to_string()),
        DeValue::Array(a) => NodeKind::Array(
            a.iter()
                .map(|v| convert(file, v))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => NodeKind::Table(convert_table(file, t)?),
    };
    Ok(Node { kind, loc })
}
