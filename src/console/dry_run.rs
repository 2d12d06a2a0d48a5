//! The dry run: the grid as a table, what is already done, and an estimated time.

use std::time::Duration;

use super::summary::short_duration;
use super::table;
use crate::grid::Grid;
use crate::scheduler::devices;
use crate::spec::Spec;
use crate::store::reconcile::{self, Reconciled};
use crate::store::{ExperimentDir, ExperimentMeta, Observed, RunState};

const MAX_ROWS: usize = 200;

/// The dry run of a spec.
pub fn render(spec: &Spec, grid: &Grid, store: &ExperimentDir, all: bool) -> String {
    let mut out = String::new();
    let mut factors: Vec<String> = spec
        .grid
        .entries
        .iter()
        .map(|(k, _, v)| format!("{k} ({})", v.as_array(k).map_or(0, |a| a.len())))
        .collect();
    for zip in &spec.zips {
        let n = zip
            .entries
            .first()
            .and_then(|(k, _, v)| v.as_array(k).ok())
            .map_or(0, |a| a.len());
        factors.push(format!(
            "zip[{}] ({n})",
            zip.keys().collect::<Vec<_>>().join(", ")
        ));
    }
    let seeds = spec.experiment.seeds.len();
    factors.push(format!("seeds ({seeds})"));
    out.push_str(&format!(
        "Experiment {} (task {})\n",
        spec.experiment.name, grid.task
    ));
    if !spec.experiment.description.is_empty() {
        out.push_str(&format!("  {}\n", spec.experiment.description));
    }
    if !spec.overrides.is_empty() {
        out.push_str(&format!("  overrides: {}\n", spec.overrides.join(" ")));
    }
    let mut count = format!("{} runs = {}", grid.runs.len(), factors.join(" × "));
    if !spec.exclude.is_empty() || !spec.include.is_empty() {
        count.push_str(&format!(
            " ({} exclude, {} include rules)",
            spec.exclude.len(),
            spec.include.len()
        ));
    }
    out.push_str(&format!("  {count}\n"));
    let placement =
        crate::task::lookup(&grid.task).map_or(crate::task::Placement::Any, |t| t.placement());
    let slots = devices::slots(&spec.resources, None, placement);
    devices::plan_with_first_slot(&spec.resources, placement);
    out.push_str(&format!(
        "  devices: {}\n",
        devices::describe_slots(&spec.resources, placement, &slots)
    ));
    out.push_str(&body(grid, store, all, slots.len()));
    if let (Some(task), Ok(cwd)) = (crate::task::lookup(&grid.task), std::env::current_dir()) {
        let todo: Vec<usize> = (0..grid.runs.len()).collect();
        let units = crate::task::artifact::missing_units(
            task,
            grid,
            &todo,
            &crate::artifacts::ArtifactStore::for_workdir(&cwd),
        );
        if !units.runs.is_empty() {
            let ids: Vec<&str> = units.runs.iter().map(|u| u.id.as_str()).collect();
            out.push_str(&format!(
                "\n  {} shared artifacts will be built first (not in the estimate): {}\n",
                ids.len(),
                ids.join(", ")
            ));
        }
    }
    out
}

/// The dry run of `runner resume`.
pub fn render_resume(meta: &ExperimentMeta, grid: &Grid, store: &ExperimentDir) -> String {
    let mut out = format!(
        "Experiment {} (task {}), {} runs\n",
        meta.name,
        grid.task,
        grid.runs.len()
    );
    let placement =
        crate::task::lookup(&grid.task).map_or(crate::task::Placement::Any, |t| t.placement());
    let slots = devices::slots(&meta.resources, None, placement);
    out.push_str(&format!(
        "  devices: {}\n",
        devices::describe_slots(&meta.resources, placement, &slots)
    ));
    out.push_str(&body(grid, store, false, slots.len()));
    out
}

