//! Readable run names built from the axes that vary, e.g. `M64_gist_balanced_s0`.
//! Strings (and preset names) appear as themselves; numbers get the axis's abbreviation.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::config::RunConfig;

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

/// The part of a name that one key's value gives: the preset name or string as itself, a
/// number behind the key's abbreviation (`tl64`), sanitized.
pub fn name_part(
    key: &str,
    value: &Value,
    preset: Option<&str>,
    abbrev: &BTreeMap<String, String>,
) -> String {
    let label = preset.map_or_else(|| value_label(value), str::to_string);
    let textual = preset.is_some() || value.is_string();
    let prefix = match abbrev.get(key) {
        Some(a) => a.clone(),
        None if textual => String::new(),
        None => default_abbrev(key),
    };
    sanitize(&format!("{prefix}{label}"))
}

/// The part of a name that the seed gives (`s0`).
pub fn seed_part(seed: &Value) -> String {
    format!("s{}", value_label(seed))
}

/// Builds one run's name from its values for the varying keys (in order) and its seed.
pub fn run_name(
    varying: &[String],
    config: &RunConfig,
    abbrev: &BTreeMap<String, String>,
) -> String {
    let mut parts = Vec::with_capacity(varying.len() + 1);
    for key in varying.iter().filter(|k| *k != "seed") {
        if let Some(value) = config.get(key) {
            parts.push(name_part(key, value, config.preset_label(key), abbrev));
        }
    }
    if let Some(seed) = config.get("seed") {
        parts.push(seed_part(seed));
    }
    join_parts(parts.iter().map(String::as_str))
}

/// The name made of its parts: the non-empty ones joined by `_`.
pub fn join_parts<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut name = String::new();
    for part in parts.filter(|p| !p.is_empty()) {
        if !name.is_empty() {
            name.push('_');
        }
        name.push_str(part);
    }
    name
}

/// Appends a short id to every name shared by several runs, so names stay unique.
pub fn disambiguate<'a>(names: &mut [String], ids: impl Iterator<Item = &'a str>) {
    let mut counts: HashMap<&str, u32> = HashMap::with_capacity(names.len());
    for n in names.iter() {
        *counts.entry(n.as_str()).or_default() += 1;
    }
    let shared: Vec<bool> = names.iter().map(|n| counts[n.as_str()] > 1).collect();
    drop(counts);
    for ((name, id), shared) in names.iter_mut().zip(ids).zip(shared) {
        if shared {
            *name = format!("{name}-{}", &id[..6.min(id.len())]);
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
        let labels = BTreeMap::from([("loss_weights".to_string(), "balanced".to_string())]);
        let config = RunConfig::explicit(config.as_object().unwrap().clone(), labels);
        let abbrev = BTreeMap::from([("target_length".to_string(), "M".to_string())]);
        let varying: Vec<String> = ["target_length", "architecture", "loss_weights", "seed"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(run_name(&varying, &config, &abbrev), "M64_gist_balanced_s0");
        assert_eq!(
            run_name(&varying, &config, &BTreeMap::new()),
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
