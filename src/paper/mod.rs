//! The paper report of `runner report`: tables, figures and a report.md for one or several
//! experiments, from a report definition (`analysis/*.toml`) or a default one derived from the
//! experiments and their task kinds' declared metrics. (The terminal display of launches is
//! `console`.)

pub mod catalog;
pub mod comparisons;
pub mod curves;
pub mod default_definition;
pub mod definition;
pub mod document;
pub mod draw;
pub mod figures;
pub mod keys;
pub mod options;
pub mod tables;
pub mod thresholds;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::analysis::aggregate::{aggregate, raw_frame, Request};
use crate::analysis::experiment_data::{ExperimentData, RunRow};
use crate::metrics::intervals::CiMethod;
use catalog::Catalog;
use definition::{filter_labels, Definition, TableDef};
use keys::{all_config_keys, check_keys, default_axes, metric_names};
pub use options::ReportOptions;

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
    let (def, method, catalog) = resolve(&data, opts)?;
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
    let rows: Vec<&RunRow> = data.iter().flat_map(|e| &e.rows).collect();
    let mixed = crate::analysis::artifact_contents::mixed_contents(rows.iter().copied());
    out.warnings.extend(mixed.iter().cloned());
    out.warnings
        .extend(crate::analysis::artifact_contents::mixed_cpus(
            rows.iter().copied(),
        ));
    let mut raw = raw_frame(&rows, &all_config_keys(&data), &metric_names(&data, false))?;
    tables::write_frame(&mut raw, &dir.join("data/raw"))?;
    out.files
        .extend(["data/raw.csv".to_string(), "data/raw.parquet".to_string()]);
    let default_axes = default_axes(&data);
    let report = Report {
        data: &data,
        def: &def,
        method,
        catalog: &catalog,
        default_axes: &default_axes,
        dir: &dir,
    };
    let mut md_tables = report.tables(&mut out)?;
    md_tables.push_str(&report.comparisons(&mut out)?);
    let md_figures = report.figures(&mut out);
    let mut md = document::document(&data, &def, method, &md_tables, &md_figures);
    for w in &mixed {
        md.insert_str(
            md.find("## Experiments").unwrap_or(0),
            &format!("> **Warning:** {w}.\n\n"),
        );
    }
    crate::store::atomic::write_atomic(&dir.join("report.md"), md.as_bytes())?;
    out.files.push("report.md".into());
    Ok(out)
}

/// The definition (given or default), the interval method and the metric catalog.
fn resolve(
    data: &[ExperimentData],
    opts: &ReportOptions,
) -> Result<(Definition, CiMethod, Catalog)> {
    let mut def = match &opts.definition {
        Some(p) => Definition::load(p)?,
        None => Definition::default(),
    };
    def.better.extend(opts.better.clone());
    for (metric, word) in &def.better {
        if crate::metrics::direction::parse(word).is_none() {
            bail!("better direction of `{metric}`: `{word}`; use \"higher\" or \"lower\"");
        }
    }
    let catalog = Catalog::new(data, &def.better);
    if opts.definition.is_none() {
        let better = std::mem::take(&mut def.better);
        def = default_definition::default_definition(data, opts, &catalog);
        def.better = better;
    }
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
    Ok((def, method, catalog))
}

/// One report being written.
struct Report<'a> {
    data: &'a [ExperimentData],
    def: &'a Definition,
    method: CiMethod,
    catalog: &'a Catalog,
    default_axes: &'a [String],
    dir: &'a Path,
}

impl Report<'_> {
    /// Writes every table (md, tex, csv, parquet); returns their Markdown for report.md.
    fn tables(&self, out: &mut ReportOutput) -> Result<String> {
        let mut md_tables = String::new();
        for t in &self.def.table {
            let axes = t
                .group_by
                .clone()
                .unwrap_or_else(|| self.default_axes.to_vec());
            check_keys(self.data, &axes, &t.metrics, &t.name)?;
            let filter = filter_labels(&t.filter);
            let run_interval = |m: &str| self.catalog.interval(m);
            let request = Request {
                axes: &axes,
                metrics: &t.metrics,
                filter: &filter,
                method: self.method,
                run_interval: &run_interval,
            };
            let agg = aggregate(self.data, &request)?;
            let style = self.style(t, &axes);
            let stem = self.dir.join("tables").join(&t.name);
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
        Ok(md_tables)
    }

    /// Writes every paired comparison; returns their Markdown for report.md.
    fn comparisons(&self, out: &mut ReportOutput) -> Result<String> {
        let mut md = String::new();
        for c in &self.def.comparison {
            let stem = self.dir.join("tables").join(&c.name);
            md.push_str(&comparisons::write(self.data, c, &stem)?);
            for ext in ["md", "tex", "csv", "parquet"] {
                out.files.push(format!("tables/{}.{ext}", c.name));
            }
        }
        Ok(md)
    }

    /// How a table is written: labels, directions, caption and the shared settings.
    fn style(&self, t: &TableDef, axes: &[String]) -> tables::TableStyle {
        let labels: Vec<String> = t.metrics.iter().map(|m| self.catalog.label(m)).collect();
        tables::TableStyle {
            precision: t.precision.or(self.def.precision).unwrap_or(3),
            better: t.metrics.iter().map(|m| self.catalog.better(m)).collect(),
            caption: t
                .caption
                .clone()
                .unwrap_or_else(|| format!("{} by {}", labels.join(", "), axes.join(" × "))),
            labels,
            label: t.name.clone(),
            settings: self.settings(&t.settings),
        }
    }

    /// "questions = 1000, epochs = 2": the values the runs share (a range where they differ).
    fn settings(&self, metrics: &[String]) -> Option<String> {
        let parts: Vec<String> = metrics
            .iter()
            .filter_map(|m| {
                let values: Vec<f64> = self
                    .data
                    .iter()
                    .flat_map(|e| &e.rows)
                    .filter_map(|r| r.metrics.get(m).copied())
                    .collect();
                let (lo, hi) = values
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
                let label = self.catalog.label(m);
                match values.len() {
                    0 => None,
                    _ if lo == hi => Some(format!("{label} = {}", tables::setting(lo))),
                    _ => Some(format!(
                        "{label} = {}–{}",
                        tables::setting(lo),
                        tables::setting(hi)
                    )),
                }
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// Draws every figure; returns their Markdown for report.md (failures become warnings).
    fn figures(&self, out: &mut ReportOutput) -> String {
        let ctx = draw::FigureContext {
            data: self.data,
            default_axes: self.default_axes,
            method: self.method,
            catalog: self.catalog,
        };
        let mut md_figures = String::new();
        for f in &self.def.figure {
            let stem = self.dir.join("figures").join(&f.name);
            match draw::draw_figure(&ctx, f, &stem) {
                Ok(()) => {
                    out.files.push(format!("figures/{}.png", f.name));
                    out.files.push(format!("figures/{}.svg", f.name));
                    let caption = f
                        .caption
                        .clone()
                        .unwrap_or_else(|| self.catalog.label(&f.y));
                    md_figures.push_str(&format!(
                        "![{caption}](figures/{n}.png)\n\n*{caption}* ([SVG](figures/{n}.svg))\n\n",
                        n = f.name
                    ));
                }
                Err(e) => out.warnings.push(format!("figure `{}`: {e:#}", f.name)),
            }
        }
        md_figures
    }
}
