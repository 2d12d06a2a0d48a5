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
        (
            summary.not_recorded,
            "ended but not recorded (the run store failed; the next launch settles them)",
        ),
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
        out.push_str(&format!("  {name} {}\n", failure_line(error)));
    }
    out
}

/// One line saying why a run failed: how it ended, and the last meaningful line of its stderr
/// (not a blank, a runner header or a "stderr ends with:" lead-in), cut to 160 characters.
pub fn failure_line(error: &str) -> String {
    let mut lines = error.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let head = first.strip_suffix("; stderr ends with:").unwrap_or(first);
    let last = lines.rfind(|l| {
        !l.starts_with("=== runner:")
            && !l.starts_with("stack backtrace")
            && !l.starts_with("note: run with")
    });
    let line = match last {
        Some(cause) => format!("{head}: {cause}"),
        None => head.to_string(),
    };
    if line.chars().count() > 160 {
        let cut: String = line.chars().take(157).collect();
        format!("{cut}...")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_line_names_the_cause_from_the_end_of_stderr() {
        let e = "exited with code 1; stderr ends with:\nloading data\nerror: /data/squad/dev-v1.1.json does not exist\n";
        assert_eq!(
            failure_line(e),
            "exited with code 1: error: /data/squad/dev-v1.1.json does not exist"
        );
        assert_eq!(
            failure_line("killed after the 1m time limit"),
            "killed after the 1m time limit"
        );
        assert!(failure_line(&"x".repeat(500)).ends_with("..."));
    }
}
