//! `runner status DIR`: every run's state, attempts, duration, device and error.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::dry_run::counts;
use crate::reporter::summary::short_duration;
use crate::reporter::table;
use crate::store::{reconcile, ExperimentDir, Observed};

/// Arguments of `runner status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The experiment directory (e.g. runs/phase1).
    pub dir: PathBuf,
    /// Print JSON (one object per run) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `runner status`.
pub fn status(args: StatusArgs) -> Result<i32> {
    let store = ExperimentDir::new(&args.dir);
    if !store.has_plan() {
        anyhow::bail!(
            "{} is not an experiment directory (no plan.json)",
            args.dir.display()
        );
    }
    let meta = store.read_meta()?;
    let grid = store.read_plan()?;
    let rec = reconcile::observe(&store, &grid);
    let launcher_alive = crate::store::lock::ExperimentLock::acquire(&args.dir).is_err();
    // Runs submitted to Slurm: what the queue says about each (latest array task).
    let queue = crate::scheduler::slurm::backend::queue_view(&args.dir)?;
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    for (run, state) in grid.runs.iter().zip(&rec.states) {
        let status = store.read_status(&run.id);
        let q = queue.get(&run.id);
        let active = q.is_some_and(|q| crate::scheduler::slurm::cluster::is_active(&q.state));
        let word = match (state, q) {
            (Observed::State(crate::store::RunState::Completed), _) => "done".to_string(),
            // The queue knows best what has not finished.
            (_, Some(q)) if active => q.state.to_lowercase(),
            (Observed::New, Some(q)) => q.state.to_lowercase(),
            (Observed::New, None) => "new".to_string(),
            (Observed::State(crate::store::RunState::Running), _) if !launcher_alive => {
                "interrupted?".to_string()
            }
            (Observed::State(s), _) => s.word().to_string(),
        };
        let s = status.as_ref();
        let error = s
            .and_then(|s| s.error.as_deref())
            .and_then(|e| e.lines().next())
            .unwrap_or("")
            .to_string();
        let mut row = vec![
            run.name.clone(),
            word.clone(),
            s.map_or(0, |s| s.attempts).to_string(),
            s.and_then(|s| s.duration_s)
                .map(|d| short_duration(Duration::from_secs_f64(d)))
                .unwrap_or_default(),
            s.and_then(|s| s.device.clone()).unwrap_or_default(),
            error.chars().take(80).collect(),
        ];
        if !queue.is_empty() {
            row.insert(
                5,
                q.map(|q| format!("{} {}", q.task, q.state))
                    .unwrap_or_default(),
            );
        }
        rows.push(row);
        json_rows.push(serde_json::json!({
            "id": run.id, "name": run.name, "state": word, "status": status,
            "slurm": q.map(|q| serde_json::json!({"task": q.task, "state": q.state})),
        }));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_rows)?);
        return Ok(0);
    }
    println!(
        "Experiment {} (task {}), {} runs: {}",
        meta.name,
        grid.task,
        grid.runs.len(),
        counts(&rec)
    );
    if launcher_alive {
        println!("  a launcher is working on it now");
    }
    let mut headers = vec!["NAME", "STATE", "TRIES", "TIME", "DEVICE", "ERROR"];
    if !queue.is_empty() {
        headers.insert(5, "SLURM JOB");
    }
    print!("{}", table::render(&headers, &rows));
    if !rec.not_in_grid.is_empty() {
        println!(
            "  {} run directories not in the current grid: {}",
            rec.not_in_grid.len(),
            rec.not_in_grid.join(", ")
        );
    }
    Ok(0)
}