fn body(grid: &Grid, store: &ExperimentDir, all: bool, slots: usize) -> String {
    let mut out = String::new();
    let varying = if grid.varying.is_empty() {
        "none".to_string()
    } else {
        grid.varying.join(", ")
    };
    out.push_str(&format!("  varying: {varying}\n"));
    let rec = if store.has_plan() {
        Some(reconcile::observe(store, grid))
    } else {
        None
    };
    match &rec {
        Some(rec) => out.push_str(&format!(
            "  directory {}: {}\n",
            store.root.display(),
            counts(rec)
        )),
        None => out.push_str(&format!("  directory {} (new)\n", store.root.display())),
    }
    out.push('\n');
    let mut headers = vec!["#", "NAME", "ID"];
    headers.extend(grid.varying.iter().map(String::as_str));
    headers.push("STATE");
    let shown = if all || grid.runs.len() <= MAX_ROWS {
        grid.runs.len()
    } else {
        MAX_ROWS / 2
    };
    let rows: Vec<Vec<String>> = grid.runs[..shown]
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let mut row = vec![(i + 1).to_string(), run.name.clone(), run.id.clone()];
            row.extend(grid.varying.iter().map(|k| run.label(k)));
            row.push(match rec.as_ref().map(|r| r.states[i]) {
                None | Some(Observed::New) => "new".into(),
                Some(Observed::State(s)) => s.word().into(),
            });
            row
        })
        .collect();
    out.push_str(&table::render(&headers, &rows));
    if shown < grid.runs.len() {
        out.push_str(&format!(
            "  ... {} more runs (--all lists every run)\n",
            grid.runs.len() - shown
        ));
    }
    if let Some(rec) = &rec {
        if !rec.not_in_grid.is_empty() {
            out.push_str(&format!(
                "\n  {} run directories are not in this grid (kept): {}\n",
                rec.not_in_grid.len(),
                rec.not_in_grid
                    .iter()
                    .take(10)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(eta) = estimate(store, grid, rec, slots) {
            out.push_str(&format!("\n  {eta}\n"));
        }
    }
    out
}

/// "3 done, 1 failed, 20 new".
pub fn counts(rec: &Reconciled) -> String {
    let mut parts = Vec::new();
    for state in [
        RunState::Completed,
        RunState::Running,
        RunState::Failed,
        RunState::TimedOut,
        RunState::Interrupted,
        RunState::Pending,
    ] {
        let n = rec.count(state);
        if n > 0 {
            let word = if state == RunState::Pending {
                "new"
            } else {
                state.word()
            };
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(", ")
}

/// Estimated time for the remaining runs from the mean duration of completed ones.
fn estimate(store: &ExperimentDir, grid: &Grid, rec: &Reconciled, slots: usize) -> Option<String> {
    let durations: Vec<f64> = grid
        .runs
        .iter()
        .zip(&rec.states)
        .filter(|(_, s)| **s == Observed::State(RunState::Completed))
        .filter_map(|(r, _)| store.read_status(&r.id)?.duration_s)
        .collect();
    if durations.is_empty() {
        return None;
    }
    let mean = durations.iter().sum::<f64>() / durations.len() as f64;
    let remaining = rec.todo().len();
    if remaining == 0 {
        return Some(format!(
            "all {} runs are done (mean {} per run)",
            durations.len(),
            short_duration(Duration::from_secs_f64(mean))
        ));
    }
    let waves = remaining.div_ceil(slots.max(1));
    let eta = Duration::from_secs_f64(mean * waves as f64);
    Some(format!(
        "estimated time for the {remaining} remaining runs: ~{} on {slots} slots (mean {} per completed run)",
        short_duration(eta),
        short_duration(Duration::from_secs_f64(mean))
    ))
}

/// The sbatch directives a Slurm launch would use (the dry run of `--backend slurm`).
pub fn slurm_directives(
    resources: &crate::spec::Resources,
    slurm: &crate::scheduler::slurm::SlurmOptions,
) -> String {
    let directives = crate::scheduler::slurm::submit::directives(resources, slurm);
    format!(
        "\n  Slurm: one array task per run{}, each with {}\n",
        slurm
            .array_limit
            .map(|n| format!(", at most {n} at once"))
            .unwrap_or_default(),
        directives.join(" ")
    )
}
