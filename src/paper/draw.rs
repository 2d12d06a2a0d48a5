//! Drawing a figure of a report definition: lines or bars of an aggregate over an axis,
//! a scatter of two metrics with the Pareto front (when both directions are known), or the
//! runs' training curves. Axes and titles use the metrics' labels ("F1 (%)").

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::catalog::Catalog;
use super::curves;
use super::definition::{filter_labels, Axes, FigureDef};
use super::figures::{self, Labels, Line};
use super::keys::check_keys;
use crate::analysis::aggregate::{aggregate, matches, Aggregate, Request};
use crate::analysis::experiment_data::{ExperimentData, RunRow};
use crate::metrics::intervals::CiMethod;

/// What every figure of a report shares.
pub struct FigureContext<'a> {
    /// The experiments.
    pub data: &'a [ExperimentData],
    /// The default axes (x of figures that name none).
    pub default_axes: &'a [String],
    /// Intervals over seeds.
    pub method: CiMethod,
    /// Labels, directions and intervals of the metrics.
    pub catalog: &'a Catalog,
}

impl FigureContext<'_> {
    fn aggregate(&self, axes: &[String], metrics: &[String], f: &FigureDef) -> Result<Aggregate> {
        let filter = filter_labels(&f.filter);
        check_keys(self.data, axes, metrics, &f.name)?;
        let run_interval = |m: &str| self.catalog.interval(m);
        aggregate(
            self.data,
            &Request {
                axes,
                metrics,
                filter: &filter,
                method: self.method,
                run_interval: &run_interval,
            },
        )
    }
}

/// Draws figure `f` into `stem.png` and `stem.svg`.
pub fn draw_figure(ctx: &FigureContext<'_>, f: &FigureDef, stem: &Path) -> Result<()> {
    let series_axes: Vec<String> = f.series.as_ref().map(Axes::list).unwrap_or_default();
    let caption = f.caption.clone().unwrap_or_else(|| ctx.catalog.label(&f.y));
    match f.kind.as_str() {
        "line" | "bars" => {
            let x = f.x.clone().unwrap_or_else(|| ctx.default_axes[0].clone());
            let mut axes = vec![x.clone()];
            axes.extend(series_axes.iter().filter(|s| **s != x).cloned());
            let agg = ctx.aggregate(&axes, std::slice::from_ref(&f.y), f)?;
            let labels = Labels {
                title: caption,
                x,
                y: ctx.catalog.label(&f.y),
            };
            if f.kind == "bars" {
                let (categories, series, values) = bars_of(&agg);
                return figures::bar_chart(stem, &labels, &categories, &series, &values);
            }
            let lines = lines_of(&agg)?;
            let xs: Vec<f64> = lines
                .iter()
                .flat_map(|l| l.points.iter().map(|p| p.0))
                .collect();
            let (lo, hi) = xs
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            let log_x = f.log_x.unwrap_or(lo > 0.0 && hi / lo >= 20.0);
            let thresholds: Vec<(String, f64)> =
                f.thresholds.iter().map(|(k, v)| (k.clone(), *v)).collect();
            figures::line_chart(stem, &labels, &lines, log_x, &thresholds)
        }
        "scatter" => scatter(ctx, f, caption, series_axes, stem),
        "curves" => {
            let filter = filter_labels(&f.filter);
            let rows: Vec<&RunRow> = ctx
                .data
                .iter()
                .flat_map(|e| &e.rows)
                .filter(|r| matches(&r.labels, &filter))
                .collect();
            let lines = curves::lines(&rows, f.x.as_deref(), &f.y, &series_axes)?;
            let x = f.x.clone().unwrap_or_else(|| curves::x_column(&rows));
            let labels = Labels {
                title: caption,
                x,
                y: f.y.clone(),
            };
            figures::line_chart(stem, &labels, &lines, f.log_x.unwrap_or(false), &[])
        }
        other => bail!("unknown figure kind `{other}` (line, bars, scatter, curves)"),
    }
}

/// Two metrics against each other, one point per group, with the Pareto front.
fn scatter(
    ctx: &FigureContext<'_>,
    f: &FigureDef,
    caption: String,
    series_axes: Vec<String>,
    stem: &Path,
) -> Result<()> {
    let x = f.x.clone().context("a scatter needs `x` (a metric)")?;
    let metrics = vec![x.clone(), f.y.clone()];
    let axes = if series_axes.is_empty() {
        ctx.default_axes.to_vec()
    } else {
        series_axes
    };
    let agg = ctx.aggregate(&axes, &metrics, f)?;
    let points: Vec<(String, f64, f64)> = agg
        .groups
        .iter()
        .filter_map(|g| Some((g.keys.join(" "), g.metrics[0]?.mean, g.metrics[1]?.mean)))
        .collect();
    let labels = Labels {
        title: caption,
        x: ctx.catalog.label(&x),
        y: ctx.catalog.label(&f.y),
    };
    let (lo, hi) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.2), b.max(p.2)));
    let log_y = f.log_y.unwrap_or(lo > 0.0 && hi / lo >= 100.0);
    let better = (ctx.catalog.better(&x), ctx.catalog.better(&f.y));
    figures::scatter_chart(stem, &labels, &points, better, log_y)
}

/// Lines of an aggregate whose first axis is numeric: one per combination of the others.
pub fn lines_of(agg: &Aggregate) -> Result<Vec<Line>> {
    let mut lines: Vec<Line> = Vec::new();
    for g in &agg.groups {
        let Some(stats) = g.metrics[0] else { continue };
        let x: f64 = g.keys[0].parse().with_context(|| {
            format!(
                "`{}` = `{}` is not a number; use kind = \"bars\"",
                agg.axes[0], g.keys[0]
            )
        })?;
        let label = if g.keys.len() > 1 {
            g.keys[1..].join(" ")
        } else {
            agg.metrics[0].clone()
        };
        match lines.iter_mut().find(|l| l.label == label) {
            Some(l) => l.points.push((x, stats.mean, stats.ci.0, stats.ci.1)),
            None => lines.push(Line {
                label,
                points: vec![(x, stats.mean, stats.ci.0, stats.ci.1)],
                fit: Vec::new(),
            }),
        }
    }
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(lines)
}

type BarValues = Vec<Vec<Option<(f64, f64, f64)>>>;

/// Categories (first axis), series (the rest) and values of an aggregate.
pub fn bars_of(agg: &Aggregate) -> (Vec<String>, Vec<String>, BarValues) {
    let mut categories: Vec<String> = Vec::new();
    let mut series: Vec<String> = Vec::new();
    for g in &agg.groups {
        if !categories.contains(&g.keys[0]) {
            categories.push(g.keys[0].clone());
        }
        let s = g.keys[1..].join(" ");
        if !series.contains(&s) {
            series.push(s);
        }
    }
    let mut values = vec![vec![None; series.len()]; categories.len()];
    for g in &agg.groups {
        let c = categories.iter().position(|x| *x == g.keys[0]).unwrap_or(0);
        let s = series
            .iter()
            .position(|x| *x == g.keys[1..].join(" "))
            .unwrap_or(0);
        values[c][s] = g.metrics[0].map(|m| (m.mean, m.ci.0, m.ci.1));
    }
    (categories, series, values)
}
