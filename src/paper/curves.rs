//! Training curves: runs that log them write `curves.jsonl` in their run directory, one JSON
//! object per line such as `{"epoch": 3, "train_loss": 1.2, "eval_f1": 41.0}`. Curves of the
//! runs of a group are averaged over seeds at each step, with a 95% band.

use std::collections::BTreeMap;

use anyhow::{bail, Result};

use super::figures::Line;
use crate::analysis::experiment_data::RunRow;
use crate::metrics::intervals::{summarize, CiMethod};

/// Steps named in order of preference as the x column.
const X_COLUMNS: [&str; 3] = ["step", "epoch", "iteration"];

fn read(row: &RunRow) -> Vec<BTreeMap<String, f64>> {
    let Ok(text) = std::fs::read_to_string(row.run_dir.join("curves.jsonl")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let mut m = BTreeMap::new();
            crate::metrics::flatten::flatten(&v, "", &mut m);
            m
        })
        .collect()
}

/// The x column the runs log: the first of step, epoch, iteration found.
pub fn x_column(rows: &[&RunRow]) -> String {
    let points: Vec<BTreeMap<String, f64>> = rows.iter().take(8).flat_map(|r| read(r)).collect();
    X_COLUMNS
        .iter()
        .find(|c| points.iter().any(|p| p.contains_key(**c)))
        .unwrap_or(&"step")
        .to_string()
}

/// The y columns logged by any run.
pub fn columns(rows: &[&RunRow]) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for row in rows {
        for point in read(row) {
            for k in point.keys() {
                if !X_COLUMNS.contains(&k.as_str()) && !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
    }
    cols
}

/// One line per group of `series` axes: the mean of `y` over runs at each x, with a band.
pub fn lines(rows: &[&RunRow], x: Option<&str>, y: &str, series: &[String]) -> Result<Vec<Line>> {
    // Per line: its label and, per x key, the x value and the runs' y values.
    type Points = BTreeMap<i64, (f64, Vec<f64>)>;
    let mut groups: Vec<(String, Points)> = Vec::new();
    for row in rows {
        let label = if series.is_empty() {
            y.to_string()
        } else {
            series
                .iter()
                .map(|s| row.labels.get(s).cloned().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ")
        };
        for point in read(row) {
            let xv = match x {
                Some(col) => point.get(col).copied(),
                None => X_COLUMNS.iter().find_map(|c| point.get(*c).copied()),
            };
            let (Some(xv), Some(yv)) = (xv, point.get(y).copied()) else {
                continue;
            };
            let idx = match groups.iter().position(|(l, _)| *l == label) {
                Some(i) => i,
                None => {
                    groups.push((label.clone(), BTreeMap::new()));
                    groups.len() - 1
                }
            };
            let key = (xv * 1e6).round() as i64;
            groups[idx]
                .1
                .entry(key)
                .or_insert((xv, Vec::new()))
                .1
                .push(yv);
        }
    }
    if groups.is_empty() {
        bail!("no run logged `{y}` in curves.jsonl");
    }
    Ok(groups
        .into_iter()
        .map(|(label, points)| Line {
            label,
            points: points
                .values()
                .map(|(xv, ys)| {
                    let s = summarize(ys, CiMethod::T);
                    (*xv, s.mean, s.ci.0, s.ci.1)
                })
                .collect(),
            fit: Vec::new(),
        })
        .collect())
}
