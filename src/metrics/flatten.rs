//! Numeric leaves of a metrics or curve JSON object, with dotted keys.

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
