//! Submitting runs to Slurm: one sbatch script and one job array per submission (chunked to
//! the cluster's MaxArraySize), one array task per run, each running `runner slurm-task` on
//! the run exactly as the local dispatcher would. Every submission is recorded in
//! `<experiment>/slurm/submissions.jsonl` (job id, script, the runs by array index), which
//! `status`, `resume` and `cancel` read back.
//!
//! ```text
//! <experiment>/slurm/sub-<n>.sbatch        the script
//! <experiment>/slurm/sub-<n>.runs          run ids, line i = array index i
//! <experiment>/slurm/logs/<job>_<i>.out    Slurm's own output of each array task
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::cluster;
use crate::spec::{DeviceRequest, Resources};
use crate::store::provenance::now_rfc3339;

/// Command-line settings of the Slurm backend.
#[derive(Debug, Clone, Default)]
pub struct SlurmOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--qos`.
    pub qos: Option<String>,
    /// At most this many array tasks at once (`%N`).
    pub array_limit: Option<u32>,
}

/// One submitted job array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Slurm job id of the array.
    pub job_id: String,
    /// `artifacts` (shared artifact builds) or `runs`.
    pub kind: String,
    /// The experiment directory its tasks run in (the artifact builds have their own).
    pub dir: PathBuf,
    /// The script.
    pub script: PathBuf,
    /// Run ids by array index.
    pub runs: Vec<String>,
    /// Job it waits for (`afterok`), if any.
    pub after: Option<String>,
    /// When it was submitted.
    pub submitted_at: String,
}

impl Submission {
    /// The `JOBID_INDEX` key of each run.
    pub fn task_keys(&self) -> impl Iterator<Item = (String, &String)> {
        self.runs
            .iter()
            .enumerate()
            .map(|(i, run)| (format!("{}_{i}", self.job_id), run))
    }
}

/// The submissions file of an experiment.
pub fn submissions_file(experiment: &Path) -> PathBuf {
    experiment.join("slurm").join("submissions.jsonl")
}

/// Every submission of an experiment, oldest first.
pub fn read_submissions(experiment: &Path) -> Result<Vec<Submission>> {
    let path = submissions_file(experiment);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not a submission", path.display(), i + 1))
        })
        .collect()
}

fn record(experiment: &Path, s: &Submission) -> Result<()> {
    let path = submissions_file(experiment);
    let mut text = serde_json::to_string(s)?;
    text.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("cannot record the submission in {}", path.display()))
}

/// `sbatch` directives for a run's resources.
pub fn directives(resources: &Resources, opts: &SlurmOptions) -> Vec<String> {
    let mut d = vec![format!("--cpus-per-task={}", resources.threads)];
    if resources.devices != DeviceRequest::Cpu {
        d.push(format!("--gres=gpu:{}", resources.gpus_per_run));
    }
    if let Some(mem) = &resources.memory {
        d.push(format!("--mem={mem}"));
    }
    if let Some(limit) = resources.timeout {
        // Room for runner's own limit and grace to fire first and record the timeout.
        let grace = resources.kill_grace.unwrap_or_default().as_secs() + 60;
        let minutes = (limit.as_secs() + grace).div_ceil(60);
        d.push(format!("--time={minutes}"));
    }
    for (flag, value) in [
        ("partition", &opts.partition),
        ("account", &opts.account),
        ("qos", &opts.qos),
    ] {
        if let Some(v) = value {
            d.push(format!("--{flag}={v}"));
        }
    }
    d
}

/// What one `submit` call needs.
pub struct Batch<'a> {
    /// The experiment directory holding `slurm/` (the main one, also for artifact builds).
    pub experiment: &'a Path,
    /// The directory the tasks run in (experiment, or its artifact builds).
    pub dir: &'a Path,
    /// `artifacts` or `runs`.
    pub kind: &'a str,
    /// Run ids to submit.
    pub runs: &'a [String],
    /// Working directory of the runs.
    pub workdir: &'a Path,
    /// Experiment name (job name).
    pub name: &'a str,
    /// Resources of the runs.
    pub resources: &'a Resources,
    /// Dependency: a job id every task waits for (afterok).
    pub after: Option<&'a str>,
}

/// Writes the scripts and submits the runs as arrays of at most MaxArraySize tasks; returns
/// the submissions.
pub fn submit(batch: &Batch<'_>, opts: &SlurmOptions) -> Result<Vec<Submission>> {
    let slurm_dir = batch.experiment.join("slurm");
    std::fs::create_dir_all(slurm_dir.join("logs"))?;
    // Absolute paths: the script must not depend on where it is read from.
    let slurm_dir = std::fs::canonicalize(&slurm_dir)?;
    let dir = std::fs::canonicalize(batch.dir)?;
    // RUNNER_SLURM_MAX_ARRAY_SIZE lowers the cluster's limit (a site policy, or a test).
    let mut chunk = cluster::max_array_size()?.max(1);
    if let Some(n) = std::env::var("RUNNER_SLURM_MAX_ARRAY_SIZE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        chunk = chunk.min(n.max(1));
    }
    let exe = std::env::current_exe().context("cannot find the runner executable")?;
    let mut out = Vec::new();
    let earlier = read_submissions(batch.experiment)?.len();
    for (k, runs) in batch.runs.chunks(chunk).enumerate() {
        let n = earlier + k + 1;
        let script = slurm_dir.join(format!("sub-{n}.sbatch"));
        let list = slurm_dir.join(format!("sub-{n}.runs"));
        crate::store::atomic::write_atomic(&list, (runs.join("\n") + "\n").as_bytes())?;
        let throttle = opts
            .array_limit
            .map(|n| format!("%{n}"))
            .unwrap_or_default();
        let mut text = format!(
            "#!/bin/bash\n# Written by runner for experiment {name} ({kind}): array task i runs line i of {list}.\n#SBATCH --job-name=runner-{name}\n#SBATCH --array=0-{last}{throttle}\n#SBATCH --output={logs}/%A_%a.out\n#SBATCH --open-mode=append\n#SBATCH --requeue\n",
            name = batch.name,
            kind = batch.kind,
            list = list.display(),
            last = runs.len() - 1,
            logs = slurm_dir.join("logs").display(),
        );
        for d in directives(batch.resources, opts) {
            text.push_str(&format!("#SBATCH {d}\n"));
        }
        text.push_str(&format!(
            "cd {workdir:?}\nexec {exe:?} slurm-task --dir {dir:?} --list {list:?}\n",
            workdir = batch.workdir,
            dir = dir,
            list = list,
        ));
        crate::store::atomic::write_atomic(&script, text.as_bytes())?;
        let mut args = Vec::new();
        if let Some(after) = batch.after {
            args.push(format!("--dependency=afterok:{after}"));
        }
        let job_id = cluster::sbatch(&script, &args)?;
        let s = Submission {
            job_id,
            kind: batch.kind.to_string(),
            dir: batch.dir.to_path_buf(),
            script,
            runs: runs.to_vec(),
            after: batch.after.map(str::to_string),
            submitted_at: now_rfc3339(),
        };
        record(batch.experiment, &s)?;
        out.push(s);
    }
    Ok(out)
}
