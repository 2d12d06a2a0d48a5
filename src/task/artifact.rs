//! Artifact builds as scheduling units. Before a launch runs its grid, the artifacts its runs
//! need that the store lacks are built as units of their own, through the same dispatcher
//! (slots, logs, status, timeouts, Ctrl-C) under `runs/<experiment>/artifact-builds/`, so no run
//! occupies a device slot while waiting for another run's training.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};

use super::builtin::ExecContext;
use super::Task;
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::grid::{Grid, PlannedRun};
use crate::spec::{Spec, SpecError};

/// The artifacts that the runs at `todo` need and the store does not hold yet, as a grid of
/// build units (one per artifact, in order of first need).
pub fn missing_units(task: &dyn Task, plan: &Grid, todo: &[usize], store: &ArtifactStore) -> Grid {
    // In order of first need; a run lists what it needs in dependency order (tokenizer first).
    let mut seen = std::collections::HashSet::new();
    let mut units: Vec<(String, ArtifactRequest)> = Vec::new();
    for &i in todo {
        for request in task.artifacts(&plan.runs[i].config) {
            let id = request.id();
            if !store.contains(&id) && seen.insert(id.clone()) {
                units.push((id, request));
            }
        }
    }
    let runs = units
        .into_iter()
        .map(|(id, r)| {
            let config = json!({"kind": r.kind, "config": r.config, "store": store.root().display().to_string()});
            let Value::Object(config) = config else { unreachable!() };
            PlannedRun { id: id.clone(), name: id, config, labels: BTreeMap::new() }
        })
        .collect();
    Grid {
        task: "artifact".into(),
        runs,
        varying: Vec::new(),
    }
}

/// The internal task kind that builds one artifact.
pub struct ArtifactTask;

impl Task for ArtifactTask {
    fn name(&self) -> &'static str {
        "artifact"
    }

    fn summary(&self) -> &'static str {
        "internal: builds one shared artifact before the runs that need it"
    }

    fn placement(&self) -> super::Placement {
        super::Placement::Burn
    }

    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError> {
        Err(SpecError::at(
            &spec.experiment.task_loc,
            "experiment.task",
            "`artifact` is internal to runner",
        )
        .help("artifacts are built automatically for the runs that need them"))
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<Value> {
        let request = ArtifactRequest {
            kind: config
                .get("kind")
                .and_then(Value::as_str)
                .context("no artifact kind")?
                .to_string(),
            config: config
                .get("config")
                .cloned()
                .context("no artifact config")?,
        };
        let store = ArtifactStore::new(
            config
                .get("store")
                .and_then(Value::as_str)
                .context("no store")?,
        );
        let artifact = crate::artifacts::build(&store, &request, &|done, total, what| {
            ctx.progress(done, total, what)
        })?;
        println!(
            "artifact {} {}",
            artifact.id,
            if artifact.built_now {
                "built"
            } else {
                "was already built"
            }
        );
        Ok(json!({
            "artifact": artifact.id,
            "built_now": artifact.built_now,
            "artifacts": [artifact.id],
            "peak_memory_mb": crate::store::provenance::peak_memory_mb(),
        }))
    }
}
