//! An experiment directory of the run store: its files, the state of each planned run, and
//! the links by name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use serde_json::Value;

use super::run_status::{RunState, RunStatus};
use super::{atomic, results};
use crate::grid::{Grid, PlannedRun};

/// An experiment directory.
#[derive(Debug, Clone)]
pub struct ExperimentDir {
    /// `runs/<experiment>`.
    pub root: PathBuf,
}

/// What the store says about one planned run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// No trace of it.
    New,
    /// A status with this state (a completed run also has its metrics.json).
    State(RunState),
}

impl ExperimentDir {
    /// The directory (not created).
    pub fn new(root: impl Into<PathBuf>) -> ExperimentDir {
        ExperimentDir { root: root.into() }
    }

    /// An existing experiment directory, or a bad-input error saying it is none.
    pub fn open(root: impl Into<PathBuf>) -> Result<ExperimentDir> {
        let dir = ExperimentDir::new(root);
        if !dir.has_plan() {
            let why = if dir.root.is_dir() && std::fs::read_dir(&dir.root).is_err() {
                "cannot be read"
            } else {
                "is not an experiment directory (no plan.json)"
            };
            return Err(crate::error::bad_input(format!(
                "{} {why}\n  = help: start one with `runner launch SPEC`",
                dir.root.display()
            )));
        }
        Ok(dir)
    }

    /// Creates the directory and its `runs/`.
    pub fn create(&self) -> Result<()> {
        std::fs::create_dir_all(self.root.join("runs"))
            .with_context(|| format!("cannot create {}", self.root.display()))
    }

    /// Directory of one run.
    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join("runs").join(id)
    }

    /// A file at the top of the experiment directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Whether a plan has been written here.
    pub fn has_plan(&self) -> bool {
        self.file("plan.json").is_file()
    }

    /// Reads plan.json.
    pub fn read_plan(&self) -> Result<Grid> {
        read_json(&self.file("plan.json")).map_err(|e| self.relaunch_hint(e))
    }

    /// An error reading a file `launch` writes, with how to get it back.
    pub(super) fn relaunch_hint(&self, error: anyhow::Error) -> anyhow::Error {
        crate::error::bad_input(format!(
            "{error:#}\n  Launching the experiment's spec again rewrites it and keeps every \
             finished run (the spec as launched: {}).",
            self.file("spec.toml").display()
        ))
    }

    /// Reads a run's status.json, if there is one.
    pub fn read_status(&self, id: &str) -> Option<RunStatus> {
        let bytes = std::fs::read(self.run_dir(id).join("status.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes a run's status.json.
    pub fn write_status(&self, id: &str, status: &RunStatus) -> Result<()> {
        atomic::write_json(&self.run_dir(id).join("status.json"), status)
    }

    /// The artifacts a run used (its artifacts.json; none when it wrote none).
    pub fn read_artifacts(&self, id: &str) -> Vec<results::ArtifactUse> {
        read_json(&self.run_dir(id).join("artifacts.json")).unwrap_or_default()
    }

    /// Reads a run's metrics.json.
    pub fn read_metrics(&self, id: &str) -> Result<Value> {
        read_json(&self.run_dir(id).join("metrics.json"))
    }

    /// The state of a run from its files. A run is complete when its status says so, the
    /// status belongs to this config, and metrics.json exists. A run whose status.json is
    /// missing or damaged but that left an exit record or metrics is seen as running: like a
    /// run whose launcher died, it is settled from those files (never simply run again).
    pub fn observe(&self, run: &PlannedRun) -> Observed {
        match self.read_status(&run.id) {
            None if self.left_output(&run.id) => Observed::State(RunState::Running),
            None => Observed::New,
            Some(s) if s.config_hash != run.id => Observed::New,
            Some(s) if s.state == RunState::Completed => {
                if self.run_dir(&run.id).join("metrics.json").is_file() {
                    Observed::State(RunState::Completed)
                } else {
                    Observed::State(RunState::Failed)
                }
            }
            Some(s) => Observed::State(s.state),
        }
    }

    /// Whether a run's directory holds an exit record or metrics.
    fn left_output(&self, id: &str) -> bool {
        let dir = self.run_dir(id);
        dir.join("exit.json").is_file() || dir.join("metrics.json").is_file()
    }

    /// Ids of run directories on disk.
    pub fn ids_on_disk(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.root.join("runs")) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(String::from))
            .collect();
        ids.sort();
        ids
    }

    /// Points `by-name/<name>` at the run's directory.
    pub fn link_name(&self, run: &PlannedRun) {
        let dir = self.root.join("by-name");
        let _ = std::fs::create_dir_all(&dir);
        let link = dir.join(&run.name);
        let target = Path::new("..").join("runs").join(&run.id);
        if std::fs::read_link(&link).ok().as_deref() != Some(target.as_path()) {
            let _ = std::fs::remove_file(&link);
            #[cfg(unix)]
            let _ = std::os::unix::fs::symlink(&target, &link);
        }
    }
}

/// Reads and parses a JSON file, naming the file in errors.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid", path.display()))
}
