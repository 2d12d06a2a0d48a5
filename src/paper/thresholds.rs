//! The files of a threshold analysis (`analysis::thresholds`): report.json (everything), report.md (the verdict and a
//! table of thresholds), thresholds.tex (the thresholds as a booktabs table for a paper) and
//! the figure (mean score against ratio, log scale, with 95% bands and r* markers).

use std::path::Path;

use anyhow::Result;

use super::figures::{line_chart, Labels, Line};
use super::tables::latex_escape;
use crate::analysis::thresholds::report::{Estimate, Report, Thresholds};

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
    md.push_str(&format!(
        "\n## Tests\n\nPermutation p-values are at least 1/({} + 1); Holm multiplies the smallest by the number of tests.\n\n| test | p | Holm-adjusted p |\n|---|---|---|\n",
        report.options.permutations
    ));
    for f in &report.family {
        md.push_str(&format!("| {} | {:.4} | {:.4} |\n", f.test, f.p, f.p_holm));
    }
    md
}

fn tex_cell(e: &Estimate) -> String {
    match (e.value, e.ci) {
        (Some(v), Some((lo, hi))) => format!("{v:.2} {{\\scriptsize[{lo:.2}, {hi:.2}]}}"),
        (Some(v), None) => format!("{v:.2}"),
        _ => "--".into(),
    }
}

/// The thresholds of every condition as a LaTeX table (needs `\usepackage{booktabs}`).
pub fn latex(report: &Report) -> String {
    let mut out = String::from(
        "\\begin{table}[t]\n\\centering\n\\small\n\\begin{tabular}{lrlrrrr}\n\\toprule\n",
    );
    out.push_str(
        "Algorithm & $n$ & Model & $r^*$ & $r_{50}$ & $r_{90}$ & Breakpoint \\\\\n\\midrule\n",
    );
    for c in &report.conditions {
        let t = &c.overall;
        out.push_str(&format!(
            "{} & {} & {} & {} & {} & {} & {} \\\\\n",
            latex_escape(&c.condition),
            t.questions,
            latex_escape(t.chosen.as_deref().unwrap_or("--")),
            tex_cell(&t.r_star),
            tex_cell(&t.r50),
            tex_cell(&t.r90),
            tex_cell(&t.breakpoint)
        ));
    }
    out.push_str("\\bottomrule\n\\end{tabular}\n");
    let homogeneity =
        match &report.homogeneity {
            Some(h) => format!(
            " Homogeneity of $\\ln r^*$: Cochran's $Q = {:.2}$, df $= {}$, {}, $I^2 = {:.0}\\%$.",
            h.q,
            h.df,
            if h.p < 0.001 { "$p < 0.001$".to_string() } else { format!("$p = {:.3}$", h.p) },
            100.0 * h.i2
        ),
            None => String::new(),
        };
    out.push_str(&format!(
        "\\caption{{Threshold ratios (fraction of tokens kept) by algorithm, {} with 95\\% item-bootstrap intervals ($B = {}$). $r^*$: onset of collapse of the model chosen by AIC ($r_{{90}}$ of the log-logistic curve or the segmented breakpoint); $r_{{50}}$, $r_{{90}}$: ratios keeping 50\\%/90\\% of the quality at ratio 1.{homogeneity}}}\n\\label{{tab:thresholds}}\n\\end{{table}}\n",
        latex_escape(&report.options.metric.to_uppercase()),
        report.options.bootstrap
    ));
    out
}

/// The chosen model's curve over the swept ratios (60 points, log-spaced); empty when the
/// chosen model is the constant or nothing was fitted.
fn fitted_curve(t: &Thresholds) -> Vec<(f64, f64)> {
    let (Some(lo), Some(hi)) = (t.points.first(), t.points.last()) else {
        return Vec::new();
    };
    let (a, b) = (lo.ratio.ln(), hi.ratio.ln());
    let at = |r: f64| match (t.chosen.as_deref(), t.log_logistic, t.segmented) {
        (Some("log_logistic"), Some(ll), _) => Some(ll.at(r)),
        (Some("segmented"), _, Some(s)) => {
            let x = r.ln() - s.breakpoint.ln();
            Some(
                s.a + if x < 0.0 {
                    s.slope_below * x
                } else {
                    s.slope_above * x
                },
            )
        }
        _ => None,
    };
    (0..60)
        .filter_map(|k| {
            let r = (a + (b - a) * f64::from(k) / 59.0).exp();
            at(r).map(|y| (r, y))
        })
        .collect()
}

/// Writes report.json, report.md, thresholds.tex and thresholds.png / .svg into `out`
/// (`DIR/analysis/thresholds` of the experiment).
pub fn write(report: &Report, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)?;
    crate::store::atomic::write_json(&out.join("report.json"), report)?;
    crate::store::atomic::write_atomic(&out.join("report.md"), markdown(report).as_bytes())?;
    crate::store::atomic::write_atomic(&out.join("thresholds.tex"), latex(report).as_bytes())?;
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
            fit: fitted_curve(&c.overall),
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
