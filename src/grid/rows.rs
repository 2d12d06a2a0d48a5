//! The runs of an expanded grid from its table and candidates: each candidate's id (the hash
//! of its canonical config), duplicates dropped, the keys that vary, and readable names.
//!
//! Built for a million runs: ids are hashed from the canonical JSON written into one buffer
//! per thread, and a point's name is joined from parts made once per axis value.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use super::config::{ConfigTable, Origin, RunConfig};
use super::identity::run_id_of_canonical;
use super::naming::{disambiguate, join_parts, name_part, run_name, seed_part};
use super::plan::{Grid, PlannedRun};
use crate::spec::Spec;

/// The grid of `candidates` (in order) over `table`.
pub fn build(spec: &Spec, table: ConfigTable, candidates: Vec<Origin>) -> Grid {
    let task = &spec.experiment.task;
    let table = Arc::new(table);
    let ids: Vec<String> = candidates
        .par_iter()
        .map_init(Vec::new, |buf, &origin| {
            buf.clear();
            RunConfig::new(table.clone(), origin).write_canonical(buf);
            run_id_of_canonical(task, buf)
        })
        .collect();
    let mut seen = HashSet::with_capacity(ids.len());
    let keep: Vec<bool> = ids.iter().map(|id| seen.insert(id.as_str())).collect();
    drop(seen);
    let mut runs: Vec<PlannedRun> = ids
        .into_iter()
        .zip(candidates)
        .zip(keep)
        .filter(|(_, keep)| *keep)
        .map(|((id, origin), _)| PlannedRun {
            id,
            name: String::new(),
            config: RunConfig::new(table.clone(), origin),
        })
        .collect();
    let varying = varying_keys(spec, &table, &runs);
    let mut names = names(spec, &table, &varying, &runs);
    disambiguate(&mut names, runs.iter().map(|r| r.id.as_str()));
    for (run, name) in runs.iter_mut().zip(names) {
        run.name = if name.is_empty() {
            run.id.clone()
        } else {
            name
        };
    }
    Grid {
        task: task.clone(),
        table,
        runs,
        varying,
    }
}

/// Keys whose value differs between runs: spec order (params, grid, zip, include keys), seed last.
fn varying_keys(spec: &Spec, table: &ConfigTable, runs: &[PlannedRun]) -> Vec<String> {
    let mut order: Vec<String> = spec.axis_names().iter().map(|s| s.to_string()).collect();
    for key in spec.params.keys() {
        order.push(key.to_string());
    }
    for item in &spec.include {
        if let Ok(t) = item.as_table("include") {
            order.extend(t.keys().map(String::from));
        }
    }
    order.push("seed".into());
    let Some(first_run) = runs.first() else {
        return Vec::new();
    };
    let mut result: Vec<String> = Vec::new();
    for key in order {
        if result.contains(&key) {
            continue;
        }
        // Among points, a fixed key never varies: only whole configs can change it.
        let fixed_only =
            table.explicit.is_empty() && key != "seed" && !table.axes.iter().any(|a| a.key == key);
        if fixed_only {
            continue;
        }
        let first = first_run.config.get(&key);
        if runs.iter().any(|r| r.config.get(&key) != first) {
            result.push(key);
        }
    }
    result
}

/// Every row's name from the varying keys (not yet made unique).
fn names(
    spec: &Spec,
    table: &Arc<ConfigTable>,
    varying: &[String],
    runs: &[PlannedRun],
) -> Vec<String> {
    let abbrev = &spec.experiment.abbrev;
    let axis_parts: Vec<Vec<String>> = table
        .axes
        .iter()
        .map(|axis| {
            let parts = axis.values.iter().zip(&axis.labels);
            parts
                .map(|(v, l)| name_part(&axis.key, v, l.as_deref(), abbrev))
                .collect()
        })
        .collect();
    let seed_parts: Vec<String> = table.seeds.iter().map(seed_part).collect();
    let keys: Vec<Option<usize>> = varying
        .iter()
        .filter(|k| *k != "seed")
        .map(|k| table.axes.iter().position(|a| &a.key == k))
        .collect();
    runs.par_iter()
        .map(|run| match run.config.origin() {
            Origin::Point { point, seed } if keys.iter().all(Option::is_some) => {
                let parts = keys
                    .iter()
                    .flatten()
                    .map(|&a| axis_parts[a][table.axis_index(point, a)].as_str());
                join_parts(parts.chain([seed_parts[seed as usize].as_str()]))
            }
            _ => run_name(varying, &run.config, abbrev),
        })
        .collect()
}
