//! Report definitions (`analysis/*.toml`): which tables and figures a paper needs, so a report
//! is re-made the same way after more runs. Without one, a default definition is derived.
//!
//! ```toml
//! title = "Codecs on the Canterbury corpus"
//! ci = "t"                  # or "bootstrap" (with bootstrap = 2000)
//! precision = 3
//! better = { compression_mb_s = "higher" }   # besides what the task kind declares
//!
//! [[table]]
//! name = "ratios"
//! caption = "Bits per byte by codec and level"
//! metrics = ["bits_per_byte", "compression_mb_s"]
//! group_by = ["algorithm", "level"]
//! filter = { dataset = "canterbury" }
//! settings = ["samples"]    # said once under the table: the value every run shares
//!
//! [[figure]]
//! name = "bpb"
//! kind = "bars"             # line, bars, scatter, curves
//! x = "algorithm"           # an axis (line, bars) or a metric (scatter)
//! y = "bits_per_byte"       # a metric
//! series = "level"          # an axis: one line / bar colour per value
//! filter = { dataset = "canterbury" }
//!
//! [[comparison]]            # paired tests on the same questions, Holm-corrected per table
//! name = "against_baselines"
//! metric = "f1"             # per-question f1 or em, from each run's sample_predictions.json
//! candidates = { architecture = ["gist", "conv"] }   # a list keeps any of its values
//! baselines = { architecture = ["mean_pool", "llmlingua2"] }
//! pair_on = ["target_length"]   # a candidate meets the baselines with the same labels here
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::error::bad_input;

/// A report definition.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Title of report.md.
    pub title: Option<String>,
    /// Text under the title.
    pub description: Option<String>,
    /// "t" (default) or "bootstrap".
    pub ci: Option<String>,
    /// Bootstrap resamples (default 2000).
    pub bootstrap: Option<usize>,
    /// Digits after the decimal point in tables (default 3).
    pub precision: Option<usize>,
    /// Better direction per metric: "higher" or "lower".
    #[serde(default)]
    pub better: BTreeMap<String, String>,
    /// Tables.
    #[serde(default)]
    pub table: Vec<TableDef>,
    /// Figures.
    #[serde(default)]
    pub figure: Vec<FigureDef>,
    /// Paired comparisons.
    #[serde(default)]
    pub comparison: Vec<ComparisonDef>,
}

/// Paired tests of candidates against baselines on the same questions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonDef {
    /// File name stem.
    pub name: String,
    /// Caption.
    pub caption: Option<String>,
    /// Per-question score: "f1" (default) or "em".
    #[serde(default = "default_paired_metric")]
    pub metric: String,
    /// Runs that are candidates (axis → value or list of values).
    pub candidates: BTreeMap<String, toml::Value>,
    /// Runs that are baselines.
    pub baselines: BTreeMap<String, toml::Value>,
    /// Axes on which a candidate and its baseline must agree.
    #[serde(default)]
    pub pair_on: Vec<String>,
    /// Random sign patterns of the permutation test (default 10000).
    pub permutations: Option<usize>,
}

fn default_paired_metric() -> String {
    "f1".into()
}

/// A table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    /// File name stem.
    pub name: String,
    /// Caption.
    pub caption: Option<String>,
    /// Metrics (columns).
    pub metrics: Vec<String>,
    /// Axes (rows); default: the varying axes.
    pub group_by: Option<Vec<String>>,
    /// Keep only runs whose labels equal these.
    #[serde(default)]
    pub filter: BTreeMap<String, toml::Value>,
    /// Digits after the decimal point.
    pub precision: Option<usize>,
    /// Metrics said once under the table, as every run's values ("questions = 1000").
    #[serde(default)]
    pub settings: Vec<String>,
}

/// A figure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureDef {
    /// File name stem.
    pub name: String,
    /// line, bars, scatter or curves.
    pub kind: String,
    /// x: an axis (line, bars), a metric (scatter), or a curve column (curves: step / epoch).
    pub x: Option<String>,
    /// y: a metric (or a curve column).
    pub y: String,
    /// Axis (or list of axes) whose values make separate lines / bar colours.
    pub series: Option<Axes>,
    /// Keep only runs whose labels equal these.
    #[serde(default)]
    pub filter: BTreeMap<String, toml::Value>,
    /// Caption.
    pub caption: Option<String>,
    /// Logarithmic x axis (default: when x spans a factor of 20 or more).
    pub log_x: Option<bool>,
    /// Logarithmic y axis (scatter; default: when y spans a factor of 100 or more).
    pub log_y: Option<bool>,
    /// Vertical markers: label → x value (thresholds found by an analysis).
    #[serde(default)]
    pub thresholds: BTreeMap<String, f64>,
}

/// One axis or several.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Axes {
    /// One axis.
    One(String),
    /// Several axes, combined.
    Many(Vec<String>),
}

impl Axes {
    /// The axes as a list.
    pub fn list(&self) -> Vec<String> {
        match self {
            Axes::One(a) => vec![a.clone()],
            Axes::Many(v) => v.clone(),
        }
    }
}

impl Definition {
    /// Reads a definition file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Definition> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let text = crate::spec::source::utf8_text(bytes)
            .map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
        let definition: Definition =
            toml::from_str(&text).map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
        if definition.table.is_empty()
            && definition.figure.is_empty()
            && definition.comparison.is_empty()
        {
            return Err(bad_input(format!(
                "{}: the definition has no [[table]], [[figure]] or [[comparison]]",
                path.display()
            )));
        }
        Ok(definition)
    }
}

/// A filter as axis → the labels kept: a list keeps any of its values (`architecture =
/// ["teacher", "mean_pool"]`), anything else that one value.
pub fn filter_labels(filter: &BTreeMap<String, toml::Value>) -> crate::analysis::aggregate::Filter {
    let label = |v: &toml::Value| match v {
        toml::Value::String(s) => s.clone(),
        other => {
            let json: serde_json::Value = serde_json::to_value(other).unwrap_or_default();
            crate::grid::naming::value_label(&json)
        }
    };
    filter
        .iter()
        .map(|(k, v)| {
            let kept = match v {
                toml::Value::Array(values) => values.iter().map(label).collect(),
                one => vec![label(one)],
            };
            (k.clone(), kept)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn damaged_definitions_are_errors_naming_the_file() {
        let good = include_str!("../../analysis/codecs.toml");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paper.toml");
        std::fs::write(&path, good).unwrap();
        assert!(!super::Definition::load(&path).unwrap().table.is_empty());
        crate::data::damage::assert_clear_errors(&path, good.as_bytes(), super::Definition::load);
        std::fs::write(&path, b"title = \"x\"\n\xff").unwrap();
        let e = format!("{:#}", super::Definition::load(&path).unwrap_err());
        assert!(e.contains("line 2, column 1: the file is not UTF-8"), "{e}");
    }
}
