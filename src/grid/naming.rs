//! Readable run names built from the axes that vary, e.g. `M64_gist_balanced_s0`.
//! Strings (and preset names) appear as themselves; numbers get the axis's abbreviation.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

/// The label of one value in a name: the preset name, the string, or the number.
pub fn value_label(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => super::identity::canonical_json(other),
    }
}

/// Default abbreviation of an axis: initials of a multi-word key (`target_length` → `tl`),
/// the key itself otherwise (`ratio`).
pub fn default_abbrev(key: &str) -> String {
    let words: Vec<&str> = key.split(['_', '-']).filter(|w| !w.is_empty()).collect();
    if words.len() > 1 {
        words.iter().filter_map(|w| w.chars().next()).collect()
    } else {
        key.to_string()
    }
}

/// Keeps letters, digits, `.`, `-`, `+`; anything else becomes `-`; at most 48 characters.
pub fn sanitize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-+".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    let collapsed = trimmed
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    collapsed.chars().take(48).collect()
}

/// Builds one run's name from its labels for the varying keys (in order) and its seed.
pub fn run_name(
    varying: &[String],
    labels: &BTreeMap<String, String>,
    config: &serde_json::Map<String, Value>,
    abbrev: &BTreeMap<String, String>,
) -> String {
    let mut parts = Vec::with_capacity(varying.len() + 1);
    for key in varying.iter().filter(|k| *k != "seed") {
        let Some(value) = config.get(key) else {
            continue;
        };
        let label = labels
            .get(key)
            .cloned()
            .unwrap_or_else(|| value_label(value));
        let textual = labels.contains_key(key) || value.is_string();
        let prefix = match abbrev.get(key) {
            Some(a) => a.clone(),
            None if textual => String::new(),
            None => default_abbrev(key),
        };
        parts.push(sanitize(&format!("{prefix}{label}")));
    }
    if let Some(seed) = config.get("seed") {
        parts.push(format!("s{}", value_label(seed)));
    }
    parts.retain(|p| !p.is_empty());
    parts.join("_")
}

/// Appends a short id to every name shared by several runs, so names stay unique.
pub fn disambiguate(names: &mut [String], ids: &[String]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for n in names.iter() {
        *counts.entry(n.clone()).or_default() += 1;
    }
    for (name, id) in names.iter_mut().zip(ids) {
        if counts[name.as_str()] > 1 {
            *name = format!("{name}-{}", &id[..6]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_the_varying_axes() {
        let config = json!({"target_length": 64, "architecture": "gist", "loss_weights": {"a": 1}, "seed": 0, "epochs": 3});
        let config = config.as_object().unwrap();
        let labels = BTreeMap::from([("loss_weights".to_string(), "balanced".to_string())]);
        let abbrev = BTreeMap::from([("target_length".to_string(), "M".to_string())]);
        let varying: Vec<String> = ["target_length", "architecture", "loss_weights", "seed"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            run_name(&varying, &labels, config, &abbrev),
            "M64_gist_balanced_s0"
        );
        assert_eq!(
            run_name(&varying, &labels, config, &BTreeMap::new()),
            "tl64_gist_balanced_s0"
        );
    }

    #[test]
    fn sanitizes_paths_and_spaces() {
        assert_eq!(
            sanitize("../shared/data/canterbury"),
            "..-shared-data-canterbury"
        );
        assert_eq!(sanitize("a b"), "a-b");
    }
}
