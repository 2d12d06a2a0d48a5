//! Overrides on the command line: `runner launch SPEC KEY=VALUE ...`, applied over the spec
//! (after `extends`) as one more layer, so the checks, the frozen spec and the plan see them as
//! if the spec said so.
//!
//! KEY is `params.X`, `grid.X`, `experiment.seeds`, `resources.X` or `tracking.X`. VALUE is TOML
//! (`params.epochs=2`, `params.name="a b"`, `grid.lr=[1e-3, 3e-4]`); a word that is not TOML is a
//! string (`params.arch=gist`). A grid axis and the seeds also take a comma list
//! (`grid.lr=1e-3,3e-4`, `grid.arch=[conv,gist]`, `experiment.seeds=1,2,3`), and a single value
//! makes a one-value axis. `grid.X` over a key of `[params]` sweeps it; `params.X` over an axis
//! fixes it. Errors name the override: "override 2 (`grid.lr=…`)".

use std::path::PathBuf;

use super::node::{self, NodeKind, Table};
use super::source::SpecError;

/// The sections an override may set.
const SECTIONS: &[&str] = &["params", "grid", "experiment", "resources", "tracking"];

/// One `KEY=VALUE` argument, parsed into a spec layer.
#[derive(Debug, Clone)]
pub struct Override {
    /// As the user typed it.
    pub text: String,
    /// Its section (`params`, `grid`, `experiment`, `resources`, `tracking`).
    pub section: String,
    /// The key inside the section.
    pub key: String,
    /// The layer: `[section] key = value`.
    layer: Table,
    /// Its place on the command line (0-based).
    index: usize,
}

/// The name an override goes by in messages: `override 2 (grid.lr=1e-3,3e-4)`.
fn name(index: usize, text: &str) -> PathBuf {
    PathBuf::from(format!("override {} ({text})", index + 1))
}

/// Parses the `index`-th override (0-based).
pub fn parse(index: usize, text: &str) -> Result<Override, SpecError> {
    let path = name(index, text);
    let error = |message: String| SpecError::file(&path, message);
    let Some((key, value)) = text.split_once('=') else {
        return Err(error("expected KEY=VALUE".into())
            .help("e.g. params.epochs=2, grid.lr=1e-3,3e-4, experiment.seeds=1,2,3"));
    };
    let (key, value) = (key.trim(), value.trim());
    if text.chars().any(char::is_control) {
        return Err(error(
            "a control character (a newline?) in an override".into(),
        ));
    }
    if value.is_empty() {
        return Err(error(format!("`{key}` has no value"))
            .help("write a quoted empty string (\"\") for an empty text"));
    }
    let Some((section, inner)) = key.split_once('.') else {
        return Err(error(format!("`{key}` names no section"))
            .help("KEY is params.X, grid.X, experiment.seeds, resources.X or tracking.X"));
    };
    if !SECTIONS.contains(&section) {
        let help = super::suggest::help_for(section, SECTIONS, "sections");
        return Err(error(format!("`{section}` is not a section an override can set")).help(help));
    }
    if section == "experiment" && inner != "seeds" {
        return Err(error(format!(
            "`experiment.{inner}` cannot be overridden (only experiment.seeds)"
        ))
        .help("edit the spec, or extend it with another one"));
    }
    if inner.contains('.') {
        let table = inner.split('.').next().unwrap_or(inner);
        return Err(error(format!(
            "`{key}`: a key inside a table cannot be overridden"
        ))
        .help(format!(
            "override the whole table: {section}.{table}={{...}}"
        )));
    }
    if inner.is_empty()
        || !inner
            .chars()
            .all(|c| c.is_alphanumeric() || "_-".contains(c))
    {
        return Err(error(format!("`{inner}` is not a key")));
    }
    let list = section == "grid" || key == "experiment.seeds";
    let toml_value = if list {
        list_value(value)
    } else {
        one_value(value)
    }
    .map_err(|e| error(format!("`{key}`: {e}")))?;
    let text_of_layer = format!("{section}.{inner} = {toml_value}\n");
    let (_, layer) = node::parse_text(&path, text_of_layer)?;
    Ok(Override {
        text: text.to_string(),
        section: section.to_string(),
        key: inner.to_string(),
        layer,
        index,
    })
}

/// A value as TOML: itself when it parses, else a word as a quoted string; text that starts
/// like a TOML array, table or string but does not parse is an error.
fn one_value(value: &str) -> Result<String, String> {
    match toml::from_str::<toml::Table>(&format!("v = {value}")) {
        Ok(_) => Ok(value.to_string()),
        Err(e) if value.starts_with(['[', '{', '"', '\'']) => Err(format!(
            "`{value}` is not a TOML value: {}",
            e.message().trim()
        )),
        Err(_) => Ok(toml::Value::String(value.to_string()).to_string()),
    }
}

