//! Source files of a spec (the spec, the files it extends, preset files) and locations in them.
//! Every value read from TOML keeps a [`Loc`], so an error can name file, line and column.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One loaded TOML file: its path (as the user gave it) and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path used in messages.
    pub path: PathBuf,
    /// Full text of the file.
    pub text: String,
}

/// The bytes of a text file as UTF-8, or a message saying where (line, column, byte) they are
/// not.
pub fn utf8_text(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
        format!(
            "line {line}, column {column}: the file is not UTF-8 text (byte 0x{:02x})",
            e.as_bytes()[at]
        )
    })
}

/// Where a value came from: a file and a byte span in it.
#[derive(Debug, Clone)]
pub struct Loc {
    /// The file the value was read from.
    pub file: Arc<SourceFile>,
    /// Byte range of the value (or key) in the file.
    pub span: Range<usize>,
}

impl Loc {
    /// A location with no span, used for values synthesised by runner itself.
    pub fn file_only(file: &Arc<SourceFile>) -> Loc {
        Loc {
            file: file.clone(),
            span: 0..0,
        }
    }

    /// 1-based line and column of the span's start.
    pub fn line_col(&self) -> (usize, usize) {
        let start = self.span.start.min(self.file.text.len());
        let before = &self.file.text[..start];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// The path of the file.
    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

/// A problem in a spec, located in its source file.
#[derive(Debug, Clone)]
pub struct SpecError {
    /// Where the problem is (None for problems with no place, like a missing file).
    pub loc: Option<Loc>,
    /// File path when there is no `loc`.
    pub path: PathBuf,
    /// Dotted key path, e.g. `resources.timeout`.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it (allowed values, a "did you mean").
    pub help: Option<String>,
}

impl SpecError {
    /// An error at a location.
    pub fn at(loc: &Loc, key: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError {
            loc: Some(loc.clone()),
            path: loc.file.path.clone(),
            key: key.into(),
            message: message.into(),
            help: None,
        }
    }

    /// An error about a whole file.
    pub fn file(path: &Path, message: impl Into<String>) -> SpecError {
        SpecError {
            loc: None,
            path: path.to_path_buf(),
            key: String::new(),
            message: message.into(),
            help: None,
        }
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> SpecError {
        let help = help.into();
        if !help.is_empty() {
            self.help = Some(help);
        }
        self
    }
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = if self.key.is_empty() {
            String::new()
        } else {
            format!("`{}`: ", self.key)
        };
        match &self.loc {
            Some(loc) => {
                let (line, col) = loc.line_col();
                writeln!(
                    f,
                    "{}:{}:{}: {}{}",
                    self.path.display(),
                    line,
                    col,
                    key,
                    self.message
                )?;
                if let Some(text) = loc.file.text.lines().nth(line - 1) {
                    let width = line.to_string().len();
                    let (shown, col) = excerpt(text, col);
                    let len = loc.span.len().max(1);
                    let avail = shown.chars().count().saturating_sub(col - 1).max(1);
                    let marks = "^".repeat(len.min(avail).min(EXCERPT));
                    writeln!(f, "{} |", " ".repeat(width))?;
                    writeln!(f, "{line} | {shown}")?;
                    write!(f, "{} | {}{marks}", " ".repeat(width), " ".repeat(col - 1))?;
                }
            }
            None => write!(f, "{}: {}{}", self.path.display(), key, self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// Characters of a source line shown around an error's column.
const EXCERPT: usize = 100;

/// The part of a long line around 1-based column `col` (at most [`EXCERPT`] characters, "…"
/// marking what is cut), and the column within it.
fn excerpt(text: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= EXCERPT {
        return (text.to_string(), col);
    }
    let start = col
        .saturating_sub(1)
        .saturating_sub(EXCERPT / 2)
        .min(chars.len().saturating_sub(EXCERPT));
    let end = (start + EXCERPT).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_on_very_long_lines_print_around_the_column() {
        let text = format!("x = [{}\"bad\"]\n", "1, ".repeat(30_000));
        let at = text.find("\"bad\"").unwrap();
        let file = Arc::new(SourceFile {
            path: "long.toml".into(),
            text,
        });
        let loc = Loc {
            file,
            span: at..at + 5,
        };
        let shown = SpecError::at(&loc, "x", "a string in a list of numbers").to_string();
        assert!(shown.starts_with("long.toml:1:90006: `x`"), "{shown}");
        assert!(shown.contains("…") && shown.contains("\"bad\""), "{shown}");
        assert!(shown.lines().all(|l| l.chars().count() < 140), "{shown}");
    }
}
