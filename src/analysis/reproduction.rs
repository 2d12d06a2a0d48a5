//! Comparing a rerun with the recorded results (`runner reproduce`): every metric of every run,
//! and the content of every artifact it used. Deterministic metrics must be identical (bit for
//! bit); timings, speeds and memory use differ between any two runs by nature, so they are
//! shown but do not count as differences.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::store::results::{ArtifactUse, ResultLine};

/// How a recorded value and its rerun compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// Identical.
    Same,
    /// Different: the result did not reproduce.
    Differs,
    /// Different, as measurements of time, speed or memory are between any two runs.
    Varies,
    /// In one of the two only.
    Missing,
}

/// One metric of one run.
#[derive(Debug, Clone, Serialize)]
pub struct MetricCheck {
    /// Dotted key in metrics.json.
    pub key: String,
    /// As recorded.
    pub recorded: Option<Value>,
    /// In the rerun.
    pub rerun: Option<Value>,
    /// How they compare.
    pub agreement: Agreement,
}

/// One artifact a run used.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactCheck {
    /// Artifact id.
    pub id: String,
    /// Content hash recorded (none in records older than content hashes).
    pub recorded: Option<String>,
    /// Content hash of the rebuilt artifact.
    pub rerun: Option<String>,
    /// How they compare.
    pub agreement: Agreement,
}

/// One run: recorded against rerun.
#[derive(Debug, Clone, Serialize)]
pub struct RunCheck {
    /// Run name.
    pub name: String,
    /// Run id.
    pub id: String,
    /// Whether the rerun completed (false: no metrics to compare).
    pub rerun_completed: bool,
    /// Every metric.
    pub metrics: Vec<MetricCheck>,
    /// Every artifact.
    pub artifacts: Vec<ArtifactCheck>,
}

impl RunCheck {
    /// Whether everything deterministic is identical.
    pub fn reproduced(&self) -> bool {
        self.rerun_completed
            && self
                .metrics
                .iter()
                .all(|m| matches!(m.agreement, Agreement::Same | Agreement::Varies))
            && self
                .artifacts
                .iter()
                .all(|a| a.agreement != Agreement::Differs)
    }

    /// Metrics with this agreement.
    pub fn count(&self, agreement: Agreement) -> usize {
        self.metrics
            .iter()
            .filter(|m| m.agreement == agreement)
            .count()
    }
}

/// Why a metric differs between any two runs, judged by its name: time, speed, memory, or
/// whether a shared artifact had to be built. `None` for results that must repeat exactly.
pub fn varies_by_nature(key: &str) -> Option<&'static str> {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let timing = ["seconds", "per_s", "mb_s", "time", "_ms", "duration"]
        .iter()
        .any(|w| leaf.contains(w))
        || leaf.ends_with("_s");
    if timing {
        Some("a time or speed")
    } else if leaf.contains("memory") {
        Some("memory use")
    } else if matches!(leaf, "built_now" | "reused") {
        Some("whether a shared artifact was already built")
    } else if leaf == "cpu" {
        Some("the machine")
    } else {
        None
    }
}

/// Compares a run's recorded result line with its rerun (none: the rerun did not complete).
pub fn compare(recorded: &ResultLine, rerun: Option<&ResultLine>) -> RunCheck {
    let before = leaves(&recorded.metrics);
    let after = rerun.map(|r| leaves(&r.metrics)).unwrap_or_default();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let metrics = keys
        .into_iter()
        .map(|key| {
            let (a, b) = (before.get(key), after.get(key));
            let agreement = match (a, b) {
                (Some(a), Some(b)) if same(a, b) => Agreement::Same,
                (Some(_), Some(_)) if varies_by_nature(key).is_some() => Agreement::Varies,
                (Some(_), Some(_)) => Agreement::Differs,
                _ => Agreement::Missing,
            };
            MetricCheck {
                key: key.clone(),
                recorded: a.cloned(),
                rerun: b.cloned(),
                agreement,
            }
        })
        .collect();
    RunCheck {
        name: recorded.name.clone(),
        id: recorded.id.clone(),
        rerun_completed: rerun.is_some(),
        metrics,
        artifacts: artifacts(&recorded.artifacts, rerun.map_or(&[], |r| &r.artifacts)),
    }
}

fn artifacts(recorded: &[ArtifactUse], rerun: &[ArtifactUse]) -> Vec<ArtifactCheck> {
    recorded
        .iter()
        .map(|a| {
            let now = rerun
                .iter()
                .find(|b| b.id == a.id)
                .and_then(|b| b.sha256.clone());
            let agreement = match (&a.sha256, &now) {
                (Some(x), Some(y)) if x == y => Agreement::Same,
                (Some(_), Some(_)) => Agreement::Differs,
                _ => Agreement::Missing,
            };
            ArtifactCheck {
                id: a.id.clone(),
                recorded: a.sha256.clone(),
                rerun: now,
                agreement,
            }
        })
        .collect()
}

/// Numbers compare bit for bit (as f64); everything else as JSON.
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits() || x == y,
        _ => a == b,
    }
}

/// The leaves of a JSON object with dotted keys (arrays as whole values).
fn leaves(value: &Value) -> BTreeMap<String, Value> {
    fn walk(v: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(x, &key, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(value, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(metrics: Value, sha: &str) -> ResultLine {
        serde_json::from_value(json!({
            "id": "r1", "name": "x=1", "task": "t", "config": {}, "metrics": metrics,
            "artifacts": [{"id": "reader-1", "sha256": sha}],
            "duration_s": 1.0, "device": null, "host": null, "attempts": 1,
            "finished_at": null, "runner_version": "0", "git": null
        }))
        .unwrap()
    }

    #[test]
    fn deterministic_metrics_must_repeat_and_timings_may_vary() {
        let a = line(
            json!({"f1": 21.87, "by_type": {"what": 3.0}, "train_seconds": 5.0}),
            "aa",
        );
        let b = line(
            json!({"f1": 21.87, "by_type": {"what": 3.0}, "train_seconds": 6.5}),
            "aa",
        );
        let check = compare(&a, Some(&b));
        assert!(check.reproduced(), "{check:?}");
        assert_eq!(check.count(Agreement::Same), 2);
        assert_eq!(check.count(Agreement::Varies), 1);
        let c = line(
            json!({"f1": 21.88, "by_type": {"what": 3.0}, "train_seconds": 5.0}),
            "bb",
        );
        let check = compare(&a, Some(&c));
        assert!(!check.reproduced());
        assert_eq!(check.metrics[0].key, "by_type.what");
        assert_eq!(check.metrics[1].agreement, Agreement::Differs, "f1");
        assert_eq!(check.artifacts[0].agreement, Agreement::Differs);
        assert!(!compare(&a, None).reproduced(), "a rerun that failed");
    }

    #[test]
    fn timing_names_are_recognised() {
        for k in [
            "train_seconds",
            "compression_mb_s",
            "symbols_per_s",
            "compression_time_mean",
            "peak_memory_mb",
            "built_now",
            "x.decompress_bytes_per_s",
        ] {
            assert!(varies_by_nature(k).is_some(), "{k}");
        }
        for k in [
            "f1",
            "bpc",
            "ratio_mean",
            "questions",
            "kept_fraction",
            "f1_ci_low",
        ] {
            assert!(varies_by_nature(k).is_none(), "{k}");
        }
    }
}
