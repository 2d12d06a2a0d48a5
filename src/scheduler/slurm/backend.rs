//! The Slurm backend of `launch`, `resume`, `status` and `cancel`: what to submit (runs not
//! complete and not already pending or running in the queue, artifacts first with an
//! `afterok` dependency), what the queue says about each run, and waiting on request. Launch
//! preparation (recovery, repair, artifact units) is the shared one of `scheduler::launch`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use super::cluster;
use super::submit::{read_submissions, submit, Batch, SlurmOptions, Submission};
use crate::error::{bad_input, environment};
use crate::grid::Grid;
use crate::scheduler::launch::{Backend, Launch, Outcome, Prepared};
use crate::scheduler::reporter::{Note, Reporter};
use crate::store::{atomic, reconcile, ExperimentDir};

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

/// The Slurm backend of launch and resume: what the queue holds is left alone, the rest is
/// submitted (shared artifacts first, in their own array, which the runs' array waits for).
#[derive(Debug, Clone, Default)]
pub struct SlurmBackend {
    /// Partition, account, QoS, array limit.
    pub opts: SlurmOptions,
    /// Wait until the submitted jobs leave the queue.
    pub wait: bool,
    /// The queue's view of the experiment, read by `alive`.
    view: HashMap<String, QueueEntry>,
}

impl SlurmBackend {
    /// A backend submitting with `opts`; `wait` polls the queue until it is done.
    pub fn new(opts: SlurmOptions, wait: bool) -> SlurmBackend {
        SlurmBackend {
            opts,
            wait,
            view: HashMap::new(),
        }
    }

    /// Submits the artifact builds not already queued; returns the jobs the runs wait for.
    fn submit_artifacts(
        &self,
        launch: &Launch<'_>,
        units: &Grid,
        reporter: &mut dyn Reporter,
    ) -> Result<Vec<String>> {
        let mut after: Vec<String> = Vec::new();
        let mut to_build = Vec::new();
        for unit in &units.runs {
            match self
                .view
                .get(&unit.id)
                .filter(|q| cluster::is_active(&q.state))
            {
                Some(q) => after.push(q.task.split('_').next().unwrap_or_default().to_string()),
                None => to_build.push(unit.id.clone()),
            }
        }
        if !to_build.is_empty() {
            let builds = ExperimentDir::new(launch.store.root.join("artifact-builds"));
            builds.create()?;
            atomic::write_json(&builds.file("plan.json"), units)?;
            atomic::write_json(&builds.file("experiment.json"), &launch.meta.untracked())?;
            let batch = batch(launch, &builds.root, "artifacts", &to_build, None);
            for s in submit(&batch, &self.opts)? {
                reporter.note(submitted("shared artifact builds", &s));
                after.push(s.job_id);
            }
        }
        after.sort();
        after.dedup();
        Ok(after)
    }
}

fn batch<'b>(
    launch: &'b Launch<'_>,
    dir: &'b Path,
    kind: &'b str,
    runs: &'b [String],
    after: Option<&'b str>,
) -> Batch<'b> {
    Batch {
        experiment: &launch.store.root,
        dir,
        kind,
        runs,
        workdir: &launch.meta.workdir,
        name: &launch.meta.name,
        resources: &launch.meta.resources,
        after,
    }
}

fn submitted(what: &str, s: &Submission) -> Note {
    Note::Submitted {
        what: what.to_string(),
        count: s.runs.len(),
        job: s.job_id.clone(),
        after: s.after.clone(),
        script: s.script.clone(),
    }
}

impl Backend for SlurmBackend {
    fn runs_here(&self) -> bool {
        false
    }

    fn alive(&mut self, launch: &Launch<'_>) -> Result<HashSet<String>> {
        if !cluster::reachable() {
            return Err(environment(
                "no Slurm controller answers `scontrol ping`: is this a cluster login node?",
            ));
        }
        self.view = queue_view(&launch.store.root)?;
        Ok(self
            .view
            .iter()
            .filter(|(_, q)| cluster::is_active(&q.state))
            .map(|(id, _)| id.clone())
            .collect())
    }

    fn execute(
        &mut self,
        launch: &Launch<'_>,
        work: Prepared,
        reporter: &mut dyn Reporter,
    ) -> Result<Outcome> {
        let after = self.submit_artifacts(launch, &work.units, reporter)?;
        let ids: Vec<String> = work
            .todo
            .iter()
            .map(|&i| launch.grid.runs[i].id.clone())
            .collect();
        let mut jobs = Vec::new();
        if !ids.is_empty() {
            let dependency = (!after.is_empty()).then(|| after.join(":"));
            let batch = batch(
                launch,
                &launch.store.root,
                "runs",
                &ids,
                dependency.as_deref(),
            );
            for s in submit(&batch, &self.opts)? {
                reporter.note(submitted("runs", &s));
                jobs.push(s.job_id);
            }
        }
        reporter.note(Note::Queue {
            complete: work.states.done(),
            queued: work.queued.len(),
            submitted: ids.len(),
            dir: launch.store.root.clone(),
            waiting: self.wait,
        });
        if !self.wait {
            return Ok(Outcome::Submitted);
        }
        jobs.extend(after);
        jobs.extend(work.queued.iter().filter_map(|&i| {
            let q = self.view.get(&launch.grid.runs[i].id)?;
            q.task.split('_').next().map(String::from)
        }));
        wait_for(&jobs, reporter);
        let done = reconcile::observe(launch.store, launch.grid).done();
        reporter.note(Note::Finished {
            complete: done,
            total: launch.grid.runs.len(),
        });
        Ok(if done == launch.grid.runs.len() {
            Outcome::Complete
        } else {
            Outcome::Incomplete
        })
    }
}

/// Polls the queue until none of `jobs` is pending or running, telling the reporter how many
/// tasks are running and pending whenever that changes.
pub fn wait_for(jobs: &[String], reporter: &mut dyn Reporter) {
    let mut last = (usize::MAX, usize::MAX);
    loop {
        let states = cluster::task_states(jobs);
        if !states.values().any(|s| cluster::is_active(s)) {
            return;
        }
        let running = states.values().filter(|s| *s == "RUNNING").count();
        let pending = states.values().filter(|s| cluster::is_active(s)).count() - running;
        if (running, pending) != last {
            reporter.note(Note::QueueState { running, pending });
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
        return Err(bad_input(format!(
            "{} has no Slurm submissions (it was not launched with --backend slurm)",
            experiment.display()
        )));
    }
    let live = active_jobs(experiment)?;
    cluster::scancel(&live)?;
    Ok(live)
}
