//! The Slurm backend of `launch`, `resume`, `status` and `cancel`: what to submit (runs not
//! complete and not already pending or running in the queue, artifacts first with an
//! `afterok` dependency), what the queue says about each run, and waiting on request.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use super::cluster;
use super::submit::{read_submissions, submit, Batch, SlurmOptions};
use crate::artifacts::units::missing_units;
use crate::artifacts::ArtifactStore;
use crate::grid::Grid;
use crate::store::{atomic, reconcile, ExperimentDir, ExperimentMeta};
use crate::task::Task;

/// What the queue says about a run: its latest array task and that task's Slurm state
/// (`UNKNOWN` once the queue has forgotten it and accounting is off).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    /// `JOBID_INDEX`.
    pub task: String,
    /// Slurm state.
    pub state: String,
}

/// The latest queue entry of every run (and artifact) an experiment submitted.
pub fn queue_view(experiment: &Path) -> Result<HashMap<String, QueueEntry>> {
    let submissions = read_submissions(experiment)?;
    let jobs: Vec<String> = submissions.iter().map(|s| s.job_id.clone()).collect();
    let states = cluster::task_states(&jobs);
    let mut view = HashMap::new();
    for s in &submissions {
        let pending_array = states
            .iter()
            .find(|(k, v)| k.starts_with(&format!("{}_[", s.job_id)) && cluster::is_active(v))
            .map(|(_, v)| v.clone());
        for (key, run) in s.task_keys() {
            let state = states
                .get(&key)
                .cloned()
                .or_else(|| pending_array.clone())
                .unwrap_or_else(|| "UNKNOWN".into());
            view.insert(run.clone(), QueueEntry { task: key, state });
        }
    }
    Ok(view)
}

/// Submits what an experiment still needs; with `wait`, polls until the queue is done with
/// it. Returns the exit code. The caller holds the experiment lock while submitting.
pub fn submit_experiment(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    grid: &Grid,
    task: &dyn Task,
    opts: &SlurmOptions,
    wait: bool,
) -> Result<i32> {
    if !cluster::reachable() {
        anyhow::bail!("no Slurm controller answers `scontrol ping`: is this a cluster login node?");
    }
    let view = queue_view(&store.root)?;
    let active = |id: &str| view.get(id).is_some_and(|q| cluster::is_active(&q.state));
    let mut rec = reconcile::observe(store, grid);
    reconcile::recover_dead_runs(store, grid, &mut rec, &|id| active(id))?;
    reconcile::repair_results(store, grid, meta, &rec)?;
    let (queued, todo): (Vec<usize>, Vec<usize>) = rec
        .todo()
        .into_iter()
        .partition(|&i| active(&grid.runs[i].id));
    // Shared artifacts first, in their own array; runs wait for it.
    let artifact_store = ArtifactStore::for_workdir(&meta.workdir);
    let units = missing_units(task, grid, &todo, &artifact_store);
    let mut after: Vec<String> = Vec::new();
    let unit_ids: Vec<String> = units.runs.iter().map(|u| u.id.clone()).collect();
    for id in &unit_ids {
        if let Some(q) = view.get(id).filter(|q| cluster::is_active(&q.state)) {
            after.push(q.task.split('_').next().unwrap_or_default().to_string());
        }
    }
    let to_build: Vec<String> = unit_ids.iter().filter(|id| !active(id)).cloned().collect();
    if !to_build.is_empty() {
        let builds = ExperimentDir::new(store.root.join("artifact-builds"));
        builds.create()?;
        atomic::write_json(&builds.file("plan.json"), &units)?;
        atomic::write_json(&builds.file("experiment.json"), meta)?;
        for s in submit(
            &Batch {
                experiment: &store.root,
                dir: &builds.root,
                kind: "artifacts",
                runs: &to_build,
                workdir: &meta.workdir,
                name: &meta.name,
                resources: &meta.resources,
                after: None,
            },
            opts,
        )? {
            eprintln!(
                "    Submitted {} shared artifact builds as job array {} ({})",
                s.runs.len(),
                s.job_id,
                s.script.display()
            );
            after.push(s.job_id);
        }
    }
    after.sort();
    after.dedup();
    let ids: Vec<String> = todo.iter().map(|&i| grid.runs[i].id.clone()).collect();
    let mut submitted = Vec::new();
    if !ids.is_empty() {
        let dependency = (!after.is_empty()).then(|| after.join(":"));
        for s in submit(
            &Batch {
                experiment: &store.root,
                dir: &store.root,
                kind: "runs",
                runs: &ids,
                workdir: &meta.workdir,
                name: &meta.name,
                resources: &meta.resources,
                after: dependency.as_deref(),
            },
            opts,
        )? {
            eprintln!(
                "    Submitted {} runs as job array {}{} ({})",
                s.runs.len(),
                s.job_id,
                s.after
                    .as_ref()
                    .map(|a| format!(", after job {a}"))
                    .unwrap_or_default(),
                s.script.display()
            );
            submitted.push(s.job_id);
        }
    }
    eprintln!(
        "    {} runs complete, {} already in the queue, {} submitted now",
        rec.done(),
        queued.len(),
        ids.len()
    );
    if !wait {
        eprintln!("    Follow with `runner status {}`", store.root.display());
        return Ok(0);
    }
    let mut jobs: Vec<String> = submitted;
    jobs.extend(after);
    jobs.extend(queued.iter().filter_map(|&i| {
        view.get(&grid.runs[i].id)
            .and_then(|q| q.task.split('_').next().map(String::from))
    }));
    wait_for(&jobs);
    let rec = reconcile::observe(store, grid);
    let done = rec.done();
    eprintln!("    {done} of {} runs complete", grid.runs.len());
    Ok(if done == grid.runs.len() {
        0
    } else {
        crate::cli::EXIT_INCOMPLETE
    })
}

/// Polls the queue until none of `jobs` is pending or running, saying how many tasks are
/// running and pending whenever that changes.
pub fn wait_for(jobs: &[String]) {
    let mut last = (usize::MAX, usize::MAX);
    loop {
        let states = cluster::task_states(jobs);
        if !states.values().any(|s| cluster::is_active(s)) {
            return;
        }
        let running = states.values().filter(|s| *s == "RUNNING").count();
        let pending = states.values().filter(|s| cluster::is_active(s)).count() - running;
        if (running, pending) != last {
            eprintln!("    queue: {running} running, {pending} pending");
            last = (running, pending);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Jobs of an experiment still pending or running (none when it never used Slurm).
pub fn active_jobs(experiment: &Path) -> Result<Vec<String>> {
    let submissions = read_submissions(experiment)?;
    if submissions.is_empty() {
        return Ok(Vec::new());
    }
    let jobs: Vec<String> = submissions.iter().map(|s| s.job_id.clone()).collect();
    let states = cluster::task_states(&jobs);
    let live: Vec<String> = jobs
        .into_iter()
        .filter(|j| {
            states
                .iter()
                .any(|(k, v)| (k == j || k.starts_with(&format!("{j}_"))) && cluster::is_active(v))
        })
        .collect();
    Ok(live)
}

/// Cancels every job of an experiment that is still pending or running; returns their ids.
pub fn cancel(experiment: &Path) -> Result<Vec<String>> {
    if read_submissions(experiment)?.is_empty() {
        anyhow::bail!(
            "{} has no Slurm submissions (it was not launched with --backend slurm)",
            experiment.display()
        );
    }
    let live = active_jobs(experiment)?;
    cluster::scancel(&live)?;
    Ok(live)
}
