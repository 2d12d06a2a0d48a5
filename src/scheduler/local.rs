//! The local backend: runs execute as child processes on this machine's slots. Shared artifacts
//! the runs need are built first, as units of their own through the same dispatcher (slots,
//! logs, status, Ctrl-C) under `<experiment>/artifact-builds/`, so no run holds a slot while
//! waiting for another's training.

use std::collections::HashSet;

use anyhow::Result;

use super::devices;
use super::dispatcher::Dispatcher;
use super::launch::{Backend, Launch, Outcome, Prepared};
use super::reporter::{Note, Reporter};
use crate::error::bad_input;
use crate::store::ExperimentDir;
use crate::task::artifact::ArtifactTask;
use crate::task::Task;

/// Runs on this machine.
#[derive(Debug, Clone, Default)]
pub struct LocalBackend {
    /// CPU slots (overrides `resources.runs_per_device` for the CPU).
    pub jobs: Option<u32>,
    /// Stop starting runs after the first run that fails.
    pub fail_fast: bool,
}

impl Backend for LocalBackend {
    fn alive(&mut self, launch: &Launch<'_>) -> Result<HashSet<String>> {
        let queued = super::slurm::backend::active_jobs(&launch.store.root)?;
        if !queued.is_empty() {
            return Err(bad_input(format!(
                "jobs {} of this experiment are still in the Slurm queue\n  = help: use `--backend slurm`, or `runner cancel {}` first",
                queued.join(", "),
                launch.store.root.display()
            )));
        }
        Ok(HashSet::new())
    }

    fn execute(
        &mut self,
        launch: &Launch<'_>,
        work: Prepared,
        reporter: &mut dyn Reporter,
    ) -> Result<Outcome> {
        let slots = devices::slots(&launch.meta.resources, self.jobs, launch.task.placement());
        if !work.units.runs.is_empty() {
            reporter.note(Note::BuildingArtifacts {
                count: work.units.runs.len(),
                dir: launch.store.root.clone(),
            });
            let builds = ExperimentDir::new(launch.store.root.join("artifact-builds"));
            builds.create()?;
            let untracked = launch.meta.untracked();
            let summary = Dispatcher {
                store: &builds,
                meta: &untracked,
                plan: &work.units,
                task: &ArtifactTask,
                slots: devices::slots(&launch.meta.resources, self.jobs, ArtifactTask.placement()),
                fail_fast: false,
                reporter: &mut *reporter,
                sigterm_is_stop: false,
            }
            .run((0..work.units.runs.len()).collect(), 0)?;
            if summary.was_interrupted {
                return Ok(Outcome::Interrupted);
            }
        }
        let summary = Dispatcher {
            store: launch.store,
            meta: launch.meta,
            plan: launch.grid,
            task: launch.task,
            slots,
            fail_fast: self.fail_fast,
            reporter,
            sigterm_is_stop: false,
        }
        .run(work.todo, work.states.done())?;
        Ok(if summary.was_interrupted {
            Outcome::Interrupted
        } else if summary.all_complete() {
            Outcome::Complete
        } else {
            Outcome::Incomplete
        })
    }
}
