//! The names an experiment's data has: its varying axes, its config keys and its metrics, and
//! the check that a report definition names only those (with "did you mean").

use anyhow::{bail, Result};

use crate::analysis::experiment_data::ExperimentData;

/// Varying axes of the experiments (without seed); `experiment` first when several.
pub fn default_axes(data: &[ExperimentData]) -> Vec<String> {
    let mut axes: Vec<String> = Vec::new();
    if data.len() > 1 {
        axes.push("experiment".into());
    }
    for e in data {
        for a in &e.plan.varying {
            if a != "seed" && !axes.contains(a) {
                axes.push(a.clone());
            }
        }
    }
    if axes.is_empty() {
        axes.push("experiment".into());
    }
    axes
}

/// Every config key that varies in some experiment.
pub fn all_config_keys(data: &[ExperimentData]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for e in data {
        for a in &e.plan.varying {
            if !keys.contains(a) {
                keys.push(a.clone());
            }
        }
    }
    keys
}

/// Metric names in the data: top-level ones (or all, nested included, with `nested`).
pub fn metric_names(data: &[ExperimentData], top_level_only: bool) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in data.iter().flat_map(|e| &e.rows) {
        for k in row.metrics.keys() {
            if (!top_level_only || !k.contains('.')) && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
}

/// Checks that `axes` and `metrics` exist in the data; errors name `what` (a table or figure).
pub fn check_keys(
    data: &[ExperimentData],
    axes: &[String],
    metrics: &[String],
    what: &str,
) -> Result<()> {
    let known_metrics = metric_names(data, false);
    for m in metrics {
        if !known_metrics.contains(m) && !data.iter().all(|e| e.rows.is_empty()) {
            let names: Vec<&str> = known_metrics.iter().map(String::as_str).collect();
            bail!(
                "`{what}`: no metric `{m}` in the results; {}",
                crate::spec::suggest::help_for(m, &names, "metrics")
            );
        }
    }
    let mut known_axes: Vec<String> = vec!["experiment".into(), "seed".into()];
    for e in data {
        known_axes.extend(e.plan.keys());
    }
    for a in axes {
        if !known_axes.contains(a) {
            let names: Vec<&str> = known_axes.iter().map(String::as_str).collect();
            bail!(
                "`{what}`: no axis `{a}`; {}",
                crate::spec::suggest::help_for(a, &names, "axes")
            );
        }
    }
    Ok(())
}
