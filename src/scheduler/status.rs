//! `runner status`: every run's state as the run store and (for Slurm launches) the queue see
//! it. The queue knows best what has not finished; the store knows what has.

use std::path::Path;

use anyhow::Result;

use super::slurm::backend::{queue_view, QueueEntry};
use super::slurm::cluster;
use crate::grid::Grid;
use crate::store::reconcile::{self, Reconciled};
use crate::store::{ExperimentDir, ExperimentMeta, Observed, RunState, RunStatus};

/// One run's state.
#[derive(Debug, Clone)]
pub struct RunView {
    /// Run id.
    pub id: String,
    /// Run name.
    pub name: String,
    /// State word (`done`, `failed`, `pending`, `running`, ...; for a run a dead launcher left
    /// `running`, what resume would make of it: `finished, unrecorded`, `failed, unrecorded`,
    /// `orphaned` (its process still runs), `interrupted`).
    pub word: String,
    /// Its status.json.
    pub status: Option<RunStatus>,
    /// Its latest array task in the Slurm queue.
    pub slurm: Option<QueueEntry>,
}

/// An experiment's state.
#[derive(Debug)]
pub struct ExperimentView {
    /// Its metadata.
    pub meta: ExperimentMeta,
    /// Its plan.
    pub grid: Grid,
    /// The store's view of every planned run.
    pub states: Reconciled,
    /// Whether a launcher holds the experiment now.
    pub launcher_alive: bool,
    /// Whether it was ever submitted to Slurm.
    pub uses_slurm: bool,
    /// Every run, in plan order.
    pub runs: Vec<RunView>,
}

/// Reads an experiment directory's state.
pub fn view(dir: &Path) -> Result<ExperimentView> {
    let store = ExperimentDir::open(dir)?;
    let meta = store.read_meta()?;
    let grid = store.read_plan()?;
    let states = reconcile::observe(&store, &grid);
    let launcher_alive = crate::store::lock::ExperimentLock::held_elsewhere(dir);
    let queue = queue_view(dir)?;
    let runs = grid
        .runs
        .iter()
        .zip(&states.states)
        .map(|(run, state)| {
            let slurm = queue.get(&run.id).cloned();
            RunView {
                id: run.id.clone(),
                name: run.name.clone(),
                word: match word(*state, slurm.as_ref(), launcher_alive) {
                    // Left `running` by a launcher that is gone: what resume would make of it.
                    None => super::recovery::preview(&store, run).to_string(),
                    Some(w) => w,
                },
                status: store.read_status(&run.id),
                slurm,
            }
        })
        .collect();
    Ok(ExperimentView {
        meta,
        grid,
        states,
        launcher_alive,
        uses_slurm: !queue.is_empty(),
        runs,
    })
}

/// The state word of a run, or `None` for a run left `running` by a launcher that is gone.
fn word(state: Observed, queue: Option<&QueueEntry>, launcher_alive: bool) -> Option<String> {
    let active = queue.is_some_and(|q| cluster::is_active(&q.state));
    Some(match (state, queue) {
        (Observed::State(RunState::Completed), _) => "done".to_string(),
        (_, Some(q)) if active => q.state.to_lowercase(),
        (Observed::New, Some(q)) => q.state.to_lowercase(),
        (Observed::New, None) => "new".to_string(),
        (Observed::State(RunState::Running), _) if !launcher_alive => return None,
        (Observed::State(s), _) => s.word().to_string(),
    })
}
