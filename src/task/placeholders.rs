//! `{key}` placeholders in command templates, filled from a run's resolved config.
//! `{a.b}` reads a nested table; `{{` and `}}` are literal braces.

use serde_json::{Map, Value};

/// A piece of a parsed template.
#[derive(Debug, PartialEq)]
pub enum Piece<'a> {
    /// Literal text.
    Text(String),
    /// A placeholder's key path.
    Key(&'a str),
}

/// Splits a template into text and placeholders; errors on an unclosed `{`.
pub fn parse(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        text.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            text.push(tail.as_bytes()[0] as char);
            rest = &tail[2..];
        } else if tail.starts_with('}') {
            return Err(format!(
                "unmatched `}}` in `{template}` (write `}}}}` for a literal brace)"
            ));
        } else {
            let end = tail
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` in `{template}`"))?;
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Key(tail[1..end].trim()));
            rest = &tail[end + 1..];
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// Looks up a dotted key path in a config.
pub fn lookup<'v>(config: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut value = config.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// Text of a value in a command line: strings as they are, anything else as JSON.
pub fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => crate::grid::identity::canonical_json(other),
    }
}

/// Fills a template from a config and extra values (run_dir, run_id, ...).
pub fn fill(
    template: &str,
    config: &Map<String, Value>,
    extra: &[(&str, String)],
) -> Result<String, String> {
    let mut out = String::new();
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            Piece::Key(k) => match extra.iter().find(|(name, _)| *name == k) {
                Some((_, v)) => out.push_str(v),
                None => {
                    let v = lookup(config, k).ok_or_else(|| format!("no value for `{{{k}}}`"))?;
                    out.push_str(&render_value(v));
                }
            },
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_keys_nested_keys_and_escapes() {
        let config = json!({"arch": "gist", "m": 64, "w": {"g": 0.3}, "l": [1, 2]});
        let config = config.as_object().unwrap();
        let out = fill(
            "--arch={arch} -m {m} g={w.g} {{x}} {l} {run_id}",
            config,
            &[("run_id", "abc".into())],
        );
        assert_eq!(out.unwrap(), "--arch=gist -m 64 g=0.3 {x} [1,2] abc");
        assert!(fill("{nope}", config, &[]).is_err());
        assert!(parse("{open").is_err());
        assert!(parse("close}").is_err());
    }
}
