//! The dispatcher's TensorBoard writer: a run's TensorBoard run starts with its attempt, follows
//! its curves.jsonl at every display tick and ends with its metrics and state
//! (`tracking::tensorboard`). Tracking never fails a launch: the first error turns it off and is
//! told to the reporter.

use crate::grid::{Grid, PlannedRun};
use crate::store::{ExperimentDir, RunState};
use crate::tracking::tensorboard::{board_dir, Ending, HValue, RunBoard};

/// The TensorBoard runs of the runs in flight, by slot.
pub struct Tracker {
    board: std::path::PathBuf,
    slots: Vec<Option<RunBoard>>,
}

/// A run's hyperparameters for the HParams view: the keys that vary in the grid (a preset by
/// its name), the seed last.
pub fn hparams(plan: &Grid, run: &PlannedRun) -> Vec<(String, HValue)> {
    let mut keys: Vec<&str> = plan.varying.iter().map(String::as_str).collect();
    if !keys.contains(&"seed") {
        keys.push("seed");
    }
    keys.iter()
        .filter_map(|k| {
            let value = match run.config.preset_label(k) {
                Some(label) => HValue::Text(label.to_string()),
                None => HValue::of(run.config.get(k)?),
            };
            Some((k.to_string(), value))
        })
        .collect()
}

impl Tracker {
    /// A tracker for `slots` slots writing under the experiment's `tensorboard/`.
    pub fn new(store: &ExperimentDir, slots: usize) -> Tracker {
        Tracker {
            board: board_dir(&store.root),
            slots: (0..slots).map(|_| None).collect(),
        }
    }

    /// A run's attempt started in `slot`.
    pub fn start(&mut self, slot: usize, plan: &Grid, run: &PlannedRun) -> anyhow::Result<()> {
        self.slots[slot] = Some(RunBoard::start(
            &self.board,
            &run.name,
            &hparams(plan, run),
        )?);
        Ok(())
    }

    /// Follows the curves of the run in `slot`.
    pub fn follow(
        &mut self,
        slot: usize,
        store: &ExperimentDir,
        run: &PlannedRun,
    ) -> anyhow::Result<()> {
        match &mut self.slots[slot] {
            Some(b) => b.follow(&store.run_dir(&run.id)),
            None => Ok(()),
        }
    }

    /// The attempt in `slot` ended in `state`.
    pub fn end(
        &mut self,
        slot: usize,
        store: &ExperimentDir,
        run: &PlannedRun,
        state: RunState,
    ) -> anyhow::Result<()> {
        let Some(mut b) = self.slots[slot].take() else {
            return Ok(());
        };
        let ending = match state {
            RunState::Completed => Ending::Success,
            _ => Ending::Failure,
        };
        b.end(&store.run_dir(&run.id), ending)
    }
}
