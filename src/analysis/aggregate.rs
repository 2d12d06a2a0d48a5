//! Aggregation over seeds with polars: runs grouped by axes, mean / standard deviation / count
//! per metric, a 95% interval per group, and how many of each group's planned runs completed.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use polars::prelude::*;

use super::experiment_data::{ExperimentData, RunRow};
use crate::metrics::intervals::{bootstrap_interval, t_interval, CiMethod, MetricStats};

/// One group (a combination of axis labels).
#[derive(Debug, Clone)]
pub struct GroupStats {
    /// Axis labels, in the order of `Aggregate::axes`.
    pub keys: Vec<String>,
    /// Planned runs in the group.
    pub planned: usize,
    /// Completed runs in the group.
    pub completed: usize,
    /// Per metric (order of `Aggregate::metrics`); None when no run has the metric.
    pub metrics: Vec<Option<MetricStats>>,
}

/// Aggregated results.
#[derive(Debug, Clone)]
pub struct Aggregate {
    /// Grouping axes.
    pub axes: Vec<String>,
    /// Metrics.
    pub metrics: Vec<String>,
    /// Groups in plan order.
    pub groups: Vec<GroupStats>,
    /// Interval method.
    pub method: CiMethod,
    /// Whether some single-run group shows the run's own interval.
    pub run_intervals: bool,
}

/// A filter on run labels: axis → the labels kept (any of them).
pub type Filter = BTreeMap<String, Vec<String>>;

/// Rows matching a filter (every key's label one of the given ones).
pub fn matches(labels: &BTreeMap<String, String>, filter: &Filter) -> bool {
    matches_by(|k| labels.get(k).cloned(), filter)
}

/// Whether the labels that `label` gives by key (none where the run lacks the key) pass a filter.
pub fn matches_by(label: impl Fn(&str) -> Option<String>, filter: &Filter) -> bool {
    filter
        .iter()
        .all(|(k, kept)| label(k).is_some_and(|l| kept.contains(&l)))
}

/// A polars frame of runs: experiment, id, name, seed, the axes as strings, the metrics as floats.
pub fn raw_frame(rows: &[&RunRow], axes: &[String], metrics: &[String]) -> PolarsResult<DataFrame> {
    let mut columns: Vec<Column> = Vec::new();
    let text = |name: &str, f: &dyn Fn(&RunRow) -> String| -> Column {
        Column::new(
            name.into(),
            rows.iter().map(|r| f(r)).collect::<Vec<String>>(),
        )
    };
    columns.push(text("experiment", &|r| r.experiment.clone()));
    columns.push(text("id", &|r| r.id.clone()));
    columns.push(text("name", &|r| r.name.clone()));
    columns.push(text("seed", &|r| {
        r.labels.get("seed").cloned().unwrap_or_default()
    }));
    for axis in axes
        .iter()
        .filter(|a| !["experiment", "seed"].contains(&a.as_str()))
    {
        columns.push(text(axis, &|r| {
            r.labels.get(axis).cloned().unwrap_or_default()
        }));
    }
    for metric in metrics {
        let values: Vec<Option<f64>> = rows
            .iter()
            .map(|r| r.metrics.get(metric).copied().filter(|v| v.is_finite()))
            .collect();
        columns.push(Column::new(metric.as_str().into(), values));
    }
    columns.push(Column::new(
        "duration_s".into(),
        rows.iter().map(|r| r.duration_s).collect::<Vec<f64>>(),
    ));
    DataFrame::new(rows.len(), columns)
}

/// What to aggregate: the grouping axes, the metrics, a filter on run labels, the interval
/// method, and where a metric's own per-run interval is (used when a group has one run, as a
/// single-seed experiment does, where no interval over seeds exists).
pub struct Request<'a> {
    /// Grouping axes.
    pub axes: &'a [String],
    /// Metrics.
    pub metrics: &'a [String],
    /// Keep runs whose labels are among these.
    pub filter: &'a Filter,
    /// Interval over seeds.
    pub method: CiMethod,
    /// Keys of a metric's per-run interval bounds.
    pub run_interval: &'a dyn Fn(&str) -> Option<(&'static str, &'static str)>,
}

/// Mean, standard deviation and count of one metric in one group.
type Moments = (f64, f64, usize);

