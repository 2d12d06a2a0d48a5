//! Numeric leaves of a metrics or curve JSON object, with dotted keys, and what a line of a
//! run's curves.jsonl says: its values and its step.

use std::collections::BTreeMap;

use serde_json::Value;

/// Numeric leaves of a JSON value with dotted keys (booleans as 0/1).
pub fn flatten(value: &Value, prefix: &str, out: &mut BTreeMap<String, f64>) {
    match value {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                out.insert(prefix.to_string(), x);
            }
        }
        Value::Bool(b) => {
            out.insert(prefix.to_string(), if *b { 1.0 } else { 0.0 });
        }
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &key, out);
            }
        }
        _ => {}
    }
}

/// The numeric values of a run's metrics.json (`run_dir/metrics.json`), flattened; empty when it
/// is missing or not JSON.
pub fn run_metrics(run_dir: &std::path::Path) -> BTreeMap<String, f64> {
    let mut values = BTreeMap::new();
    if let Some(v) = std::fs::read(run_dir.join("metrics.json"))
        .ok()
        .and_then(|text| serde_json::from_slice::<Value>(&text).ok())
    {
        flatten(&v, "", &mut values);
    }
    values
}

/// The keys that give a curve line's step, in order of preference.
pub const STEP_KEYS: [&str; 3] = ["step", "epoch", "iteration"];

/// The numeric values of one curves.jsonl line (None when it is not JSON). NaN and infinities,
/// which JSON lacks but Python's `json.dumps` writes, are read as absent values, so the line's
/// other values are kept.
pub fn curve_line(line: &str) -> Option<BTreeMap<String, f64>> {
    let value = serde_json::from_str::<Value>(line).ok().or_else(|| {
        let fixed = line
            .replace("-Infinity", "null")
            .replace("Infinity", "null")
            .replace("NaN", "null");
        serde_json::from_str::<Value>(&fixed).ok()
    })?;
    let mut values = BTreeMap::new();
    flatten(&value, "", &mut values);
    Some(values)
}

/// A curve point's step: its `step`, `epoch` or `iteration` (truncated), else `fallback` (the
/// number of the line among the lines read).
pub fn curve_step(values: &BTreeMap<String, f64>, fallback: i64) -> i64 {
    STEP_KEYS
        .iter()
        .find_map(|k| values.get(*k))
        .map_or(fallback, |s| *s as i64)
}

/// Every JSON line of a curves.jsonl text: (step, the values that are not the step).
pub fn curve_points(text: &str) -> Vec<(i64, BTreeMap<String, f64>)> {
    text.lines()
        .filter_map(curve_line)
        .enumerate()
        .map(|(i, mut values)| {
            let step = curve_step(&values, i as i64);
            values.retain(|k, _| !STEP_KEYS.contains(&k.as_str()));
            (step, values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_lines_keep_finite_values_and_find_their_step() {
        let points = curve_points(
            "{\"epoch\": 2, \"loss\": NaN, \"acc\": 0.5}\nnot json\n{\"x\": {\"y\": 1}}\n",
        );
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].0, 2);
        assert_eq!(points[0].1.get("acc"), Some(&0.5));
        assert!(!points[0].1.contains_key("loss") && !points[0].1.contains_key("epoch"));
        assert_eq!(points[1].0, 1, "the second JSON line, no step key");
        assert_eq!(points[1].1.get("x.y"), Some(&1.0));
    }
}
