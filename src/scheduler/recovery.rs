//! Runs a launcher left `running` when it died (killed, crashed, rebooted): their processes
//! still alive on this host are stopped (found by their process group and environment, so a
//! reused pid is never touched) and they are marked interrupted, to run again.

use anyhow::Result;

use crate::grid::Grid;
use crate::store::provenance::now_rfc3339;
use crate::store::reconcile::Reconciled;
use crate::store::{ExperimentDir, Observed, RunState};

/// Marks runs left `running` by a dead launcher as interrupted, after stopping any of their
/// processes still alive; runs `alive_elsewhere` names (still running in a Slurm queue) are
/// left alone. Call only while holding the experiment lock.
pub fn recover_dead_runs(
    store: &ExperimentDir,
    plan: &Grid,
    rec: &mut Reconciled,
    alive_elsewhere: &dyn Fn(&str) -> bool,
) -> Result<usize> {
    let host = crate::store::provenance::hostname();
    let mut recovered = 0;
    for (i, run) in plan.runs.iter().enumerate() {
        if rec.states[i] != Observed::State(RunState::Running) || alive_elsewhere(&run.id) {
            continue;
        }
        let Some(mut status) = store.read_status(&run.id) else {
            continue;
        };
        if let (Some(pid), Some(h)) = (status.pid, status.host.as_deref()) {
            if h == host {
                super::executor::kill_leftovers(pid, &run.id);
            }
        }
        status.state = RunState::Interrupted;
        status.ended_at.get_or_insert_with(now_rfc3339);
        status.error = Some("the launcher stopped while this run was running".into());
        store.write_status(&run.id, &status)?;
        rec.states[i] = Observed::State(RunState::Interrupted);
        recovered += 1;
    }
    Ok(recovered)
}
