//! The report made without `--definition`: one table of the metrics that matter — the task
//! kind's headline metrics (or, for kinds that declare none, every measured top-level metric
//! that is not a bookkeeping counter) — with the values every run shares moved to a settings
//! line under it, and a figure per metric: lines over a numeric axis, else grouped bars; every
//! further axis makes one figure per value, so no figure averages over an axis.

use std::collections::BTreeMap;

use super::catalog::Catalog;
use super::curves;
use super::definition::{Axes, Definition, FigureDef, TableDef};
use super::keys::{default_axes, metric_names};
use super::options::ReportOptions;
use crate::analysis::experiment_data::{ExperimentData, RunRow};

/// The default definition of a report on `data`.
pub fn default_definition(
    data: &[ExperimentData],
    opts: &ReportOptions,
    catalog: &Catalog,
) -> Definition {
    let axes = opts.group_by.clone().unwrap_or_else(|| default_axes(data));
    let rows: Vec<&RunRow> = data.iter().flat_map(|e| &e.rows).collect();
    let (metrics, settings) = match &opts.metrics {
        Some(m) => (m.clone(), Vec::new()),
        None => {
            let (varying, mut shared) = split_constant(candidates(data, catalog, &rows), &rows);
            let present = metric_names(data, false);
            let counts: Vec<String> = catalog
                .declared()
                .iter()
                .filter(|m| m.better.is_none() && !m.headline && present.iter().any(|p| p == m.key))
                .map(|m| m.key.to_string())
                .collect();
            shared.extend(split_constant(counts, &rows).1);
            (varying, shared)
        }
    };
    let mut def = Definition {
        title: Some(format!(
            "Report: {}",
            data.iter()
                .map(|e| e.meta.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        ..Definition::default()
    };
    def.table.push(TableDef {
        name: "results".into(),
        caption: None,
        metrics: metrics.clone(),
        group_by: Some(axes.clone()),
        filter: BTreeMap::new(),
        precision: None,
        settings,
    });
    def.figure = metric_figures(&metrics, &axes, &rows, catalog);
    def.figure.extend(curve_figures(&axes, &rows));
    def
}

/// The metrics worth a column: the declared headline metrics present in the data, else the
/// measured top-level ones.
fn candidates(data: &[ExperimentData], catalog: &Catalog, rows: &[&RunRow]) -> Vec<String> {
    let present = metric_names(data, false);
    if catalog.is_declared() {
        return catalog
            .declared()
            .iter()
            .filter(|m| m.headline && present.iter().any(|p| p == m.key))
            .map(|m| m.key.to_string())
            .chain(undeclared(data, catalog, rows))
            .collect();
    }
    let top = metric_names(data, true);
    let all = if top.is_empty() { present } else { top };
    let measured: Vec<String> = all
        .iter()
        .filter(|m| !is_counter(m, rows))
        .cloned()
        .collect();
    if measured.is_empty() {
        all
    } else {
        measured
    }
}

/// Top-level measured metrics a run wrote that its kind does not declare (none for built-in
/// kinds, which declare everything they write).
fn undeclared<'a>(
    data: &'a [ExperimentData],
    catalog: &'a Catalog,
    rows: &'a [&RunRow],
) -> impl Iterator<Item = String> + 'a {
    metric_names(data, true).into_iter().filter(move |m| {
        catalog.get(m).is_none() && !is_counter(m, rows) && !is_interval(m, catalog)
    })
}

fn is_interval(metric: &str, catalog: &Catalog) -> bool {
    catalog.declared().iter().any(|d| {
        d.interval
            .is_some_and(|(lo, hi)| lo == metric || hi == metric)
    })
}

/// (metrics that vary between runs, metrics every run shares) — with at least two runs; the
/// shared ones, declared details included, go to the settings line.
fn split_constant(metrics: Vec<String>, rows: &[&RunRow]) -> (Vec<String>, Vec<String>) {
    if rows.len() < 2 {
        return (metrics, Vec::new());
    }
    let constant = |m: &String| {
        let values: Vec<f64> = rows
            .iter()
            .filter_map(|r| r.metrics.get(m).copied())
            .collect();
        values.len() == rows.len() && values.windows(2).all(|w| w[0] == w[1])
    };
    let (shared, varying): (Vec<String>, Vec<String>) = metrics.into_iter().partition(constant);
    (varying, shared)
}

/// One figure per metric (and facet), at most twelve.
fn metric_figures(
    metrics: &[String],
    axes: &[String],
    rows: &[&RunRow],
    catalog: &Catalog,
) -> Vec<FigureDef> {
    let layout = Layout::of(axes, rows);
    let Some(x) = layout.x.clone() else {
        return Vec::new();
    };
    let mut figures = Vec::new();
    for m in metrics {
        for facet in &layout.facets {
            let suffix: Vec<&str> = facet.values().map(String::as_str).collect();
            let name = file_stem(
                &std::iter::once(m.as_str())
                    .chain(suffix.iter().copied())
                    .collect::<Vec<_>>()
                    .join("_"),
            );
            let label = catalog.label(m);
            let caption = if suffix.is_empty() {
                label
            } else {
                let facet_text: Vec<String> =
                    facet.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{label} ({})", facet_text.join(", "))
            };
            figures.push(FigureDef {
                name,
                kind: layout.kind.into(),
                x: Some(x.clone()),
                y: m.clone(),
                series: layout.series.clone().map(Axes::One),
                filter: facet
                    .iter()
                    .map(|(k, v)| (k.clone(), toml::Value::String(v.clone())))
                    .collect(),
                caption: Some(caption),
                log_x: None,
                log_y: None,
                thresholds: BTreeMap::new(),
            });
        }
    }
    figures.truncate(12);
    figures
}

/// How the default figures use the axes: x (a numeric axis for lines, else the one with most
/// values for bars), the series, and one facet per combination of the other axes.
struct Layout {
    x: Option<String>,
    kind: &'static str,
    series: Option<String>,
    facets: Vec<BTreeMap<String, String>>,
}

impl Layout {
    fn of(axes: &[String], rows: &[&RunRow]) -> Layout {
        let distinct = |a: &String| -> Vec<String> {
            let mut seen: Vec<String> = Vec::new();
            for l in rows.iter().filter_map(|r| r.labels.get(a)) {
                if !seen.contains(l) {
                    seen.push(l.clone());
                }
            }
            seen
        };
        let values: BTreeMap<&String, Vec<String>> =
            axes.iter().map(|a| (a, distinct(a))).collect();
        let numeric =
            |a: &String| values[a].len() >= 3 && values[a].iter().all(|l| l.parse::<f64>().is_ok());
        let mut by_size: Vec<&String> = axes.iter().filter(|a| a.as_str() != "seed").collect();
        by_size.sort_by_key(|a| std::cmp::Reverse(values[a].len()));
        let x = by_size
            .iter()
            .find(|a| numeric(a))
            .or(by_size.first())
            .map(|a| a.to_string());
        let kind = if x.as_ref().is_some_and(numeric) {
            "line"
        } else {
            "bars"
        };
        let rest: Vec<&String> = by_size
            .iter()
            .filter(|a| Some(**a) != x.as_ref())
            .copied()
            .collect();
        let mut facets: Vec<BTreeMap<String, String>> = Vec::new();
        for r in rows {
            let f: BTreeMap<String, String> = rest
                .iter()
                .skip(1)
                .map(|a| (a.to_string(), r.labels.get(*a).cloned().unwrap_or_default()))
                .collect();
            if !facets.contains(&f) {
                facets.push(f);
            }
        }
        Layout {
            x,
            kind,
            series: rest.first().map(|s| s.to_string()),
            facets,
        }
    }
}

/// A figure per column of the runs' training curves (curves.jsonl).
fn curve_figures(axes: &[String], rows: &[&RunRow]) -> Vec<FigureDef> {
    if !rows
        .iter()
        .any(|r| r.run_dir.join("curves.jsonl").is_file())
    {
        return Vec::new();
    }
    curves::columns(rows)
        .into_iter()
        .map(|column| FigureDef {
            name: format!("curve_{}", file_stem(&column)),
            kind: "curves".into(),
            x: None,
            y: column,
            series: Some(Axes::Many(
                axes.iter()
                    .filter(|a| *a != "experiment")
                    .cloned()
                    .collect(),
            )),
            filter: BTreeMap::new(),
            caption: None,
            log_x: None,
            log_y: None,
            thresholds: BTreeMap::new(),
        })
        .collect()
}

/// A file name from free text: letters, digits, `.`, `_` and `-`; anything else becomes `-`.
pub fn file_stem(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Bookkeeping counters (responses, samples, errors, totals): integer-valued metrics whose name
/// says they count, and interval bounds (`*_ci_low`, `*_ci_high`); left out of default tables
/// and figures.
fn is_counter(metric: &str, rows: &[&RunRow]) -> bool {
    let leaf = metric.rsplit('.').next().unwrap_or(metric);
    let words = [
        "samples",
        "errors",
        "responses",
        "batches",
        "count",
        "total",
        "runs",
        "num_",
        "n_",
    ];
    // Interval bounds are shown with their metric, not as metrics of their own.
    if leaf.ends_with("_ci_low") || leaf.ends_with("_ci_high") {
        return true;
    }
    words
        .iter()
        .any(|w| leaf.starts_with(w) || leaf.ends_with(w))
        && rows
            .iter()
            .filter_map(|r| r.metrics.get(metric))
            .all(|v| v.fract() == 0.0)
}