/// Per group: its completed runs and the moments of every metric.
type GroupMoments = HashMap<Vec<String>, (usize, Vec<Moments>)>;

/// Groups the completed runs of `data` (filtered) by the axes and summarizes the metrics.
pub fn aggregate(data: &[ExperimentData], req: &Request<'_>) -> Result<Aggregate> {
    let (order, planned) = planned_groups(data, req);
    let rows: Vec<&RunRow> = data
        .iter()
        .flat_map(|e| &e.rows)
        .filter(|r| matches(&r.labels, req.filter))
        .collect();
    let mut found = moments(&rows, req)?;
    let mut by_group: HashMap<Vec<String>, Vec<&RunRow>> = HashMap::new();
    for r in &rows {
        by_group
            .entry(key_of(req.axes, &r.labels))
            .or_default()
            .push(r);
    }
    let mut run_intervals = false;
    let mut groups = Vec::new();
    for key in order {
        let (completed, stats) = found
            .remove(&key)
            .unwrap_or((0, vec![(f64::NAN, f64::NAN, 0); req.metrics.len()]));
        let members = by_group.remove(&key).unwrap_or_default();
        let metrics = stats
            .iter()
            .enumerate()
            .map(|(i, &m)| {
                let stats = summarize(&req.metrics[i], m, &members, req)?;
                run_intervals |= stats.n == 1 && stats.ci.0.is_finite();
                Some(stats)
            })
            .collect();
        groups.push(GroupStats {
            planned: planned[&key],
            keys: key,
            completed,
            metrics,
        });
    }
    Ok(Aggregate {
        axes: req.axes.to_vec(),
        metrics: req.metrics.to_vec(),
        groups,
        method: req.method,
        run_intervals,
    })
}

fn key_of(axes: &[String], labels: &BTreeMap<String, String>) -> Vec<String> {
    axes.iter()
        .map(|a| labels.get(a).cloned().unwrap_or_else(|| "-".into()))
        .collect()
}

/// Groups in plan order, with how many runs each plans.
fn planned_groups(
    data: &[ExperimentData],
    req: &Request<'_>,
) -> (Vec<Vec<String>>, HashMap<Vec<String>, usize>) {
    let mut order: Vec<Vec<String>> = Vec::new();
    let mut planned: HashMap<Vec<String>, usize> = HashMap::new();
    for exp in data {
        for run in &exp.plan.runs {
            // The labels a group needs, not every key's (plans hold up to a million runs).
            let label = |k: &str| match k {
                "experiment" => Some(exp.meta.name.clone()),
                _ => run.config.get(k).map(|_| run.label(k)),
            };
            if !matches_by(label, req.filter) {
                continue;
            }
            let key: Vec<String> = req
                .axes
                .iter()
                .map(|a| label(a).unwrap_or_else(|| "-".into()))
                .collect();
            let count = planned.entry(key.clone()).or_insert(0);
            if *count == 0 {
                order.push(key);
            }
            *count += 1;
        }
    }
    (order, planned)
}

