//! Artifact builds as scheduling units. Before a launch runs its grid, the artifacts its runs
//! need that the store lacks are built as units of their own, through the same dispatcher
//! (slots, logs, status, timeouts, Ctrl-C) under `runs/<experiment>/artifact-builds/`, so no run
//! occupies a device slot while waiting for another run's training. A unit's config is the
//! request (`{"kind", "config"}`) and the store it goes to; its id is the artifact's id.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::builtin::{ExecContext, RunOutput};
use super::kind::{Placement, Task};
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::grid::Grid;
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::spec::presets::Presets;
use crate::spec::{Spec, SpecError};

/// The config of one build unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Unit {
    #[serde(flatten)]
    request: ArtifactRequest,
    store: String,
}

/// The artifacts that the runs at `todo` need and the store does not hold yet, as a grid of
/// build units (one per artifact, in order of first need).
pub fn missing_units(task: &dyn Task, plan: &Grid, todo: &[usize], store: &ArtifactStore) -> Grid {
    // In order of first need; a run lists what it needs in dependency order (tokenizer first).
    let mut seen = std::collections::HashSet::new();
    let mut runs = Vec::new();
    for &i in todo {
        for request in task.artifacts(&plan.runs[i].config) {
            let id = request.id();
            if store.contains(&id) || !seen.insert(id.clone()) {
                continue;
            }
            let unit = Unit {
                request,
                store: store.root().display().to_string(),
            };
            let Ok(Value::Object(config)) = serde_json::to_value(&unit) else {
                continue;
            };
            runs.push((id.clone(), id, config));
        }
    }
    Grid::from_configs("artifact", runs)
}

const METRICS: &[MetricDef] = &[
    MetricDef::count("built_now", "built by this unit (0/1)"),
    MetricDef::detail("peak_memory_mb", "peak memory (MB)", Better::Lower),
];

/// The internal task kind that builds one artifact.
pub struct ArtifactTask;

impl Task for ArtifactTask {
    fn name(&self) -> &'static str {
        "artifact"
    }

    fn summary(&self) -> &'static str {
        "internal: builds one shared artifact before the runs that need it"
    }

    fn placement(&self) -> Placement {
        Placement::Burn
    }

    fn metrics(&self) -> &'static [MetricDef] {
        METRICS
    }

    fn check_spec(&self, spec: &Spec, _presets: &mut Presets) -> Result<(), SpecError> {
        Err(SpecError::at(
            &spec.experiment.task_loc,
            "experiment.task",
            "`artifact` is internal to runner",
        )
        .help("artifacts are built automatically for the runs that need them"))
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<RunOutput> {
        let unit: Unit = serde_json::from_value(Value::Object(config.clone()))
            .context("not an artifact build unit")?;
        let store = ArtifactStore::new(&unit.store);
        let artifact =
            crate::artifacts::build(&store, &unit.request, &ctx.device, &|done, total, what| {
                ctx.progress(done, total, what)
            })?;
        let word = if artifact.built_now {
            "built"
        } else {
            "was already built"
        };
        println!("artifact {} {word}", artifact.id);
        let metrics = json!({
            "artifact": artifact.id,
            "built_now": artifact.built_now,
            "peak_memory_mb": crate::store::provenance::peak_memory_mb(),
        });
        Ok(RunOutput::metrics(metrics).with_artifacts([artifact.id]))
    }
}
