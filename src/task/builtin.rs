//! What a built-in run gets besides its parameters (`ExecContext`: its directory, seed, threads
//! and burn device) and what it gives back (`RunOutput`: its metrics and the artifacts it used).

use std::path::PathBuf;

use serde_json::{Map, Value};

/// What a built-in task gets besides its parameters.
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// The run directory (outputs go here).
    pub run_dir: PathBuf,
    /// The run's seed.
    pub seed: u64,
    /// CPU threads the run may use (`[resources] threads`); the global thread pool has them.
    pub threads: usize,
    /// The burn device every model of the run computes on.
    pub device: burn::tensor::Device,
}

impl ExecContext {
    /// A context for a run directory on the CPU with one thread (tests, tools).
    pub fn new(run_dir: impl Into<PathBuf>, seed: u64) -> ExecContext {
        ExecContext {
            run_dir: run_dir.into(),
            seed,
            threads: 1,
            device: crate::models::device::cpu(),
        }
    }

    /// Reports progress (`current/total message`) for the launcher's display.
    pub fn progress(&self, current: usize, total: usize, message: &str) {
        let _ = std::fs::write(
            self.run_dir.join("progress"),
            format!("{current}/{total} {message}\n"),
        );
    }

    /// A path inside the run directory.
    pub fn out(&self, name: &str) -> PathBuf {
        self.run_dir.join(name)
    }
}

/// What a built-in run produced: its metrics and the shared artifacts it used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutput {
    /// metrics.json.
    pub metrics: Map<String, Value>,
    /// Ids of the artifacts the run used, in build order.
    pub artifacts: Vec<String>,
}

impl RunOutput {
    /// An output of these metrics (a JSON object) and no artifacts.
    pub fn metrics(metrics: Value) -> RunOutput {
        let Value::Object(metrics) = metrics else {
            return RunOutput::default();
        };
        RunOutput {
            metrics,
            artifacts: Vec::new(),
        }
    }

    /// The same output having used these artifacts too.
    pub fn with_artifacts(mut self, ids: impl IntoIterator<Item = String>) -> RunOutput {
        for id in ids {
            if !self.artifacts.contains(&id) {
                self.artifacts.push(id);
            }
        }
        self
    }
}

/// The JSON object `value` as a metrics map (empty when it is not an object).
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
