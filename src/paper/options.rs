//! What a report is asked for: the experiments, where it goes, and the choices the command
//! line makes (grouping, metrics, definition, precision, intervals, better directions).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Experiment directories.
    pub dirs: Vec<PathBuf>,
    /// Output directory (default: `<first experiment>/report`).
    pub out: Option<PathBuf>,
    /// Axes to group by (default: the varying axes).
    pub group_by: Option<Vec<String>>,
    /// Metrics (default: the task kind's headline metrics, else every measured one).
    pub metrics: Option<Vec<String>>,
    /// A report definition.
    pub definition: Option<PathBuf>,
    /// Digits in tables.
    pub precision: Option<usize>,
    /// Bootstrap intervals with this many resamples instead of t intervals.
    pub bootstrap: Option<usize>,
    /// Better directions given on the command line (metric → "higher" | "lower").
    pub better: BTreeMap<String, String>,
}
