//! Tables of an aggregate: Markdown, LaTeX (booktabs, the best value of each column whose
//! better direction is known in bold, ± 95% interval half-widths, metric labels with units,
//! the settings every run shares under the table), CSV and Parquet (metric keys, for tools).

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use crate::analysis::aggregate::Aggregate;
use crate::metrics::direction::Better;
use crate::metrics::intervals::{CiMethod, MetricStats};

/// Formatting choices of one table.
#[derive(Debug, Clone)]
pub struct TableStyle {
    /// Digits after the decimal point.
    pub precision: usize,
    /// Better direction per metric (same order as the aggregate's metrics), if known.
    pub better: Vec<Option<Better>>,
    /// Column label per metric ("F1 (%)").
    pub labels: Vec<String>,
    /// What every run shares ("questions = 1000, epochs = 2"), said under the table.
    pub settings: Option<String>,
    /// Caption.
    pub caption: String,
    /// Label for LaTeX `\label{tab:...}`.
    pub label: String,
}

/// The groups shown best per metric: the best mean and every group whose mean prints the same
/// at the table's precision (ties are all bold).
fn best(agg: &Aggregate, style: &TableStyle) -> Vec<Vec<usize>> {
    (0..agg.metrics.len())
        .map(|m| {
            let means: Vec<(usize, f64)> = agg
                .groups
                .iter()
                .enumerate()
                .filter_map(|(g, group)| group.metrics[m].map(|s| (g, s.mean)))
                .filter(|(_, v)| v.is_finite())
                .collect();
            let values = means.iter().map(|&(_, v)| v);
            let top = match style.better[m] {
                Some(Better::Higher) => values.max_by(f64::total_cmp),
                Some(Better::Lower) => values.min_by(f64::total_cmp),
                None => None,
            };
            let Some(top) = top.map(|v| number(v, style.precision)) else {
                return Vec::new();
            };
            means
                .iter()
                .filter(|&&(_, v)| number(v, style.precision) == top)
                .map(|&(g, _)| g)
                .collect()
        })
        .collect()
}

/// A number with `precision` decimals, or three significant digits when that would show a
/// non-zero value as zero (times in seconds, small rates).
pub fn number(v: f64, precision: usize) -> String {
    if v != 0.0 && v.is_finite() && v.abs() < 0.5 * 10f64.powi(-(precision as i32)) {
        return format!("{v:.2e}");
    }
    format!("{v:.precision$}")
}

fn cell(stats: Option<MetricStats>, precision: usize, pm: &str) -> (String, String) {
    match stats {
        None => ("—".into(), String::new()),
        Some(s) if !s.half_width().is_finite() => (number(s.mean, precision), String::new()),
        Some(s) => (
            number(s.mean, precision),
            format!("{pm}{}", number(s.half_width(), precision)),
        ),
    }
}

/// A shared setting's value: an integer with thousands separators, else significant digits.
pub fn setting(v: f64) -> String {
    if v.fract() != 0.0 || v.abs() >= 1e15 {
        return super::figures::format_sig(v);
    }
    let digits = format!("{}", v.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 {
        out.insert(0, '-');
    }
    out
}

fn count(done: usize, planned: usize) -> String {
    if done == planned {
        done.to_string()
    } else {
        format!("{done}/{planned}")
    }
}

/// What the ± means, for captions.
pub fn interval_note(method: CiMethod) -> String {
    match method {
        CiMethod::T => "mean ± half-width of the 95% t interval over seeds".into(),
        CiMethod::Bootstrap(b) => {
            format!("mean ± half-width of the 95% bootstrap interval over seeds ({b} resamples)")
        }
    }
}

/// What the ± means for this aggregate (single runs show their own interval).
fn aggregate_note(agg: &Aggregate) -> String {
    let mut note = interval_note(agg.method);
    if agg.run_intervals {
        note.push_str("; a configuration with one run shows the run's own 95% interval");
    }
    note
}

/// The caption's closing sentences: intervals, shared settings, partial results.
fn caption_tail(agg: &Aggregate, style: &TableStyle) -> String {
    let mut tail = format!("{}.", aggregate_note(agg));
    if let Some(settings) = &style.settings {
        tail.push_str(&format!(" Every run: {settings}."));
    }
    tail
}

/// A metric's column header: its label and the better direction's arrow, when known.
fn header(style: &TableStyle, m: usize, up: &str, down: &str) -> String {
    match style.better[m] {
        Some(Better::Higher) => format!("{} {up}", style.labels[m]),
        Some(Better::Lower) => format!("{} {down}", style.labels[m]),
        None => style.labels[m].clone(),
    }
}

/// A note for partial results, or nothing.
pub fn partial_note(agg: &Aggregate) -> Option<String> {
    let planned: usize = agg.groups.iter().map(|g| g.planned).sum();
    let done: usize = agg.groups.iter().map(|g| g.completed).sum();
    (done < planned).then(|| format!("PARTIAL: {done} of {planned} planned runs completed; n shows completed/planned where runs are missing"))
}

/// The table as Markdown.
pub fn markdown(agg: &Aggregate, style: &TableStyle) -> String {
    let best = best(agg, style);
    let mut out = String::new();
    let mut header: Vec<String> = agg.axes.clone();
    header.push("n".into());
    header.extend((0..agg.metrics.len()).map(|m| self::header(style, m, "↑", "↓")));
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    let aligns: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, _)| if i < agg.axes.len() { ":--" } else { "--:" })
        .collect();
    out.push_str(&format!("|{}|\n", aligns.join("|")));
    for (g, group) in agg.groups.iter().enumerate() {
        let mut row = group.keys.clone();
        row.push(count(group.completed, group.planned));
        for (m, stats) in group.metrics.iter().enumerate() {
            let (mean, pm) = cell(*stats, style.precision, " ± ");
            let mean = if best[m].contains(&g) {
                format!("**{mean}**")
            } else {
                mean
            };
            row.push(format!("{mean}{pm}"));
        }
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push_str(&format!(
        "\n{}: {}",
        style.caption,
        caption_tail(agg, style)
    ));
    if let Some(note) = partial_note(agg) {
        out.push_str(&format!(" **{note}.**"));
    }
    out.push('\n');
    out
}

