//! `experiment.json`: what resume needs besides the plan (task kind, resources, working
//! directory) and where the results came from (runner version, git commit), written at every
//! launch and resume together with the frozen spec and the plan.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::atomic;
use super::experiment_dir::ExperimentDir;
use super::provenance::{self, git_state, now_rfc3339, RUNNER_VERSION};
use crate::grid::Grid;
use crate::spec::{Resources, Spec};

/// Facts about an experiment that resume needs besides the plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentMeta {
    /// Experiment name.
    pub name: String,
    /// Description from the spec.
    pub description: String,
    /// Task kind.
    pub task: String,
    /// Spec file as given at launch.
    pub spec_path: PathBuf,
    /// Working directory of command runs (the directory `runner launch` ran in).
    pub workdir: PathBuf,
    /// Resources from the spec.
    pub resources: Resources,
    /// First launch.
    pub created_at: String,
    /// Latest launch or resume.
    pub updated_at: String,
    /// runner version of the latest launch.
    pub runner_version: String,
    /// Git state of the working tree at the latest launch.
    pub git: Option<provenance::GitState>,
    /// `[tracking]` of the spec (absent in experiments recorded before it: the defaults).
    #[serde(default)]
    pub tracking: crate::spec::tracking::Tracking,
    /// The command line's overrides of the spec at the latest launch (`KEY=VALUE`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
}

impl ExperimentMeta {
    /// The same with tracking off (the shared artifact builds of a launch, which are not runs
    /// of the experiment).
    pub fn untracked(&self) -> ExperimentMeta {
        let mut meta = self.clone();
        meta.tracking.tensorboard = false;
        meta
    }
}

impl ExperimentDir {
    /// Reads experiment.json.
    pub fn read_meta(&self) -> Result<ExperimentMeta> {
        super::experiment_dir::read_json(&self.file("experiment.json"))
            .map_err(|e| self.relaunch_hint(e))
    }

    /// Records a launch of `spec`: the frozen spec, experiment.json (keeping the first launch's
    /// creation time) and the plan. Call while holding the experiment lock.
    pub fn record_launch(&self, spec: &Spec, grid: &Grid) -> Result<ExperimentMeta> {
        let previous = self.read_meta().ok();
        let workdir = std::env::current_dir().context("cannot read the current directory")?;
        let spec_dir = spec.path.parent().filter(|p| !p.as_os_str().is_empty());
        let meta = ExperimentMeta {
            name: spec.experiment.name.clone(),
            description: spec.experiment.description.clone(),
            task: spec.experiment.task.clone(),
            spec_path: spec.path.clone(),
            workdir,
            resources: spec.resources.clone(),
            created_at: previous.map_or_else(now_rfc3339, |m| m.created_at),
            updated_at: now_rfc3339(),
            runner_version: RUNNER_VERSION.to_string(),
            git: git_state(spec_dir.unwrap_or(Path::new("."))),
            overrides: spec.overrides.clone(),
            tracking: spec.tracking.clone(),
        };
        atomic::write_atomic(&self.file("spec.toml"), spec.frozen.as_bytes())?;
        atomic::write_json(&self.file("experiment.json"), &meta)?;
        atomic::write_json(&self.file("plan.json"), grid)?;
        Ok(meta)
    }

    /// Records a copy of another experiment for `runner reproduce`: its frozen spec, its
    /// metadata (task, resources, working directory; created now) and `grid`, a part of its
    /// plan.
    pub fn record_copy(&self, meta: &ExperimentMeta, spec_text: &str, grid: &Grid) -> Result<()> {
        self.create()?;
        let meta = ExperimentMeta {
            created_at: now_rfc3339(),
            updated_at: now_rfc3339(),
            ..meta.clone()
        };
        atomic::write_atomic(&self.file("spec.toml"), spec_text.as_bytes())?;
        atomic::write_json(&self.file("experiment.json"), &meta)?;
        atomic::write_json(&self.file("plan.json"), grid)
    }

    /// Records a resume in experiment.json (time and git state) and returns the metadata.
    pub fn record_resume(&self) -> Result<ExperimentMeta> {
        let mut meta = self.read_meta()?;
        meta.updated_at = now_rfc3339();
        meta.git = git_state(&meta.workdir).or(meta.git);
        atomic::write_json(&self.file("experiment.json"), &meta)?;
        Ok(meta)
    }
}
