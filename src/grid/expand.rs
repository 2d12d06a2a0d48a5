//! Expansion of a spec into runs: the cartesian product of `[grid]` axes and `[[zip]]` groups,
//! minus `[[exclude]]`, plus `[[include]]`, times the seeds; presets resolved on the way.
//!
//! Order is deterministic: seeds outermost (so a partial grid already covers every
//! configuration for the first seed), then axes in the order the spec writes them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::config::{Axis, ConfigTable, ExplicitConfig, Origin};
use super::plan::Grid;
use super::rows;
use crate::spec::node::Table;
use crate::spec::presets::Presets;
use crate::spec::{Spec, SpecError};

/// One key's values: raw (as written, for exclude matching) and resolved (for configs).
struct AxisValues {
    key: String,
    raw: Vec<Value>,
    resolved: Vec<(Value, Option<String>)>,
}

/// A dimension of the product: a grid axis (one key) or a zip group (several keys).
struct Dimension {
    axes: Vec<usize>,
    len: usize,
}

/// A table's values with presets resolved, and the preset names used.
type Labelled = (Map<String, Value>, BTreeMap<String, String>);

/// A spec's values, presets resolved: the fixed [params], the axes and their dimensions,
/// the exclusions and the [[include]] points.
struct Resolved {
    fixed: Labelled,
    axes: Vec<AxisValues>,
    dims: Vec<Dimension>,
    excludes: Vec<ExcludeMatcher>,
    includes: Vec<Labelled>,
}

/// Expands a spec into its grid.
pub fn expand(spec: &Spec, presets: &mut Presets) -> Result<Grid, SpecError> {
    let r = resolve(spec, presets)?;
    check_size(spec, &r)?;
    let points = points(&r);
    let (table, candidates) = table_and_candidates(spec, r, &points);
    drop(points);
    Ok(rows::build(spec, table, candidates))
}

/// A table's values with presets resolved, and the preset names used.
fn resolve_table(table: &Table, presets: &mut Presets) -> Result<Labelled, SpecError> {
    let mut config = Map::new();
    let mut labels = BTreeMap::new();
    for (key, _, node) in &table.entries {
        let (value, label) = presets.resolve(key, node)?;
        config.insert(key.clone(), value);
        if let Some(l) = label {
            labels.insert(key.clone(), l);
        }
    }
    Ok((config, labels))
}

fn resolve(spec: &Spec, presets: &mut Presets) -> Result<Resolved, SpecError> {
    let fixed = resolve_table(&spec.params, presets)?;
    let mut axes = Vec::new();
    let mut dims = Vec::new();
    for (key, key_loc, node) in &spec.grid.entries {
        let single = Table {
            entries: vec![(key.clone(), key_loc.clone(), node.clone())],
        };
        dims.push(add_group(&single, &mut axes, presets)?);
    }
    for zip in &spec.zips {
        dims.push(add_group(zip, &mut axes, presets)?);
    }
    let excludes = exclude_matchers(spec, &axes)?;
    let mut includes = Vec::new();
    for item in &spec.include {
        includes.push(resolve_table(item.as_table("include")?, presets)?);
    }
    Ok(Resolved {
        fixed,
        axes,
        dims,
        excludes,
        includes,
    })
}

/// Adds a grid axis or a zip group's axes as one dimension.
fn add_group(
    table: &Table,
    axes: &mut Vec<AxisValues>,
    presets: &mut Presets,
) -> Result<Dimension, SpecError> {
    let mut dim = Dimension {
        axes: Vec::new(),
        len: 0,
    };
    for (key, _, node) in &table.entries {
        let items = node.as_array(key)?;
        let mut values = AxisValues {
            key: key.clone(),
            raw: Vec::new(),
            resolved: Vec::new(),
        };
        for item in items {
            values.raw.push(item.to_json());
            values.resolved.push(presets.resolve(key, item)?);
        }
        dim.len = items.len();
        dim.axes.push(axes.len());
        axes.push(values);
    }
    Ok(dim)
}

/// Refuses a grid larger than `[experiment] max_runs` before anything is built; the size is
/// computed with checked arithmetic (exclusions are not subtracted: they apply afterwards).
fn check_size(spec: &Spec, r: &Resolved) -> Result<(), SpecError> {
    let seeds = spec.experiment.seeds.len() as u64;
    let size = r
        .dims
        .iter()
        .try_fold(1u64, |acc, d| acc.checked_mul(d.len as u64))
        .and_then(|points| points.checked_add(r.includes.len() as u64))
        .and_then(|runs| runs.checked_mul(seeds));
    let limit = spec.experiment.max_runs;
    if size.is_some_and(|n| n <= limit) {
        return Ok(());
    }
    let mut factors: Vec<String> = r.dims.iter().map(|d| d.len.to_string()).collect();
    factors.push(format!("{seeds} seeds"));
    let size = size.map_or_else(
        || "more than 18446744073709551615".to_string(),
        |n| n.to_string(),
    );
    Err(SpecError::at(
        &spec.experiment.limit_loc,
        "experiment.max_runs",
        format!(
            "the grid has {size} runs ({}), more than the limit of {limit}",
            factors.join(" × ")
        ),
    )
    .help("raise it with `max_runs = N` in [experiment] (a dry run holds about 240 MB per million runs), or split the study into several specs"))
}

