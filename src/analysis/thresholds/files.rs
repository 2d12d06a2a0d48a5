//! The files of a threshold analysis: report.json (everything), report.md (the verdict and a
//! table of thresholds) and the figure (mean score against ratio, log scale, with 95% bands and
//! r* markers).

use std::path::Path;

use anyhow::Result;

use super::study::{Estimate, Report};
use crate::report::figures::{line_chart, Labels, Line};

fn cell(e: &Estimate) -> String {
    match (e.value, e.ci) {
        (Some(v), Some((lo, hi))) => format!("{v:.3} [{lo:.3}, {hi:.3}]"),
        (Some(v), None) => format!("{v:.3}"),
        _ => "–".into(),
    }
}

/// Markdown of a report.
pub fn markdown(report: &Report) -> String {
    let mut md = format!(
        "# Thresholds of {}\n\nMetric {}, {} bootstrap resamples of questions, {} permutations, α = {} (Holm).\n\n## Verdict\n\n",
        report.experiment,
        report.options.metric,
        report.options.bootstrap,
        report.options.permutations,
        report.options.alpha
    );
    for v in &report.verdict {
        md.push_str(&format!("- {v}\n"));
    }
    md.push_str("\n## Thresholds\n\n| condition | questions | model | r* | r50 | r90 | breakpoint |\n|---|---|---|---|---|---|---|\n");
    for c in &report.conditions {
        let rows = std::iter::once((c.condition.clone(), &c.overall)).chain(
            c.by_type
                .iter()
                .map(|(t, th)| (format!("{} · {t}", c.condition), th)),
        );
        for (name, t) in rows {
            md.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {} |\n",
                t.questions,
                t.chosen.as_deref().unwrap_or("–"),
                cell(&t.r_star),
                cell(&t.r50),
                cell(&t.r90),
                cell(&t.breakpoint)
            ));
        }
    }
    md.push_str("\n## Tests\n\n| test | p | Holm-adjusted p |\n|---|---|---|\n");
    for f in &report.family {
        md.push_str(&format!("| {} | {:.4} | {:.4} |\n", f.test, f.p, f.p_holm));
    }
    md
}

/// Writes report.json, report.md and thresholds.png / .svg into `out`.
pub fn write(report: &Report, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)?;
    crate::store::atomic::write_json(&out.join("report.json"), report)?;
    crate::store::atomic::write_atomic(&out.join("report.md"), markdown(report).as_bytes())?;
    let lines: Vec<Line> = report
        .conditions
        .iter()
        .map(|c| Line {
            label: c.condition.clone(),
            points: c
                .overall
                .points
                .iter()
                .map(|p| (p.ratio, p.mean, p.ci.0, p.ci.1))
                .collect(),
        })
        .collect();
    let markers: Vec<(String, f64)> = report
        .conditions
        .iter()
        .filter_map(|c| {
            c.overall
                .r_star
                .value
                .map(|r| (format!("r* {}", c.condition), r))
        })
        .collect();
    let labels = Labels {
        title: "Quality against the fraction of tokens kept".into(),
        x: "ratio (fraction of tokens kept, log scale)".into(),
        y: format!(
            "{} (mean, 95% bootstrap band)",
            report.options.metric.to_uppercase()
        ),
    };
    line_chart(&out.join("thresholds"), &labels, &lines, true, &markers)
}
