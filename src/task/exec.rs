//! Running a built-in task inside a run's child process: `runner exec --task KIND RUN_DIR`
//! reads config.json, chooses the burn device from the slot the scheduler gave the run and the
//! thread pool from `[resources] threads`, runs the task once, and writes params.json (every
//! parameter, defaults included, and the device), artifacts.json (the artifacts it used) and
//! metrics.json last, atomically.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};

use super::builtin::ExecContext;
use super::kind::seed_of;
use super::registry::lookup;

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
        seed: seed_of(config),
        threads,
        device: crate::models::device::from_environment()?,
    })
}

/// Runs built-in task `kind` on the run directory; writes metrics.json on success.
pub fn exec(kind: &str, run_dir: &Path) -> Result<()> {
    let task = lookup(kind).with_context(|| format!("unknown task kind `{kind}`"))?;
    let config: Map<String, Value> = crate::store::read_json(&run_dir.join("config.json"))?;
    let ctx = context(run_dir, &config)?;
    let device = crate::models::device::describe(&ctx.device);
    crate::store::atomic::write_json(
        &run_dir.join("params.json"),
        &json!({
            "task": kind,
            "params": task.resolved_params(&config)?,
            "device": device,
            "cpu": crate::store::provenance::cpu_label(),
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
    metrics.insert("cpu".into(), json!(crate::store::provenance::cpu_label()));
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