/// The product's points not excluded for every seed, in order: their numbers (last
/// dimension fastest).
fn points(r: &Resolved) -> Vec<u64> {
    let mut points = Vec::new();
    let total: u64 = r.dims.iter().map(|d| d.len as u64).product();
    let mut index = vec![0usize; r.dims.len()];
    let mut point = vec![0usize; r.axes.len()];
    for number in 0..total {
        for (d, dim) in r.dims.iter().enumerate() {
            for &a in &dim.axes {
                point[a] = index[d];
            }
        }
        if !r.excludes.iter().any(|m| m.matches_point(&point, &r.axes)) {
            points.push(number);
        }
        for d in (0..r.dims.len()).rev() {
            index[d] += 1;
            if index[d] < r.dims[d].len {
                break;
            }
            index[d] = 0;
        }
    }
    points
}

/// The grid's shared table and its candidate runs in order: for each seed, the product's
/// points, then the includes (each include with each seed written out whole).
fn table_and_candidates(spec: &Spec, r: Resolved, points: &[u64]) -> (ConfigTable, Vec<Origin>) {
    let mut table = ConfigTable {
        fixed: r.fixed.0.clone(),
        fixed_labels: r.fixed.1.clone(),
        axes: r.axes.iter().map(AxisValues::to_axis).collect(),
        dims: r.dims.iter().map(|d| d.axes.clone()).collect(),
        seeds: spec
            .experiment
            .seeds
            .iter()
            .map(|&s| Value::from(s))
            .collect(),
        explicit: Vec::new(),
    };
    let seed_excludes = r.excludes.iter().any(|m| m.seed.is_some());
    let mut candidates = Vec::with_capacity(points.len() * spec.experiment.seeds.len());
    for (s, &seed) in spec.experiment.seeds.iter().enumerate() {
        for &point in points {
            let excluded = seed_excludes && {
                let indices = table.point_indices(point);
                r.excludes
                    .iter()
                    .any(|m| m.matches_seed_only(seed, &indices, &r.axes))
            };
            if !excluded {
                candidates.push(Origin::Point {
                    point,
                    seed: s as u32,
                });
            }
        }
        for (extra, extra_labels) in &r.includes {
            if extra.get("seed").is_some_and(|v| v.as_i64() != Some(seed)) {
                continue;
            }
            let mut config = r.fixed.0.clone();
            let mut labels = r.fixed.1.clone();
            config.extend(extra.clone());
            labels.extend(extra_labels.clone());
            config.insert(
                "seed".into(),
                extra.get("seed").cloned().unwrap_or(Value::from(seed)),
            );
            candidates.push(Origin::Explicit(table.explicit.len() as u32));
            table.explicit.push(ExplicitConfig { config, labels });
        }
    }
    (table, candidates)
}

impl AxisValues {
    fn to_axis(&self) -> Axis {
        Axis {
            key: self.key.clone(),
            values: self.resolved.iter().map(|(v, _)| v.clone()).collect(),
            labels: self.resolved.iter().map(|(_, l)| l.clone()).collect(),
        }
    }
}

/// One `[[exclude]]` entry as (axis index or seed, raw value) pairs.
struct ExcludeMatcher {
    axes: Vec<(usize, Value)>,
    seed: Option<Value>,
}

impl ExcludeMatcher {
    fn matches_axes(&self, point: &[usize], axes: &[AxisValues]) -> bool {
        self.axes.iter().all(|(a, v)| axes[*a].raw[point[*a]] == *v)
    }

    /// Matches a point on its axes alone (entries without a seed key).
    fn matches_point(&self, point: &[usize], axes: &[AxisValues]) -> bool {
        self.seed.is_none() && self.matches_axes(point, axes)
    }

    /// Matches a point for one seed (entries with a seed key).
    fn matches_seed_only(&self, seed: i64, point: &[usize], axes: &[AxisValues]) -> bool {
        self.seed.as_ref().is_some_and(|s| s.as_i64() == Some(seed))
            && self.matches_axes(point, axes)
    }
}

fn exclude_matchers(spec: &Spec, axes: &[AxisValues]) -> Result<Vec<ExcludeMatcher>, SpecError> {
    let mut matchers = Vec::new();
    for item in &spec.exclude {
        let table = item.as_table("exclude")?;
        let mut m = ExcludeMatcher {
            axes: Vec::new(),
            seed: None,
        };
        for (key, _, node) in &table.entries {
            let value = node.to_json();
            if key == "seed" {
                m.seed = Some(value);
                continue;
            }
            let a = axes
                .iter()
                .position(|ax| ax.key == *key)
                .expect("checked when loading the spec");
            if !axes[a].raw.contains(&value) {
                let listed: Vec<String> =
                    axes[a].raw.iter().map(super::naming::value_label).collect();
                return Err(SpecError::at(
                    &node.loc,
                    format!("exclude.{key}"),
                    "matches no value of this axis",
                )
                .help(format!("the axis has: {}", listed.join(", "))));
            }
            m.axes.push((a, value));
        }
        matchers.push(m);
    }
    Ok(matchers)
}
