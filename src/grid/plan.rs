//! The expanded grid: every run with its id, name and resolved config.
//!
//! plan.json (format 2) writes what the runs share once (`table`: the fixed params, each axis's
//! values, the seeds, the configs written out whole) and a short row per run (id, name, and the
//! point of the product and seed index, or the index of a whole config). Plans of format 1,
//! which wrote every run's config in full, are read as whole configs.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::config::{ConfigTable, ExplicitConfig, Origin, RunConfig};
use super::naming;

/// One run of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRun {
    /// Hash of the canonical resolved config and task kind.
    pub id: String,
    /// Readable name from the varying axes.
    pub name: String,
    /// The resolved config (presets replaced by their tables), `seed` included.
    pub config: RunConfig,
}

impl PlannedRun {
    /// The run's seed, if its config has one.
    pub fn seed(&self) -> Option<i64> {
        self.config.seed()
    }

    /// A config value as shown in tables: the preset name, or the value.
    pub fn label(&self, key: &str) -> String {
        match (self.config.preset_label(key), self.config.get(key)) {
            (Some(l), _) => l.to_string(),
            (None, Some(v)) => naming::value_label(v),
            (None, None) => "-".to_string(),
        }
    }
}

/// The expanded grid.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Task kind of every run.
    pub task: String,
    /// What the runs share; every run's config reads from it.
    pub table: Arc<ConfigTable>,
    /// Runs in deterministic order (seed outermost, then axes in spec order).
    pub runs: Vec<PlannedRun>,
    /// Config keys whose value differs between runs, in spec order (`seed` last).
    pub varying: Vec<String>,
}

impl Grid {
    /// A grid of whole configs: `(id, name, config)` per run.
    pub fn from_configs(task: &str, runs: Vec<(String, String, Map<String, Value>)>) -> Self {
        let mut table = ConfigTable::default();
        let mut planned = Vec::with_capacity(runs.len());
        for (i, (id, name, config)) in runs.into_iter().enumerate() {
            table.explicit.push(ExplicitConfig {
                config,
                labels: Default::default(),
            });
            planned.push((id, name, Origin::Explicit(i as u32)));
        }
        Self::assemble(task.to_string(), table, planned, Vec::new())
    }

    /// A grid from its table and `(id, name, origin)` rows.
    pub fn assemble(
        task: String,
        table: ConfigTable,
        rows: Vec<(String, String, Origin)>,
        varying: Vec<String>,
    ) -> Self {
        let table = Arc::new(table);
        let runs = rows
            .into_iter()
            .map(|(id, name, origin)| PlannedRun {
                id,
                name,
                config: RunConfig::new(table.clone(), origin),
            })
            .collect();
        Self {
            task,
            table,
            runs,
            varying,
        }
    }

    /// Every key some run's config has, sorted.
    pub fn keys(&self) -> std::collections::BTreeSet<String> {
        let t = &self.table;
        let mut keys: std::collections::BTreeSet<String> = t.fixed.keys().cloned().collect();
        keys.extend(t.axes.iter().map(|a| a.key.clone()));
        keys.extend(t.explicit.iter().flat_map(|e| e.config.keys().cloned()));
        if !t.seeds.is_empty() {
            keys.insert("seed".into());
        }
        let foreign = self
            .runs
            .iter()
            .filter(|r| !Arc::ptr_eq(r.config.table(), &self.table));
        for run in foreign {
            keys.extend(run.config.keys().into_iter().map(String::from));
        }
        keys
    }

    /// The same grid with only the runs at `keep`, in that order.
    pub fn subset(&self, keep: &[usize]) -> Self {
        Self {
            task: self.task.clone(),
            table: self.table.clone(),
            runs: keep.iter().map(|&i| self.runs[i].clone()).collect(),
            varying: self.varying.clone(),
        }
    }
}

/// One run as plan.json writes it (format 2), or as format 1 wrote it (`config`, `labels`).
#[derive(Serialize, Deserialize)]
struct Row {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    point: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    explicit: Option<u32>,
    #[serde(default, skip_serializing)]
    config: Option<Map<String, Value>>,
    #[serde(default, skip_serializing)]
    labels: std::collections::BTreeMap<String, String>,
}

/// plan.json.
#[derive(Serialize, Deserialize)]
struct PlanFile {
    #[serde(default = "format_one")]
    format: u32,
    task: String,
    #[serde(default)]
    table: ConfigTable,
    runs: Vec<Row>,
    varying: Vec<String>,
}

fn format_one() -> u32 {
    1
}

impl Serialize for Grid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut table = (*self.table).clone();
        let mut runs = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let mut row = Row {
                id: run.id.clone(),
                name: run.name.clone(),
                point: None,
                seed: None,
                explicit: None,
                config: None,
                labels: Default::default(),
            };
            match run.config.origin() {
                Origin::Point { point, seed } if Arc::ptr_eq(run.config.table(), &self.table) => {
                    row.point = Some(point);
                    row.seed = Some(seed);
                }
                Origin::Explicit(i) if Arc::ptr_eq(run.config.table(), &self.table) => {
                    row.explicit = Some(i);
                }
                _ => {
                    // A run from another table: written out whole.
                    row.explicit = Some(table.explicit.len() as u32);
                    table.explicit.push(ExplicitConfig {
                        config: run.config.to_map(),
                        labels: run.config.labels(),
                    });
                }
            }
            runs.push(row);
        }
        PlanFile {
            format: 2,
            task: self.task.clone(),
            table,
            runs,
            varying: self.varying.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Grid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let file = PlanFile::deserialize(deserializer)?;
        if file.format > 2 {
            return Err(D::Error::custom(format!(
                "plan format {} was written by a newer runner (this one reads 1 and 2)",
                file.format
            )));
        }
        let mut table = file.table;
        table.check().map_err(D::Error::custom)?;
        let mut rows = Vec::with_capacity(file.runs.len());
        for row in file.runs {
            let origin = match (row.config, row.explicit, row.point, row.seed) {
                (Some(config), ..) => {
                    table.explicit.push(ExplicitConfig {
                        config,
                        labels: row.labels,
                    });
                    Origin::Explicit(table.explicit.len() as u32 - 1)
                }
                (None, Some(i), ..) if (i as usize) < table.explicit.len() => Origin::Explicit(i),
                (None, None, Some(point), Some(seed))
                    if (seed as usize) < table.seeds.len() && point < table.points() =>
                {
                    Origin::Point { point, seed }
                }
                _ => {
                    return Err(D::Error::custom(format!(
                        "run {} has no config, or one outside the plan's table",
                        row.id
                    )))
                }
            };
            rows.push((row.id, row.name, origin));
        }
        Ok(Self::assemble(file.task, table, rows, file.varying))
    }
}
