//! What the scheduler tells whoever shows a launch (nextest's reporter split): events about
//! runs, notes about the launch's preparation and submissions, and the summary at the end. The
//! scheduler decides and never prints; a [`Reporter`] (the terminal one is in `console`) shows.

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

/// Something a launch did besides running runs, worth one line to the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// Runs left `running` by a launcher that stopped were settled (finished ones found
    /// finished, the others marked interrupted, to run again).
    Recovered(usize),
    /// results.jsonl was rebuilt from the run directories.
    RepairedResults,
    /// Run directories that are no longer in the grid (kept).
    NotInGrid {
        /// How many.
        count: usize,
        /// The experiment directory.
        dir: std::path::PathBuf,
    },
    /// Shared artifacts are built first.
    BuildingArtifacts {
        /// How many.
        count: usize,
        /// Where their logs go.
        dir: std::path::PathBuf,
    },
    /// A job array was submitted to Slurm.
    Submitted {
        /// `runs` or `shared artifact builds`.
        what: String,
        /// Array tasks.
        count: usize,
        /// Slurm job id.
        job: String,
        /// Job it waits for.
        after: Option<String>,
        /// The sbatch script.
        script: std::path::PathBuf,
    },
    /// What a Slurm submission left: complete, already queued, submitted now.
    Queue {
        /// Complete runs.
        complete: usize,
        /// Runs already in the queue.
        queued: usize,
        /// Runs submitted now.
        submitted: usize,
        /// The experiment directory (for `runner status`).
        dir: std::path::PathBuf,
        /// Whether the launch waits for the queue.
        waiting: bool,
    },
    /// Slurm's queue changed while waiting: tasks running and pending.
    QueueState {
        /// Running array tasks.
        running: usize,
        /// Pending array tasks.
        pending: usize,
    },
    /// How many runs of the plan are complete after waiting on Slurm.
    Finished {
        /// Complete runs.
        complete: usize,
        /// Runs in the plan.
        total: usize,
    },
    /// Anything else the user should know (one line).
    Text(String),
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
    /// Runs that ended but whose outcome could not be written (the run store failed).
    pub not_recorded: usize,
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
    /// A note about the launch (preparation, submissions).
    fn note(&mut self, note: Note);
    /// Called once before any run starts.
    fn begin(&mut self, total: usize, to_run: usize, slots: usize);
    /// Called for each event.
    fn event(&mut self, event: RunEvent<'_>);
    /// Called once at the end.
    fn finish(&mut self, summary: &Summary);
}
