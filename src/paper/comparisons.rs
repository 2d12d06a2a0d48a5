//! The files of a paired comparison (`[[comparison]]` in a report definition): a Markdown
//! table for report.md, a booktabs LaTeX table and CSV / Parquet of the rows
//! (`analysis::paired`).

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::definition::{filter_labels, ComparisonDef};
use super::tables::{latex_escape, write_frame};
use crate::analysis::experiment_data::ExperimentData;
use crate::analysis::paired::{compare, PairedRequest, PairedRow};

/// Bootstrap resamples of the interval of a mean difference.
const RESAMPLES: usize = 2000;

/// Computes one comparison and writes `stem`.md / .tex / .csv / .parquet; returns the
/// Markdown (with its caption) for report.md.
pub fn write(data: &[ExperimentData], c: &ComparisonDef, stem: &Path) -> Result<String> {
    let candidates = filter_labels(&c.candidates);
    let baselines = filter_labels(&c.baselines);
    let request = PairedRequest {
        metric: &c.metric,
        candidates: &candidates,
        baselines: &baselines,
        pair_on: &c.pair_on,
        resamples: RESAMPLES,
        permutations: c.permutations.unwrap_or(10_000),
    };
    let rows = compare(data, &request)?;
    let caption = c.caption.clone().unwrap_or_else(|| {
        format!(
            "Paired differences in {} (candidate − baseline) on the same questions",
            c.metric.to_uppercase()
        )
    });
    let note = format!(
        "Δ: mean over questions scored under both (a question's scores averaged over seeds); 95% percentile bootstrap interval over questions ({RESAMPLES} resamples); p: two-sided sign-flip permutation test; Holm-adjusted over the {} tests of this table.",
        rows.len()
    );
    let md = markdown(&rows, &c.metric);
    crate::store::atomic::write_atomic(&stem.with_extension("md"), md.as_bytes())?;
    let tex = latex(&rows, &c.metric, &caption, &note, &c.name);
    crate::store::atomic::write_atomic(&stem.with_extension("tex"), tex.as_bytes())?;
    write_frame(&mut frame(&rows)?, stem)?;
    Ok(format!("### {caption}\n\n{md}\n{note}\n\n"))
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// The rows as a Markdown table (significant rows after Holm in bold).
pub fn markdown(rows: &[PairedRow], metric: &str) -> String {
    let mut md = format!(
        "| candidate | baseline | questions | Δ {m} | 95% CI | p | p (Holm) |\n|---|---|---|---|---|---|---|\n",
        m = metric.to_uppercase()
    );
    for r in rows {
        let strong = |s: String| {
            if r.p_holm < 0.05 {
                format!("**{s}**")
            } else {
                s
            }
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | [{:.2}, {:.2}] | {} | {} |\n",
            r.candidate,
            r.baseline,
            r.n,
            strong(format!("{:+.2}", r.mean_difference)),
            r.ci.0,
            r.ci.1,
            p_text(r.p),
            strong(p_text(r.p_holm))
        ));
    }
    md
}

/// The rows as a LaTeX `table` (needs `\usepackage{booktabs}`).
fn latex(rows: &[PairedRow], metric: &str, caption: &str, note: &str, label: &str) -> String {
    let mut out = String::from(
        "\\begin{table}[t]\n\\centering\n\\small\n\\begin{tabular}{llrrlrr}\n\\toprule\n",
    );
    out.push_str(&format!(
        "Candidate & Baseline & $n$ & $\\Delta$ {} & 95\\% CI & $p$ & $p_\\text{{Holm}}$ \\\\\n\\midrule\n",
        latex_escape(&metric.to_uppercase())
    ));
    for r in rows {
        out.push_str(&format!(
            "{} & {} & {} & {:+.2} & [{:.2}, {:.2}] & {} & {} \\\\\n",
            latex_escape(&r.candidate),
            latex_escape(&r.baseline),
            r.n,
            r.mean_difference,
            r.ci.0,
            r.ci.1,
            latex_escape(&p_text(r.p)),
            latex_escape(&p_text(r.p_holm))
        ));
    }
    out.push_str(&format!(
        "\\bottomrule\n\\end{{tabular}}\n\\caption{{{}. {}}}\n\\label{{tab:{}}}\n\\end{{table}}\n",
        latex_escape(caption),
        latex_escape(note),
        latex_escape(label)
    ));
    out
}

fn frame(rows: &[PairedRow]) -> Result<DataFrame> {
    let text = |f: fn(&PairedRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    let num = |f: fn(&PairedRow) -> f64| rows.iter().map(f).collect::<Vec<_>>();
    Ok(df!(
        "candidate" => text(|r| &r.candidate),
        "baseline" => text(|r| &r.baseline),
        "questions" => rows.iter().map(|r| r.n as u64).collect::<Vec<_>>(),
        "mean_difference" => num(|r| r.mean_difference),
        "ci_low" => num(|r| r.ci.0),
        "ci_high" => num(|r| r.ci.1),
        "p" => num(|r| r.p),
        "p_holm" => num(|r| r.p_holm),
    )?)
}
