//! Runs a launcher left `running` when it died (killed, crashed, rebooted): finished ones are
//! found finished by the exit their supervisor recorded; the others are marked interrupted, to
//! run again. (Their processes are stopped first, by `processes::kill_runs_under`.)

use anyhow::Result;

use super::attempt::{has_metrics, judge, Ending};
use crate::grid::Grid;
use crate::store::provenance::now_rfc3339;
use crate::store::reconcile::Reconciled;
use crate::store::{ExperimentDir, Observed, RunState, RunStatus};

/// What a resume would make of a run a dead launcher left `running`, without changing
/// anything: the word `runner status` shows.
pub fn preview(store: &ExperimentDir, run: &crate::grid::PlannedRun) -> &'static str {
    let dir = store.run_dir(&run.id);
    match crate::store::exit_record::read(&dir) {
        Some(e) if e.status().success() && has_metrics(store, run) => "finished, unrecorded",
        Some(_) => "failed, unrecorded",
        None if has_metrics(store, run) => "finished, unrecorded",
        None if super::processes::runs_alive(&dir) => "orphaned",
        None => "interrupted",
    }
}

/// Settles runs left `running` by a dead launcher, after stopping any of their processes still
/// alive (runs `alive_elsewhere` names, still in a Slurm queue, are left alone): a run whose
/// process recorded its exit (exit.json) is judged as its launcher would have (a finished run is
/// complete, its results line added by the repair that follows); any other was stopped
/// mid-way and is marked interrupted, to run again. Call only while holding the lock.
pub fn recover_dead_runs(
    store: &ExperimentDir,
    plan: &Grid,
    rec: &mut Reconciled,
    alive_elsewhere: &dyn Fn(&str) -> bool,
) -> Result<usize> {
    let mut recovered = 0;
    for (i, run) in plan.runs.iter().enumerate() {
        if rec.states[i] != Observed::State(RunState::Running) || alive_elsewhere(&run.id) {
            continue;
        }
        // A status.json that was lost or damaged is written anew.
        let mut status = store.read_status(&run.id).unwrap_or_else(|| RunStatus {
            state: RunState::Running,
            attempts: 1,
            ..RunStatus::new(&run.id)
        });
        let exit = crate::store::exit_record::read(&store.run_dir(&run.id));
        let ending = match &exit {
            Some(e) => judge(store, run, &Ok(e.status()), false, false, None, false),
            // metrics.json is written last: a run that wrote it finished its work.
            None if has_metrics(store, run) => Ending {
                state: RunState::Completed,
                error: None,
                exit_code: None,
                signal: None,
            },
            None => Ending {
                state: RunState::Interrupted,
                error: Some("the launcher stopped while this run was running".into()),
                exit_code: None,
                signal: None,
            },
        };
        status.state = ending.state;
        status.error = ending.error;
        status.exit_code = ending.exit_code;
        status.signal = ending.signal;
        status.ended_at = Some(exit.map_or_else(now_rfc3339, |e| e.ended_at));
        store.write_status(&run.id, &status)?;
        rec.states[i] = Observed::State(status.state);
        recovered += 1;
    }
    Ok(recovered)
}
