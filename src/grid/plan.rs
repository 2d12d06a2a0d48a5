//! The expanded grid: every run with its id, name and resolved config.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::naming;

/// One run of the grid.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlannedRun {
    /// Hash of the canonical resolved config and task kind.
    pub id: String,
    /// Readable name from the varying axes.
    pub name: String,
    /// The resolved config (presets replaced by their tables), `seed` included.
    pub config: Map<String, Value>,
    /// Preset names used for keys whose value came from `configs/`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl PlannedRun {
    /// The run's seed, if its config has one.
    pub fn seed(&self) -> Option<i64> {
        self.config.get("seed").and_then(Value::as_i64)
    }

    /// A config value as shown in tables: the preset name, or the value.
    pub fn label(&self, key: &str) -> String {
        match (self.labels.get(key), self.config.get(key)) {
            (Some(l), _) => l.clone(),
            (None, Some(v)) => naming::value_label(v),
            (None, None) => "-".to_string(),
        }
    }
}

/// The expanded grid.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grid {
    /// Task kind of every run.
    pub task: String,
    /// Runs in deterministic order (seed outermost, then axes in spec order).
    pub runs: Vec<PlannedRun>,
    /// Config keys whose value differs between runs, in spec order (`seed` last).
    pub varying: Vec<String>,
}