/// Escapes LaTeX special characters.
pub fn latex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '×' => out.push_str("$\\times$"),
            '^' => out.push_str("\\textasciicircum{}"),
            _ => out.push(c),
        }
    }
    out
}

/// The table as a LaTeX `table` environment (needs `\usepackage{booktabs}`).
pub fn latex(agg: &Aggregate, style: &TableStyle) -> String {
    let best = best(agg, style);
    let mut out = String::new();
    out.push_str("\\begin{table}[t]\n\\centering\n\\small\n");
    let cols = format!(
        "{}r{}",
        "l".repeat(agg.axes.len()),
        "r".repeat(agg.metrics.len())
    );
    out.push_str(&format!("\\begin{{tabular}}{{{cols}}}\n\\toprule\n"));
    let mut header: Vec<String> = agg.axes.iter().map(|a| latex_escape(a)).collect();
    header.push("$n$".into());
    for m in 0..agg.metrics.len() {
        let text = self::header(style, m, "\u{2191}", "\u{2193}");
        header.push(
            latex_escape(&text)
                .replace('\u{2191}', "$\\uparrow$")
                .replace('\u{2193}', "$\\downarrow$"),
        );
    }
    out.push_str(&format!("{} \\\\\n\\midrule\n", header.join(" & ")));
    for (g, group) in agg.groups.iter().enumerate() {
        let mut row: Vec<String> = group.keys.iter().map(|k| latex_escape(k)).collect();
        row.push(count(group.completed, group.planned));
        for (m, stats) in group.metrics.iter().enumerate() {
            let (mean, pm) = cell(*stats, style.precision, "");
            let mean = if mean == "—" {
                "--".to_string()
            } else {
                mean
            };
            let mean = if best[m].contains(&g) {
                format!("\\textbf{{{mean}}}")
            } else {
                mean
            };
            let pm = if pm.is_empty() {
                String::new()
            } else {
                format!(" {{\\scriptsize$\\pm${pm}}}")
            };
            row.push(format!("{mean}{pm}"));
        }
        out.push_str(&format!("{} \\\\\n", row.join(" & ")));
    }
    out.push_str("\\bottomrule\n\\end{tabular}\n");
    let mut caption = format!(
        "{}: {}",
        latex_escape(&style.caption),
        latex_escape(&caption_tail(agg, style))
    );
    if let Some(note) = partial_note(agg) {
        caption.push_str(&format!(" \\textbf{{{}.}}", latex_escape(&note)));
    }
    out.push_str(&format!(
        "\\caption{{{caption}}}\n\\label{{tab:{}}}\n\\end{{table}}\n",
        latex_escape(&style.label)
    ));
    out
}

/// Writes a frame as CSV and Parquet beside `stem` (`stem.csv`, `stem.parquet`).
pub fn write_frame(df: &mut DataFrame, stem: &Path) -> Result<()> {
    let csv_path = stem.with_extension("csv");
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes).finish(df)?;
    crate::store::atomic::write_atomic(&csv_path, &bytes)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(df)?;
    crate::store::atomic::write_atomic(&stem.with_extension("parquet"), &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_at_the_shown_precision_are_all_bold() {
        let group = |key: &str, mean: f64| crate::analysis::aggregate::GroupStats {
            keys: vec![key.into()],
            planned: 1,
            completed: 1,
            metrics: vec![Some(MetricStats {
                n: 1,
                mean,
                std: f64::NAN,
                ci: (f64::NAN, f64::NAN),
            })],
        };
        let agg = Aggregate {
            axes: vec!["algorithm".into()],
            metrics: vec!["f1".into()],
            groups: vec![group("a", 21.8681), group("b", 20.0), group("c", 21.8679)],
            method: CiMethod::T,
            run_intervals: false,
        };
        let style = TableStyle {
            precision: 3,
            better: vec![Some(Better::Higher)],
            labels: vec!["F1".into()],
            settings: None,
            caption: "c".into(),
            label: "l".into(),
        };
        assert_eq!(best(&agg, &style), vec![vec![0, 2]]);
        let md = markdown(&agg, &style);
        assert!(md.contains("| a | 1 | **21.868** |"), "{md}");
        assert!(md.contains("| c | 1 | **21.868** |"), "{md}");
        assert!(md.contains("| b | 1 | 20.000 |"), "{md}");
    }
}