/// A list as a TOML array: a TOML array as given; else the comma-separated items (brackets
/// optional), each a TOML value or a word.
fn list_value(value: &str) -> Result<String, String> {
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"));
    if let Ok(t) = &parsed {
        if t.get("v").is_some_and(toml::Value::is_array) {
            return Ok(value.to_string());
        }
    }
    let mut items = split_items(value);
    if let [one] = items[..] {
        if let Some(inner) = one.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            items = split_items(inner);
        }
    }
    let items = items
        .iter()
        .map(|item| one_value(item.trim()))
        .collect::<Result<Vec<String>, String>>()?;
    Ok(format!("[{}]", items.join(", ")))
}

/// Splits at commas outside quotes and brackets.
fn split_items(text: &str) -> Vec<&str> {
    let (mut items, mut depth, mut quote, mut start) = (Vec::new(), 0i32, None, 0);
    for (i, c) in text.char_indices() {
        let at_item_start = text[start..i].trim().is_empty();
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if at_item_start => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// Applies the overrides over a merged spec table, in order.
pub fn apply(mut table: Table, overrides: &[Override]) -> Result<Table, SpecError> {
    for o in overrides {
        let other = match o.section.as_str() {
            "grid" => Some("params"),
            "params" => Some("grid"),
            _ => None,
        };
        if let Some(other) = other {
            remove_key(&mut table, other, &o.key);
        }
        if o.section == "grid" && in_zip(&table, &o.key) {
            return Err(SpecError::file(
                &name(o.index, &o.text),
                format!(
                    "`{}` is an axis of a [[zip]]: its values vary with the zip's other axes",
                    o.key
                ),
            )
            .help("edit the spec's [[zip]]"));
        }
        table = super::layers::merge(table, o.layer.clone());
    }
    Ok(table)
}

fn remove_key(table: &mut Table, section: &str, key: &str) {
    if let Some((_, _, node)) = table.entries.iter_mut().find(|(k, _, _)| k == section) {
        if let NodeKind::Table(t) = &mut node.kind {
            t.entries.retain(|(k, _, _)| k != key);
        }
    }
}

fn in_zip(table: &Table, key: &str) -> bool {
    let Some(zips) = table.get("zip") else {
        return false;
    };
    match &zips.kind {
        NodeKind::Array(items) => items
            .iter()
            .any(|z| matches!(&z.kind, NodeKind::Table(t) if t.get(key).is_some())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> serde_json::Value {
        let o = parse(0, text).unwrap();
        o.layer
            .get(&o.section)
            .unwrap()
            .as_table("")
            .unwrap()
            .get(&o.key)
            .unwrap()
            .to_json()
    }

    #[test]
    fn values_parse_as_toml_or_words_and_lists_split_at_commas() {
        use serde_json::json;
        assert_eq!(value("params.epochs=2"), json!(2));
        assert_eq!(value("params.arch=gist"), json!("gist"));
        assert_eq!(value("params.name=\"a, b\""), json!("a, b"));
        assert_eq!(value("params.flag=true"), json!(true));
        assert_eq!(value("grid.lr=1e-3,3e-4"), json!([1e-3, 3e-4]));
        assert_eq!(value("grid.lr=[1e-3, 3e-4]"), json!([1e-3, 3e-4]));
        assert_eq!(value("grid.arch=[conv,gist]"), json!(["conv", "gist"]));
        assert_eq!(value("grid.arch=conv"), json!(["conv"]));
        assert_eq!(value("grid.pair=[1,2],[3,4]"), json!([[1, 2], [3, 4]]));
        assert_eq!(value("grid.s=\"x,y\",z"), json!(["x,y", "z"]));
        assert_eq!(value("grid.n=don't,x"), json!(["don't", "x"]));
        assert_eq!(value("experiment.seeds=1,2,3"), json!([1, 2, 3]));
        assert_eq!(value("resources.timeout=2h"), json!("2h"));
    }

    #[test]
    fn bad_overrides_name_themselves() {
        for (text, says) in [
            ("epochs", "expected KEY=VALUE"),
            ("epochs=2", "names no section"),
            ("parms.epochs=2", "params"),
            ("experiment.name=x", "only experiment.seeds"),
            ("params.=2", "is not a key"),
            ("params.w=[1,2", "not a TOML value"),
            ("params.w=", "has no value"),
            ("params.w=1\n[experiment]", "control character"),
            ("params.opts.depth=3", "override the whole table"),
        ] {
            let e = parse(1, text).unwrap_err();
            let shown = format!("{e}{}", e.help.clone().unwrap_or_default());
            assert!(shown.contains(says), "{text}: {shown}");
            assert!(shown.contains(&format!("override 2 ({text})")), "{shown}");
        }
    }
}
