//! The preflight of a launch: before any run or artifact build starts, everything the spec
//! needs is checked — the data sets, files and programs its runs name, what the shared
//! artifacts still to be built read, a GPU when the spec asks for one. A missing public data
//! set is downloaded from its official source (SHA-256 checked) unless offline. Whatever is
//! still missing is reported in one error that lists each piece, where it was looked for and
//! the command that fixes it; nothing has been created by then.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;

use super::kind::{Placement, Task};
use super::need::{data, Need};
use crate::artifacts::{lm::CorpusSource, ArtifactRequest, ArtifactStore};
use crate::data::registry;
use crate::error::bad_input;
use crate::grid::Grid;
use crate::spec::{DeviceRequest, Resources};

/// What building a shared artifact reads.
fn artifact_needs(request: &ArtifactRequest) -> Vec<Need> {
    match request {
        ArtifactRequest::Tokenizer(c) => vec![data("dataset", &c.dataset)],
        ArtifactRequest::Reader(c) => vec![data("dataset", &c.tokenizer.dataset)],
        ArtifactRequest::TokenClassifier(c) => vec![data("dataset", &c.dataset)],
        ArtifactRequest::SoftTeacher(c) => vec![data("dataset", &c.tokenizer.dataset)],
        ArtifactRequest::Lm(c) => c
            .corpus
            .iter()
            .map(|source| match source {
                CorpusSource::Texts(name) => data("corpus", name),
                CorpusSource::SplitTrain { dataset, .. } => data("corpus", dataset),
            })
            .collect(),
    }
}

/// Checks (and fetches what it can of) everything the plan's runs at `todo` need; the GPUs
/// `gpus_here` names only when the runs are to run on this machine.
pub fn check(
    task: &dyn Task,
    grid: &Grid,
    todo: &[usize],
    gpus_here: Option<&Resources>,
    workdir: &Path,
    offline: bool,
) -> Result<()> {
    let store = ArtifactStore::for_workdir(workdir);
    let mut needs = BTreeSet::new();
    for &i in todo {
        let config = &grid.runs[i].config;
        needs.extend(task.needs(config));
        for request in task.artifacts(config) {
            if !store.contains(&request.id()) {
                needs.extend(artifact_needs(&request));
            }
        }
    }
    let mut missing: Vec<String> = needs
        .iter()
        .filter_map(|need| problem(need, workdir, offline))
        .collect();
    missing.extend(gpus_here.and_then(|r| gpu_problem(r, task.placement(), task.name())));
    if missing.is_empty() {
        return Ok(());
    }
    Err(bad_input(format!(
        "the spec needs what this machine does not have; nothing was started:\n{}",
        missing.join("\n")
    )))
}

/// Why a need is not met (after trying to fetch a missing data set), if it is not.
fn problem(need: &Need, workdir: &Path, offline: bool) -> Option<String> {
    match need {
        Need::DataSet { key, name, path } => {
            if path.exists() {
                return None;
            }
            let entry = registry::find(name)?;
            let dir = crate::data::data_dir();
            let fetched = if offline {
                Err(anyhow::anyhow!(
                    "offline (--offline or RUNNER_OFFLINE=1): not downloaded"
                ))
            } else {
                eprintln!(
                    "    Downloading data set `{name}` from {} into {}",
                    registry::source_url(entry),
                    dir.display()
                );
                registry::fetch(entry, &dir)
            };
            match fetched {
                Ok(()) if path.exists() => None,
                Ok(()) => Some(format!("  - `{key}`: {} is not part of data set `{name}`", path.display())),
                Err(e) => Some(format!(
                    "  - data set `{name}` (`{key}`): {} is missing ({e:#})\n    fix: `runner data fetch {name}`, or {} (data directory: {}; set RUNNER_DATA to use another)",
                    path.display(),
                    registry::by_hand(entry, &dir),
                    dir.display()
                )),
            }
        }
        Need::Path { key, path } => {
            let full = workdir.join(path);
            (!full.exists()).then(|| {
                format!(
                    "  - `{key}`: {} does not exist (looked for {})",
                    path.display(),
                    full.display()
                )
            })
        }
        Need::Model { key, reference } => model_problem(key, reference, workdir, offline),
        Need::Program { name } => (!program_exists(name, workdir)).then(|| {
            format!(
                "  - program `{name}` is not found (on PATH or from {})",
                workdir.display()
            )
        }),
    }
}

/// Why a model is not at hand (after fetching a known one that is missing), if it is not.
fn model_problem(key: &str, reference: &str, workdir: &Path, offline: bool) -> Option<String> {
    let Some(known) = crate::data::models::find(reference) else {
        let full = workdir.join(reference);
        return (!full.exists()).then(|| {
            format!(
                "  - `{key}`: model {reference} is no known name (`runner data list`) and {} does not exist",
                full.display()
            )
        });
    };
    let path = crate::data::models::resolve(reference);
    if path.exists() {
        return None;
    }
    if !offline {
        eprintln!(
            "    Downloading model `{reference}` ({}) into {}",
            known.package,
            crate::data::models::models_dir().display()
        );
    }
    crate::data::models::ensure(reference, offline).err().map(|e| {
        format!(
            "  - model `{reference}` (`{key}`): {} is missing ({e:#})\n    fix: `runner data fetch {reference}`, or {}",
            path.display(),
            crate::data::models::by_hand(known)
        )
    })
}

fn program_exists(name: &str, workdir: &Path) -> bool {
    if name.contains('/') {
        return workdir.join(name).is_file();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false)
}

/// A spec that names GPUs on a machine that shows none, or GPUs for burn models in a build
/// without a GPU backend.
fn gpu_problem(resources: &Resources, placement: Placement, kind: &str) -> Option<String> {
    let DeviceRequest::List(list) = &resources.devices else {
        return None;
    };
    let wanted: Vec<&str> = list
        .iter()
        .filter(|d| d.starts_with("cuda:"))
        .map(String::as_str)
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let wanted = wanted.join(", ");
    if crate::models::device::visible_gpus().is_empty() {
        return Some(format!(
            "  - devices {wanted}: no GPU is visible here (CUDA_VISIBLE_DEVICES, nvidia-smi)\n    fix: run where the GPUs are, or set devices = \"auto\" or \"cpu\" in [resources]"
        ));
    }
    if placement == Placement::Burn && crate::models::device::gpu_backend().is_none() {
        return Some(format!(
            "  - devices {wanted}: task `{kind}` trains burn models, and this runner was built without a GPU backend\n    fix: build runner with `--features wgpu` (or `cuda`), or set devices = \"cpu\" in [resources]"
        ));
    }
    None
}
