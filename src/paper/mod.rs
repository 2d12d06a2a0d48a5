//! `runner report`: tables, figures and a report.md for one or several experiments, from a
//! report definition (`analysis/*.toml`) or a default one derived from the experiments.

pub mod curves;
pub mod definition;
pub mod figures;
pub mod tables;
pub mod thresholds;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::analysis::aggregate::{aggregate, matches, raw_frame, Aggregate};
use crate::analysis::experiment_data::{ExperimentData, RunRow};
use crate::metrics::direction::{self, Better};
use crate::metrics::intervals::CiMethod;
use definition::{filter_labels, Axes, Definition, FigureDef, TableDef};
use figures::{Labels, Line};

/// What to report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Experiment directories.
    pub dirs: Vec<PathBuf>,
    /// Output directory (default: `<first experiment>/report`).
    pub out: Option<PathBuf>,
    /// Axes to group by (default: the varying axes).
    pub group_by: Option<Vec<String>>,
    /// Metrics (default: every top-level numeric metric).
    pub metrics: Option<Vec<String>>,
    /// A report definition.
    pub definition: Option<PathBuf>,
    /// Digits in tables.
    pub precision: Option<usize>,
    /// Bootstrap intervals with this many resamples instead of t intervals.
    pub bootstrap: Option<usize>,
}

/// Everything written.
#[derive(Debug, Clone)]
pub struct ReportOutput {
    /// The report directory.
    pub dir: PathBuf,
    /// Files written, relative to `dir`.
    pub files: Vec<String>,
    /// Warnings (figures that could not be drawn, ...).
    pub warnings: Vec<String>,
}

/// Builds the report.
pub fn build(opts: &ReportOptions) -> Result<ReportOutput> {
    if opts.dirs.is_empty() {
        bail!("no experiment directory given");
    }
    let data: Vec<ExperimentData> = opts
        .dirs
        .iter()
        .map(|d| ExperimentData::load(d))
        .collect::<Result<_>>()?;
    let mut def = match &opts.definition {
        Some(p) => Definition::load(p)?,
        None => default_definition(&data, opts),
    };
    if let Some(p) = opts.precision {
        def.precision = Some(p);
    }
    if let Some(b) = opts.bootstrap {
        def.ci = Some("bootstrap".into());
        def.bootstrap = Some(b);
    }
    let method = match def.ci.as_deref() {
        None | Some("t") => CiMethod::T,
        Some("bootstrap") => CiMethod::Bootstrap(def.bootstrap.unwrap_or(2000)),
        Some(other) => bail!("ci = \"{other}\": use \"t\" or \"bootstrap\""),
    };
    let dir = opts
        .out
        .clone()
        .unwrap_or_else(|| opts.dirs[0].join("report"));
    for sub in ["tables", "figures", "data"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("cannot create {}", dir.join(sub).display()))?;
    }
    let mut out = ReportOutput {
        dir: dir.clone(),
        files: Vec::new(),
        warnings: Vec::new(),
    };
    let default_axes = default_axes(&data);
    let better = |m: &str| {
        def.better
            .get(m)
            .and_then(|b| direction::parse(b))
            .unwrap_or_else(|| direction::guess(m))
    };

    // Raw per-run data.
    let all_metrics = metric_names(&data, false);
    let rows: Vec<&RunRow> = data.iter().flat_map(|e| &e.rows).collect();
    let mut raw = raw_frame(&rows, &all_config_keys(&data), &all_metrics)?;
    tables::write_frame(&mut raw, &dir.join("data/raw"))?;
    out.files
        .extend(["data/raw.csv".to_string(), "data/raw.parquet".to_string()]);

    let mut md_tables = String::new();
    for t in &def.table {
        let axes = t.group_by.clone().unwrap_or_else(|| default_axes.clone());
        check_keys(&data, &axes, &t.metrics, &t.name)?;
        let agg = aggregate(&data, &axes, &t.metrics, &filter_labels(&t.filter), method)?;
        let style = tables::TableStyle {
            precision: t.precision.or(def.precision).unwrap_or(3),
            better: t.metrics.iter().map(|m| better(m)).collect(),
            caption: t
                .caption
                .clone()
                .unwrap_or_else(|| format!("{} by {}", t.metrics.join(", "), axes.join(" × "))),
            label: t.name.clone(),
        };
        let stem = dir.join("tables").join(&t.name);
        let md = tables::markdown(&agg, &style);
        crate::store::atomic::write_atomic(&stem.with_extension("md"), md.as_bytes())?;
        crate::store::atomic::write_atomic(
            &stem.with_extension("tex"),
            tables::latex(&agg, &style).as_bytes(),
        )?;
        tables::write_frame(&mut agg.frame()?, &stem)?;
        for ext in ["md", "tex", "csv", "parquet"] {
            out.files.push(format!("tables/{}.{ext}", t.name));
        }
        md_tables.push_str(&format!(
            "### {}\n\n{md}\nFiles: `tables/{n}.tex`, `tables/{n}.csv`, `tables/{n}.parquet`\n\n",
            style.caption,
            n = t.name
        ));
    }

    let mut md_figures = String::new();
    for f in &def.figure {
        let stem = dir.join("figures").join(&f.name);
        match draw_figure(&data, f, &default_axes, method, &stem, &better) {
            Ok(()) => {
                out.files.push(format!("figures/{}.png", f.name));
                out.files.push(format!("figures/{}.svg", f.name));
                let caption = f.caption.clone().unwrap_or_else(|| f.name.clone());
                md_figures.push_str(&format!(
                    "![{caption}](figures/{}.png)\n\n*{caption}* ([SVG](figures/{}.svg))\n\n",
                    f.name, f.name
                ));
            }
            Err(e) => out.warnings.push(format!("figure `{}`: {e:#}", f.name)),
        }
    }

    let md = document(&data, &def, method, &md_tables, &md_figures);
    crate::store::atomic::write_atomic(&dir.join("report.md"), md.as_bytes())?;
    out.files.push("report.md".into());
    Ok(out)
}