/// The mean, standard deviation and count of every metric per group, with polars; and each
/// group's completed runs.
fn moments(rows: &[&RunRow], req: &Request<'_>) -> Result<GroupMoments> {
    let mut df = raw_frame(rows, req.axes, req.metrics)?;
    let mut aggs = Vec::new();
    for (i, m) in req.metrics.iter().enumerate() {
        aggs.push(col(m.as_str()).mean().alias(format!("mean_{i}")));
        aggs.push(col(m.as_str()).std(1).alias(format!("std_{i}")));
        aggs.push(col(m.as_str()).count().alias(format!("n_{i}")));
    }
    aggs.push(len().alias("completed"));
    let by: Vec<Expr> = req.axes.iter().map(|a| col(a.as_str())).collect();
    let grouped = std::mem::take(&mut df)
        .lazy()
        .group_by(by)
        .agg(aggs)
        .collect()
        .map_err(|e| anyhow::anyhow!("aggregating with polars: {e}"))?;
    // Each column read out once (a column per row would make this quadratic in the groups).
    let floats = |name: &str| -> Result<Vec<f64>> {
        let column = grouped.column(name)?.f64()?;
        Ok(column.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    };
    let counts = |name: &str| -> Result<Vec<usize>> {
        let column = grouped.column(name)?.cast(&DataType::UInt64)?;
        Ok(column
            .u64()?
            .iter()
            .map(|v| v.unwrap_or(0) as usize)
            .collect())
    };
    let mut keys = vec![Vec::with_capacity(req.axes.len()); grouped.height()];
    for a in req.axes {
        let column = grouped.column(a.as_str())?.str()?;
        for (key, label) in keys.iter_mut().zip(column.iter()) {
            key.push(label.unwrap_or("").to_string());
        }
    }
    let mut stats = vec![Vec::with_capacity(req.metrics.len()); grouped.height()];
    for i in 0..req.metrics.len() {
        let means = floats(&format!("mean_{i}"))?;
        let stds = floats(&format!("std_{i}"))?;
        let ns = counts(&format!("n_{i}"))?;
        for (row, s) in stats.iter_mut().enumerate() {
            s.push((means[row], stds[row], ns[row]));
        }
    }
    let completed = counts("completed")?;
    Ok(keys
        .into_iter()
        .zip(completed)
        .zip(stats)
        .map(|((key, completed), stats)| (key, (completed, stats)))
        .collect())
}

/// One metric of one group: its interval over seeds, or the run's own when there is one run.
fn summarize(
    metric: &str,
    (mean, std, n): Moments,
    members: &[&RunRow],
    req: &Request<'_>,
) -> Option<MetricStats> {
    if n == 0 {
        return None;
    }
    let values = || -> Vec<f64> {
        members
            .iter()
            .filter_map(|r| r.metrics.get(metric).copied())
            .filter(|v| v.is_finite())
            .collect()
    };
    let ci = match (req.method, n, (req.run_interval)(metric)) {
        (_, 1, Some((lo, hi))) => {
            let run = members.iter().find(|r| r.metrics.contains_key(metric))?;
            let bound = |k: &str| run.metrics.get(k).copied().unwrap_or(f64::NAN);
            (bound(lo), bound(hi))
        }
        (CiMethod::T, _, _) => t_interval(n, mean, std),
        (CiMethod::Bootstrap(b), _, _) => bootstrap_interval(&values(), b, 0),
    };
    Some(MetricStats {
        n,
        mean,
        std: if n > 1 { std } else { f64::NAN },
        ci,
    })
}

impl Aggregate {
    /// A polars frame of the aggregate: axes, n, then mean/std/ci_low/ci_high per metric.
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        let mut columns = Vec::new();
        for (i, a) in self.axes.iter().enumerate() {
            columns.push(Column::new(
                a.as_str().into(),
                self.groups
                    .iter()
                    .map(|g| g.keys[i].clone())
                    .collect::<Vec<_>>(),
            ));
        }
        columns.push(Column::new(
            "completed".into(),
            self.groups
                .iter()
                .map(|g| g.completed as u64)
                .collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            "planned".into(),
            self.groups
                .iter()
                .map(|g| g.planned as u64)
                .collect::<Vec<_>>(),
        ));
        for (i, m) in self.metrics.iter().enumerate() {
            let get = |f: &dyn Fn(&MetricStats) -> f64| -> Vec<Option<f64>> {
                self.groups
                    .iter()
                    .map(|g| g.metrics[i].as_ref().map(f).filter(|v| v.is_finite()))
                    .collect()
            };
            columns.push(Column::new(format!("{m}_mean").into(), get(&|s| s.mean)));
            columns.push(Column::new(format!("{m}_std").into(), get(&|s| s.std)));
            columns.push(Column::new(format!("{m}_ci_low").into(), get(&|s| s.ci.0)));
            columns.push(Column::new(format!("{m}_ci_high").into(), get(&|s| s.ci.1)));
            columns.push(Column::new(
                format!("{m}_n").into(),
                self.groups
                    .iter()
                    .map(|g| g.metrics[i].map_or(0, |s| s.n as u64))
                    .collect::<Vec<_>>(),
            ));
        }
        DataFrame::new(self.groups.len(), columns)
    }

    /// Whether some planned run of some group did not complete.
    pub fn is_partial(&self) -> bool {
        self.groups.iter().any(|g| g.completed < g.planned)
    }
}
