//! Metrics as a task kind declares them: the key in metrics.json, a label with its unit for
//! tables and axes ("F1 (%)"), which direction is better (only then does a report bold a
//! "best" value), the keys of the interval that goes with it, and whether it is a headline
//! metric (shown in the default report) or a detail (kept in the raw data).

use super::direction::Better;

/// One declared metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDef {
    /// Key in metrics.json (nested keys joined by dots).
    pub key: &'static str,
    /// Label with its unit, for table headers, axes and titles.
    pub label: &'static str,
    /// The better direction, if there is one.
    pub better: Option<Better>,
    /// Keys of the run's own interval (low, high), if the run computes one.
    pub interval: Option<(&'static str, &'static str)>,
    /// Shown in the default report (false: only in the raw data and definitions).
    pub headline: bool,
}

impl MetricDef {
    /// A headline metric.
    pub const fn headline(key: &'static str, label: &'static str, better: Better) -> MetricDef {
        MetricDef {
            key,
            label,
            better: Some(better),
            interval: None,
            headline: true,
        }
    }

    /// A detail metric with a better direction.
    pub const fn detail(key: &'static str, label: &'static str, better: Better) -> MetricDef {
        MetricDef {
            key,
            label,
            better: Some(better),
            interval: None,
            headline: false,
        }
    }

    /// A headline metric with no better direction: it follows the grid's settings (the kept
    /// fraction of a requested ratio), so no value is "best".
    pub const fn outcome(key: &'static str, label: &'static str) -> MetricDef {
        MetricDef {
            key,
            label,
            better: None,
            interval: None,
            headline: true,
        }
    }

    /// A detail with no better direction (counts, sizes of the setup).
    pub const fn count(key: &'static str, label: &'static str) -> MetricDef {
        MetricDef {
            key,
            label,
            better: None,
            interval: None,
            headline: false,
        }
    }

    /// The same metric with the run's own interval.
    pub const fn with_interval(mut self, low: &'static str, high: &'static str) -> MetricDef {
        self.interval = Some((low, high));
        self
    }
}

/// The declaration of `key` in `metrics`, if any.
pub fn find<'a>(metrics: &'a [MetricDef], key: &str) -> Option<&'a MetricDef> {
    metrics.iter().find(|m| m.key == key)
}
