//! Reporters turn scheduler events into output. The dispatcher decides; reporters only show.

pub mod summary;
pub mod table;
pub mod terminal;

use std::time::Duration;

use crate::grid::PlannedRun;
use crate::store::RunState;

/// What happened to a run, as reporters see it.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// A run started on a device.
    Started {
        /// The run.
        run: &'a PlannedRun,
        /// Device label.
        device: &'a str,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// A run's attempt ended.
    Finished {
        /// The run.
        run: &'a PlannedRun,
        /// Device label.
        device: &'a str,
        /// How it ended.
        state: RunState,
        /// Wall-clock time of the attempt.
        duration: Duration,
        /// Error text for failures.
        error: Option<&'a str>,
        /// Whether it will be tried again.
        retrying: bool,
    },
    /// The launcher stops starting runs.
    Stopping {
        /// Why (Ctrl-C, fail-fast).
        reason: &'a str,
    },
    /// Periodic update of the running runs: (run, device, elapsed, progress text).
    Tick {
        /// Runs in flight.
        running: Vec<(&'a PlannedRun, &'a str, Duration, Option<String>)>,
    },
}

/// The outcome of a launch.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Runs in the plan.
    pub total: usize,
    /// Runs already complete before this launch.
    pub skipped: usize,
    /// Runs completed by this launch.
    pub completed: usize,
    /// Runs that ended failed (after retries).
    pub failed: usize,
    /// Runs that ended timed out (after retries).
    pub timed_out: usize,
    /// Runs stopped by Ctrl-C.
    pub interrupted: usize,
    /// Runs never started (Ctrl-C or fail-fast).
    pub not_started: usize,
    /// Wall-clock time of the launch.
    pub elapsed: Duration,
    /// (name, "state: error") of each run that did not complete.
    pub problems: Vec<(String, String)>,
    /// Whether Ctrl-C (or SIGTERM) stopped the launch.
    pub was_interrupted: bool,
}

impl Summary {
    /// Whether every run of the plan is complete.
    pub fn all_complete(&self) -> bool {
        self.skipped + self.completed == self.total
    }
}

/// A consumer of run events.
pub trait Reporter {
    /// Called once before any run starts.
    fn begin(&mut self, total: usize, to_run: usize, slots: usize);
    /// Called for each event.
    fn event(&mut self, event: RunEvent<'_>);
    /// Called once at the end.
    fn finish(&mut self, summary: &Summary);
}
