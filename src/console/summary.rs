//! Human formatting of durations and the end-of-launch summary.

use std::time::Duration;

use crate::scheduler::reporter::Summary;

/// `1.23s`, `4m05s`, `2h03m`.
pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.2}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

/// The summary block printed at the end of a launch.
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let mut parts = Vec::new();
    if summary.completed > 0 || summary.skipped == 0 {
        parts.push(format!("{} completed", summary.completed));
    }
    if summary.skipped > 0 {
        parts.push(format!("{} already done", summary.skipped));
    }
    for (n, word) in [
        (summary.failed, "failed"),
        (summary.timed_out, "timed out"),
        (summary.interrupted, "interrupted"),
        (summary.not_started, "not started"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    out.push_str(&format!(
        "Summary [{}] {} runs: {}\n",
        short_duration(summary.elapsed),
        summary.total,
        parts.join(", ")
    ));
    for (name, error) in &summary.problems {
        let first = error.lines().next().unwrap_or("");
        out.push_str(&format!("  {name} {first}\n"));
    }
    out
}
