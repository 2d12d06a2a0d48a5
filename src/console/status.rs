//! The `runner status` table (or JSON): every run's state, attempts, time, device, Slurm job
//! and error.

use std::time::Duration;

use super::dry_run::counts;
use super::summary::short_duration;
use super::table;
use crate::scheduler::status::ExperimentView;

/// The status as a table, with a header line.
pub fn render(view: &ExperimentView) -> String {
    let mut out = format!(
        "Experiment {} (task {}), {} runs: {}\n",
        view.meta.name,
        view.grid.task,
        view.grid.runs.len(),
        counts(&view.states)
    );
    if !view.meta.overrides.is_empty() {
        out.push_str(&format!(
            "  overridden on the command line: {}\n",
            view.meta.overrides.join(" ")
        ));
    }
    if view.launcher_alive {
        out.push_str("  a launcher is working on it now\n");
    } else if view
        .runs
        .iter()
        .any(|r| r.word.contains("unrecorded") || r.word == "orphaned" || r.word == "interrupted")
    {
        out.push_str("  its launcher stopped: `runner resume` records finished runs, stops orphaned ones and runs the interrupted and failed again\n");
    }
    let mut headers = vec!["NAME", "STATE", "TRIES", "TIME", "DEVICE", "ERROR"];
    if view.uses_slurm {
        headers.insert(5, "SLURM JOB");
    }
    let rows: Vec<Vec<String>> = view
        .runs
        .iter()
        .map(|r| {
            let s = r.status.as_ref();
            let error = s
                .and_then(|s| s.error.as_deref())
                .and_then(|e| e.lines().next());
            let mut row = vec![
                r.name.clone(),
                r.word.clone(),
                s.map_or(0, |s| s.attempts).to_string(),
                s.and_then(|s| s.duration_s)
                    .map(|d| short_duration(Duration::from_secs_f64(d)))
                    .unwrap_or_default(),
                s.and_then(|s| s.device.clone()).unwrap_or_default(),
                error.unwrap_or("").chars().take(80).collect(),
            ];
            if view.uses_slurm {
                let job = r.slurm.as_ref().map(|q| format!("{} {}", q.task, q.state));
                row.insert(5, job.unwrap_or_default());
            }
            row
        })
        .collect();
    out.push_str(&table::render(&headers, &rows));
    if !view.states.not_in_grid.is_empty() {
        out.push_str(&format!(
            "  {} run directories not in the current grid: {}\n",
            view.states.not_in_grid.len(),
            view.states.not_in_grid.join(", ")
        ));
    }
    out
}

/// The status as JSON: one object per run.
pub fn json(view: &ExperimentView) -> serde_json::Value {
    view.runs
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id, "name": r.name, "state": r.word, "status": r.status,
                "slurm": r.slurm.as_ref().map(|q| serde_json::json!({"task": q.task, "state": q.state})),
            })
        })
        .collect()
}
