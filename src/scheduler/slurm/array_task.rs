//! One Slurm array task: `runner slurm-task --dir DIR --list FILE` runs the run on line
//! `$SLURM_ARRAY_TASK_ID` of FILE through the local dispatcher with a single slot, the GPUs
//! Slurm gave the task (`CUDA_VISIBLE_DEVICES`), so status, logs, time limit, retries and the
//! result line are exactly those of a local run. Slurm's SIGTERM (scancel, preemption, time
//! limit) stops the run as Ctrl-C does locally; a requeued task starts the run again, and a
//! task that checkpoints resumes from its checkpoint.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::error::{bad_input, ExitCode};
use crate::scheduler::reporter::Reporter;
use crate::scheduler::{Dispatcher, Slot};
use crate::store::ExperimentDir;

/// Runs this array task's run; returns how it ended (complete, incomplete, or interrupted by
/// a signal).
pub fn run(dir: &Path, list: &Path, reporter: &mut dyn Reporter) -> Result<ExitCode> {
    let index: usize = std::env::var("SLURM_ARRAY_TASK_ID")
        .context("SLURM_ARRAY_TASK_ID is not set: slurm-task runs inside a Slurm job array")?
        .parse()
        .context("SLURM_ARRAY_TASK_ID is not a number")?;
    let ids = std::fs::read_to_string(list).with_context(|| list.display().to_string())?;
    let Some(run_id) = ids.lines().nth(index).map(str::trim) else {
        bail!("{}: no line {index}", list.display());
    };
    let store = ExperimentDir::new(dir);
    let meta = store.read_meta()?;
    let plan = store.read_plan()?;
    let task = crate::task::lookup(&plan.task)
        .ok_or_else(|| bad_input(format!("unknown task kind `{}` in the plan", plan.task)))?;
    let Some(i) = plan.runs.iter().position(|r| r.id == run_id) else {
        bail!("run {run_id} is not in the plan of {}", dir.display());
    };
    let gpus: Vec<String> = std::env::var("CUDA_VISIBLE_DEVICES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(String::from)
        .collect();
    let node =
        std::env::var("SLURMD_NODENAME").unwrap_or_else(|_| crate::store::provenance::hostname());
    let job = match (
        std::env::var("SLURM_ARRAY_JOB_ID"),
        std::env::var("SLURM_JOB_ID"),
    ) {
        (Ok(array), _) => format!("{array}_{index}"),
        (_, Ok(job)) => job,
        _ => String::new(),
    };
    let device = if gpus.is_empty() {
        format!("cpu@{node} (job {job})")
    } else {
        format!("cuda:{}@{node} (job {job})", gpus.join(","))
    };
    eprintln!("runner slurm-task: run {} on {device}", plan.runs[i].name);
    // A plan of this one run, so the summary speaks of it alone.
    let one = plan.subset(&[i]);
    let summary = Dispatcher {
        store: &store,
        meta: &meta,
        plan: &one,
        task,
        slots: vec![Slot {
            index: 0,
            device,
            gpus,
        }],
        fail_fast: false,
        reporter,
        sigterm_is_stop: true,
    }
    .run(vec![0], 0)?;
    Ok(if summary.was_interrupted {
        ExitCode::Interrupted
    } else if summary.completed == 1 {
        ExitCode::Complete
    } else {
        ExitCode::Incomplete
    })
}
