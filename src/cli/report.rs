//! `runner report DIR...`: paper-ready tables, figures and report.md.

use std::path::PathBuf;

use crate::error::ExitCode;
use anyhow::Result;

use crate::paper::{build, ReportOptions};

/// Arguments of `runner report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Experiment directories (several are compared side by side).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Report definition (analysis/*.toml); default: one table and a figure per metric.
    #[arg(short, long)]
    pub definition: Option<PathBuf>,
    /// Output directory (default: <first experiment>/report).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Axes to group by, comma-separated (default: the axes that vary).
    #[arg(long, value_delimiter = ',')]
    pub group_by: Option<Vec<String>>,
    /// Metrics, comma-separated (default: every top-level numeric metric).
    #[arg(long, value_delimiter = ',')]
    pub metrics: Option<Vec<String>>,
    /// Digits after the decimal point in tables.
    #[arg(long)]
    pub precision: Option<usize>,
    /// Bootstrap intervals with this many resamples instead of t intervals.
    #[arg(long)]
    pub bootstrap: Option<usize>,
    /// Better directions of metrics the task kind does not declare, e.g.
    /// `--better score=higher,loss=lower` (only metrics with a known direction get a bold best).
    #[arg(long, value_delimiter = ',', value_parser = parse_better)]
    pub better: Vec<(String, String)>,
}

fn parse_better(text: &str) -> Result<(String, String), String> {
    let (metric, word) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: write METRIC=higher or METRIC=lower"))?;
    if crate::metrics::direction::parse(word).is_none() {
        return Err(format!("`{text}`: the direction is `higher` or `lower`"));
    }
    Ok((metric.to_string(), word.to_string()))
}

/// `runner report`.
pub fn report(args: ReportArgs) -> Result<ExitCode> {
    let out = build(&ReportOptions {
        dirs: args.dirs,
        out: args.out,
        group_by: args.group_by,
        metrics: args.metrics,
        definition: args.definition,
        precision: args.precision,
        bootstrap: args.bootstrap,
        better: args.better.into_iter().collect(),
    })?;
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "Report written to {} ({} files):",
        out.dir.display(),
        out.files.len()
    );
    for f in &out.files {
        println!("  {f}");
    }
    Ok(ExitCode::Complete)
}
