//! Aggregation over seeds with polars: runs grouped by axes, mean / standard deviation / count
//! per metric, a 95% interval per group, and how many of each group's planned runs completed.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use polars::prelude::*;

use super::experiment_data::{labels_of, ExperimentData, RunRow};
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
}

/// Rows matching a filter (every key's label equal to the given one).
pub fn matches(labels: &BTreeMap<String, String>, filter: &BTreeMap<String, String>) -> bool {
    filter.iter().all(|(k, v)| labels.get(k) == Some(v))
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

/// Groups the completed runs of `data` (filtered) by `axes` and summarizes `metrics`.
pub fn aggregate(
    data: &[ExperimentData],
    axes: &[String],
    metrics: &[String],
    filter: &BTreeMap<String, String>,
    method: CiMethod,
) -> Result<Aggregate> {
    let key_of = |labels: &BTreeMap<String, String>| -> Vec<String> {
        axes.iter()
            .map(|a| labels.get(a).cloned().unwrap_or_else(|| "-".into()))
            .collect()
    };
    // Groups in plan order, with their planned counts.
    let mut order: Vec<Vec<String>> = Vec::new();
    let mut planned: HashMap<Vec<String>, usize> = HashMap::new();
    for exp in data {
        for run in &exp.plan.runs {
            let labels = labels_of(&exp.meta.name, run);
            if !matches(&labels, filter) {
                continue;
            }
            let key = key_of(&labels);
            let count = planned.entry(key.clone()).or_insert(0);
            if *count == 0 {
                order.push(key);
            }
            *count += 1;
        }
    }
    let rows: Vec<&RunRow> = data
        .iter()
        .flat_map(|e| &e.rows)
        .filter(|r| matches(&r.labels, filter))
        .collect();

    // Mean, standard deviation and count with polars.
    let mut df = raw_frame(&rows, axes, metrics)?;
    let mut aggs = Vec::new();
    for (i, m) in metrics.iter().enumerate() {
        aggs.push(col(m.as_str()).mean().alias(format!("mean_{i}")));
        aggs.push(col(m.as_str()).std(1).alias(format!("std_{i}")));
        aggs.push(col(m.as_str()).count().alias(format!("n_{i}")));
    }
    aggs.push(len().alias("completed"));
    let by: Vec<Expr> = axes.iter().map(|a| col(a.as_str())).collect();
    let grouped = std::mem::take(&mut df)
        .lazy()
        .group_by(by)
        .agg(aggs)
        .collect()
        .map_err(|e| anyhow::anyhow!("aggregating with polars: {e}"))?;

    let mut found: HashMap<Vec<String>, (usize, Vec<(f64, f64, usize)>)> = HashMap::new();
    for row in 0..grouped.height() {
        let mut key = Vec::new();
        for a in axes {
            let v = grouped
                .column(a.as_str())?
                .str()?
                .get(row)
                .unwrap_or("")
                .to_string();
            key.push(v);
        }
        let completed = grouped
            .column("completed")?
            .cast(&DataType::UInt64)?
            .u64()?
            .get(row)
            .unwrap_or(0) as usize;
        let mut stats = Vec::new();
        for i in 0..metrics.len() {
            let mean = grouped
                .column(&format!("mean_{i}"))?
                .f64()?
                .get(row)
                .unwrap_or(f64::NAN);
            let std = grouped
                .column(&format!("std_{i}"))?
                .f64()?
                .get(row)
                .unwrap_or(f64::NAN);
            let n = grouped
                .column(&format!("n_{i}"))?
                .cast(&DataType::UInt64)?
                .u64()?
                .get(row)
                .unwrap_or(0) as usize;
            stats.push((mean, std, n));
        }
        found.insert(key, (completed, stats));
    }

    let mut groups = Vec::new();
    for key in order {
        let (completed, stats) = found
            .remove(&key)
            .unwrap_or((0, vec![(f64::NAN, f64::NAN, 0); metrics.len()]));
        let metric_stats = stats
            .iter()
            .enumerate()
            .map(|(i, &(mean, std, n))| {
                if n == 0 {
                    return None;
                }
                let ci = match method {
                    CiMethod::T => t_interval(n, mean, std),
                    CiMethod::Bootstrap(b) => {
                        let values: Vec<f64> = rows
                            .iter()
                            .filter(|r| key_of(&r.labels) == key)
                            .filter_map(|r| r.metrics.get(&metrics[i]).copied())
                            .filter(|v| v.is_finite())
                            .collect();
                        bootstrap_interval(&values, b, 0)
                    }
                };
                Some(MetricStats {
                    n,
                    mean,
                    std: if n > 1 { std } else { f64::NAN },
                    ci,
                })
            })
            .collect();
        groups.push(GroupStats {
            planned: planned[&key],
            keys: key,
            completed,
            metrics: metric_stats,
        });
    }
    Ok(Aggregate {
        axes: axes.to_vec(),
        metrics: metrics.to_vec(),
        groups,
        method,
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
