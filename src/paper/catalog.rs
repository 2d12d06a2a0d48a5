//! What the report knows about each metric: its label with unit, its better direction, its
//! interval and whether it is a headline metric. Declarations come from the experiments' task
//! kinds (`runner tasks KIND`); a report definition's `better` (or `--better`) adds or
//! overrides directions. A metric of unknown direction is never marked "best".

use std::collections::BTreeMap;

use crate::analysis::experiment_data::ExperimentData;
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::{self, Better};

/// The metrics of the experiments being reported.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    declared: Vec<MetricDef>,
    better: BTreeMap<String, Better>,
}

impl Catalog {
    /// The declarations of the experiments' task kinds, with directions given by the user
    /// (`metric → "higher" | "lower"`; unknown words are reported by the caller).
    pub fn new(data: &[ExperimentData], better: &BTreeMap<String, String>) -> Catalog {
        let mut declared: Vec<MetricDef> = Vec::new();
        for e in data {
            let Some(task) = crate::task::lookup(&e.plan.task) else {
                continue;
            };
            for m in task.metrics() {
                if !declared.iter().any(|d| d.key == m.key) {
                    declared.push(*m);
                }
            }
        }
        let better = better
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), direction::parse(v)?)))
            .collect();
        Catalog { declared, better }
    }

    /// Whether the experiments' task kinds declare their metrics.
    pub fn is_declared(&self) -> bool {
        !self.declared.is_empty()
    }

    /// The declaration of `key`.
    pub fn get(&self, key: &str) -> Option<&MetricDef> {
        self.declared.iter().find(|m| m.key == key)
    }

    /// Declared metrics, in declaration order.
    pub fn declared(&self) -> &[MetricDef] {
        &self.declared
    }

    /// The label of `key` for tables, axes and titles ("F1 (%)"), or the key itself.
    pub fn label(&self, key: &str) -> String {
        self.get(key)
            .map_or_else(|| key.to_string(), |m| m.label.to_string())
    }

    /// The better direction of `key`, if known.
    pub fn better(&self, key: &str) -> Option<Better> {
        self.better
            .get(key)
            .copied()
            .or_else(|| self.get(key).and_then(|m| m.better))
    }

    /// Keys of the run's own interval of `key`, if it has one.
    pub fn interval(&self, key: &str) -> Option<(&'static str, &'static str)> {
        self.get(key).and_then(|m| m.interval)
    }
}
