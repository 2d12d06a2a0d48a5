//! Running a built-in task inside a run's child process: `runner exec --task KIND RUN_DIR`
//! reads config.json, chooses the burn device from the slot the scheduler gave the run and the
//! thread pool from `[resources] threads`, runs the task once, and writes params.json (every
//! parameter, defaults included, and the device), artifacts.json (the artifacts it used) and
//! metrics.json last, atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};

use super::{Invocation, RunContext};

/// What a built-in task gets besides its parameters.
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// The run directory (outputs go here).
    pub run_dir: PathBuf,
    /// The run's seed.
    pub seed: u64,
    /// CPU threads the run may use (`[resources] threads`); the global thread pool has them.
    pub threads: usize,
    /// The burn device every model of the run computes on.
    pub device: burn::tensor::Device,
}

impl ExecContext {
    /// A context for a run directory on the CPU with one thread (tests, tools).
    pub fn new(run_dir: impl Into<PathBuf>, seed: u64) -> ExecContext {
        ExecContext {
            run_dir: run_dir.into(),
            seed,
            threads: 1,
            device: crate::models::device::cpu(),
        }
    }

    /// Reports progress (`current/total message`) for the launcher's display.
    pub fn progress(&self, current: usize, total: usize, message: &str) {
        let _ = std::fs::write(
            self.run_dir.join("progress"),
            format!("{current}/{total} {message}\n"),
        );
    }

    /// A path inside the run directory.
    pub fn out(&self, name: &str) -> PathBuf {
        self.run_dir.join(name)
    }
}

/// What a built-in run produced: its metrics and the shared artifacts it used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutput {
    /// metrics.json.
    pub metrics: Map<String, Value>,
    /// Ids of the artifacts the run used, in build order.
    pub artifacts: Vec<String>,
}

impl RunOutput {
    /// An output of these metrics (a JSON object) and no artifacts.
    pub fn metrics(metrics: Value) -> RunOutput {
        let Value::Object(metrics) = metrics else {
            return RunOutput::default();
        };
        RunOutput {
            metrics,
            artifacts: Vec::new(),
        }
    }

    /// The same output having used these artifacts too.
    pub fn with_artifacts(mut self, ids: impl IntoIterator<Item = String>) -> RunOutput {
        for id in ids {
            if !self.artifacts.contains(&id) {
                self.artifacts.push(id);
            }
        }
        self
    }
}

/// This runner's executable (after a rebuild during a long launch, the running binary's file
/// is replaced and Linux reports its path with " (deleted)": the new binary at the same path).
pub fn runner_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the runner executable")?;
    Ok(
        match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
            Some(path) => PathBuf::from(path),
            None => exe,
        },
    )
}

/// The invocation that runs built-in task `kind` in the run directory.
pub fn invocation(kind: &str, ctx: &RunContext<'_>) -> Result<Invocation> {
    Ok(Invocation {
        program: runner_exe()?.display().to_string(),
        args: vec![
            "exec".into(),
            "--task".into(),
            kind.into(),
            ctx.run_dir.display().to_string(),
        ],
        env: Vec::new(),
        cwd: ctx.workdir.to_path_buf(),
        records_exit: true,
    })
}

/// The context of a run in this process: its seed, the threads and the device the scheduler
/// gave it (`RUNNER_THREADS`, `RUNNER_DEVICE`).
fn context(run_dir: &Path, config: &Map<String, Value>) -> Result<ExecContext> {
    let threads = std::env::var("RUNNER_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    // Every thread pool of the run (burn's CPU kernels, the bootstrap, the coders) is rayon's.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    Ok(ExecContext {
        run_dir: run_dir.to_path_buf(),
        seed: super::seed_of(config),
        threads,
        device: crate::models::device::from_environment()?,
    })
}

/// Runs built-in task `kind` on the run directory; writes metrics.json on success.
pub fn exec(kind: &str, run_dir: &Path) -> Result<()> {
    let task = super::lookup(kind).with_context(|| format!("unknown task kind `{kind}`"))?;
    let config: Map<String, Value> = crate::store::read_json(&run_dir.join("config.json"))?;
    let ctx = context(run_dir, &config)?;
    let device = crate::models::device::describe(&ctx.device);
    crate::store::atomic::write_json(
        &run_dir.join("params.json"),
        &json!({
            "task": kind,
            "params": task.resolved_params(&config)?,
            "device": device,
            "threads": ctx.threads,
        }),
    )?;
    let mut output = task.execute(&config, &ctx)?;
    crate::store::atomic::write_json(&run_dir.join("artifacts.json"), &uses(&output.artifacts))?;
    // Where the numbers were computed: GPU kernels sum in other orders than the CPU's.
    let metrics = &mut output.metrics;
    metrics.insert("device".into(), json!(device));
    let backend = crate::models::device::backend_of(&ctx.device);
    metrics.insert("backend".into(), json!(backend.name()));
    let mut text = serde_json::to_vec_pretty(&output.metrics)?;
    text.push(b'\n');
    crate::store::atomic::write_durable(&run_dir.join("metrics.json"), &text)
}

/// The artifacts a run used, each with the content hash of what the run read (none, with a
/// warning, when its files cannot be read now).
fn uses(ids: &[String]) -> Vec<crate::store::results::ArtifactUse> {
    let store = crate::artifacts::ArtifactStore::default_location();
    ids.iter()
        .map(|id| {
            let sha256 = store
                .content_hash(id)
                .map_err(|e| eprintln!("warning: no content hash for artifact {id}: {e:#}"))
                .ok();
            crate::store::results::ArtifactUse {
                id: id.clone(),
                sha256,
            }
        })
        .collect()
}