/// Varying axes of the experiments (without seed); `experiment` first when several.
fn default_axes(data: &[ExperimentData]) -> Vec<String> {
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

fn all_config_keys(data: &[ExperimentData]) -> Vec<String> {
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
fn metric_names(data: &[ExperimentData], top_level_only: bool) -> Vec<String> {
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

fn check_keys(
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
        for r in &e.plan.runs {
            known_axes.extend(r.config.keys().cloned());
        }
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

/// The definition used without `--definition`: one table of the metrics, and a figure for each
/// non-count metric (at most six): lines over a numeric axis, else grouped bars.
fn default_definition(data: &[ExperimentData], opts: &ReportOptions) -> Definition {
    let axes = opts.group_by.clone().unwrap_or_else(|| default_axes(data));
    let metrics = opts.metrics.clone().unwrap_or_else(|| {
        let top = metric_names(data, true);
        if top.is_empty() {
            metric_names(data, false)
        } else {
            top
        }
    });
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
    let rows: Vec<&RunRow> = data.iter().flat_map(|e| &e.rows).collect();
    // Measured metrics: not bookkeeping counters nor interval bounds.
    let measured: Vec<String> = metrics
        .iter()
        .filter(|m| !is_counter(m, &rows))
        .cloned()
        .collect();
    let table_metrics = if opts.metrics.is_some() || measured.is_empty() {
        metrics.clone()
    } else {
        measured.clone()
    };
    def.table.push(TableDef {
        name: "results".into(),
        caption: None,
        metrics: table_metrics,
        group_by: Some(axes.clone()),
        filter: BTreeMap::new(),
        precision: None,
    });
    let distinct = |a: &String| -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for r in &rows {
            if let Some(l) = r.labels.get(a) {
                if !seen.contains(l) {
                    seen.push(l.clone());
                }
            }
        }
        seen
    };
    let values: BTreeMap<&String, Vec<String>> = axes.iter().map(|a| (a, distinct(a))).collect();
    let numeric = |a: &String| {
        let d = &values[a];
        d.len() >= 3 && d.iter().all(|l| l.parse::<f64>().is_ok())
    };
    // x: a numeric axis (lines) or the axis with most values (bars); series: the next largest;
    // every further axis makes one figure per value (facets), so no figure averages over an axis.
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
    let series = rest.first().map(|s| s.to_string());
    let facet_axes: Vec<&String> = rest.iter().skip(1).copied().collect();
    let mut facets: Vec<BTreeMap<String, String>> = Vec::new();
    for r in &rows {
        let f: BTreeMap<String, String> = facet_axes
            .iter()
            .map(|a| (a.to_string(), r.labels.get(*a).cloned().unwrap_or_default()))
            .collect();
        if !facets.contains(&f) {
            facets.push(f);
        }
    }
    if let Some(x) = x {
        for m in &measured {
            for facet in &facets {
                let suffix: Vec<&str> = facet.values().map(String::as_str).collect();
                let name = file_stem(
                    &[m.as_str()]
                        .into_iter()
                        .chain(suffix.iter().copied())
                        .collect::<Vec<_>>()
                        .join("_"),
                );
                let caption = if suffix.is_empty() {
                    m.clone()
                } else {
                    format!(
                        "{m} ({})",
                        facet
                            .iter()
                            .map(|(k, v)| format!("{k} = {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                def.figure.push(FigureDef {
                    name,
                    kind: kind.into(),
                    x: Some(x.clone()),
                    y: m.clone(),
                    series: series.clone().map(Axes::One),
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
        def.figure.truncate(12);
    }
    if rows
        .iter()
        .any(|r| r.run_dir.join("curves.jsonl").is_file())
    {
        for column in curves::columns(&rows) {
            def.figure.push(FigureDef {
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
            });
        }
    }
    def
}

/// A file name from free text: letters, digits, `.`, `_` and `-`; anything else becomes `-`.
fn file_stem(text: &str) -> String {
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

fn draw_figure(
    data: &[ExperimentData],
    f: &FigureDef,
    default_axes: &[String],
    method: CiMethod,
    stem: &Path,
    better: &dyn Fn(&str) -> Better,
) -> Result<()> {
    let filter = filter_labels(&f.filter);
    let series_axes: Vec<String> = f.series.as_ref().map(Axes::list).unwrap_or_default();
    let caption = f.caption.clone().unwrap_or_else(|| f.y.clone());
    match f.kind.as_str() {
        "line" | "bars" => {
            let x = f.x.clone().unwrap_or_else(|| default_axes[0].clone());
            let mut axes = vec![x.clone()];
            axes.extend(series_axes.iter().filter(|s| **s != x).cloned());
            check_keys(data, &axes, std::slice::from_ref(&f.y), &f.name)?;
            let agg = aggregate(data, &axes, std::slice::from_ref(&f.y), &filter, method)?;
            let labels = Labels {
                title: caption,
                x: x.clone(),
                y: f.y.clone(),
            };
            if f.kind == "line" {
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
            } else {
                let (categories, series, values) = bars_of(&agg);
                figures::bar_chart(stem, &labels, &categories, &series, &values)
            }
        }
        "scatter" => {
            let x = f.x.clone().context("a scatter needs `x` (a metric)")?;
            let metrics = vec![x.clone(), f.y.clone()];
            let axes = if series_axes.is_empty() {
                default_axes.to_vec()
            } else {
                series_axes
            };
            check_keys(data, &axes, &metrics, &f.name)?;
            let agg = aggregate(data, &axes, &metrics, &filter, method)?;
            let points: Vec<(String, f64, f64)> = agg
                .groups
                .iter()
                .filter_map(|g| Some((g.keys.join(" "), g.metrics[0]?.mean, g.metrics[1]?.mean)))
                .collect();
            let labels = Labels {
                title: caption,
                x: x.clone(),
                y: f.y.clone(),
            };
            let (lo, hi) = points
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.2), b.max(p.2)));
            let log_y = f.log_y.unwrap_or(lo > 0.0 && hi / lo >= 100.0);
            figures::scatter_chart(stem, &labels, &points, better(&x), better(&f.y), log_y)
        }
        "curves" => {
            let rows: Vec<&RunRow> = data
                .iter()
                .flat_map(|e| &e.rows)
                .filter(|r| matches(&r.labels, &filter))
                .collect();
            let lines = curves::lines(&rows, f.x.as_deref(), &f.y, &series_axes)?;
            let labels = Labels {
                title: caption,
                x: f.x.clone().unwrap_or_else(|| curves::x_column(&rows)),
                y: f.y.clone(),
            };
            figures::line_chart(stem, &labels, &lines, f.log_x.unwrap_or(false), &[])
        }
        other => bail!("unknown figure kind `{other}` (line, bars, scatter, curves)"),
    }
}

/// Lines of an aggregate whose first axis is numeric: one per combination of the others.
fn lines_of(agg: &Aggregate) -> Result<Vec<Line>> {
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
fn bars_of(agg: &Aggregate) -> (Vec<String>, Vec<String>, BarValues) {
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

/// report.md: description, experiments, counts, compute time, versions, tables, figures, spec.
fn document(
    data: &[ExperimentData],
    def: &Definition,
    method: CiMethod,
    tables_md: &str,
    figures_md: &str,
) -> String {
    let mut md = format!(
        "# {}\n\n",
        def.title.clone().unwrap_or_else(|| "Report".into())
    );
    if let Some(d) = &def.description {
        md.push_str(&format!("{d}\n\n"));
    }
    md.push_str("## Experiments\n\n");
    for e in data {
        let incomplete = e.incomplete();
        let planned = e.plan.runs.len();
        md.push_str(&format!(
            "- **{}** (`{}`, task `{}`): {}\n",
            e.meta.name,
            e.dir.root.display(),
            e.plan.task,
            e.meta.description
        ));
        md.push_str(&format!(
            "  - {} of {planned} runs completed{}; compute time {:.1} s\n",
            e.rows.len(),
            if incomplete.is_empty() {
                String::new()
            } else {
                format!(" (**partial: {} not complete**)", incomplete.len())
            },
            e.compute_seconds()
        ));
        md.push_str(&format!(
            "  - runner {}; git {}\n",
            if e.versions.is_empty() {
                e.meta.runner_version.clone()
            } else {
                e.versions.join(", ")
            },
            if e.commits.is_empty() {
                "unknown (not a git working tree)".into()
            } else {
                e.commits.join(", ")
            }
        ));
    }
    md.push_str(&format!(
        "\nReport made by runner {} at {}. Intervals: {}.\n\n",
        crate::store::provenance::RUNNER_VERSION,
        crate::store::provenance::now_rfc3339(),
        tables::interval_note(method)
    ));
    if !tables_md.is_empty() {
        md.push_str(&format!("## Tables\n\n{tables_md}"));
    }
    if !figures_md.is_empty() {
        md.push_str(&format!("## Figures\n\n{figures_md}"));
    }
    let missing: Vec<String> = data
        .iter()
        .flat_map(|e| {
            e.incomplete()
                .into_iter()
                .map(move |(r, s)| format!("- {} / {}: {s}", e.meta.name, r.name))
        })
        .collect();
    if !missing.is_empty() {
        md.push_str(&format!(
            "## Missing or failed runs ({})\n\n",
            missing.len()
        ));
        for line in missing.iter().take(100) {
            md.push_str(&format!("{line}\n"));
        }
        if missing.len() > 100 {
            md.push_str(&format!("- ... and {} more\n", missing.len() - 100));
        }
        md.push('\n');
    }
    for e in data {
        md.push_str(&format!(
            "## Spec of {}\n\n```toml\n{}```\n\n",
            e.meta.name, e.spec_text
        ));
    }
    md
}
