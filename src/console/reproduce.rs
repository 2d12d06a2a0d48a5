//! What `runner reproduce` prints: per run, how many metrics are identical, which differ (with
//! both values) and which vary by nature (timings), and whether the rebuilt artifacts have the
//! recorded contents; then a verdict.

use crate::analysis::reproduction::{varies_by_nature, Agreement, RunCheck};
use crate::scheduler::reproduce::Comparison;

/// The report of a reproduction.
pub fn render(c: &Comparison) -> String {
    let mut out = String::new();
    if let Some(now) = &c.rerun_commit {
        if !c.recorded_commits.is_empty() && !c.recorded_commits.contains(now) {
            out.push_str(&format!(
                "note: recorded at git {}, rerun at {now}: differences may come from the code\n",
                c.recorded_commits.join(", ")
            ));
        }
    }
    if c.recorded_cpus.iter().any(|cpu| *cpu != c.rerun_cpu) {
        out.push_str(&format!(
            "note: recorded on {}, rerun on {}: burn's CPU kernels choose their instructions per machine, so differences in the last digits may come from the CPU\n",
            c.recorded_cpus.join(", "),
            c.rerun_cpu
        ));
    }
    for run in &c.runs {
        out.push_str(&run_lines(run));
    }
    out.push_str(&verdict(c));
    out
}

fn run_lines(run: &RunCheck) -> String {
    if !run.rerun_completed {
        return format!(
            "  {}  the rerun did not complete: nothing to compare\n",
            run.name
        );
    }
    let mut out = format!(
        "  {}  {} identical, {} differ, {} timings vary{}\n",
        run.name,
        run.count(Agreement::Same),
        run.count(Agreement::Differs) + run.count(Agreement::Missing),
        run.count(Agreement::Varies),
        artifact_words(run)
    );
    for m in &run.metrics {
        if matches!(m.agreement, Agreement::Differs | Agreement::Missing) {
            let show = |v: &Option<serde_json::Value>| {
                v.as_ref()
                    .map_or_else(|| "absent".to_string(), |v| v.to_string())
            };
            let delta = match (
                m.recorded.as_ref().and_then(|v| v.as_f64()),
                m.rerun.as_ref().and_then(|v| v.as_f64()),
            ) {
                (Some(a), Some(b)) => format!(" ({:+.6})", b - a),
                _ => String::new(),
            };
            out.push_str(&format!(
                "      {}: {} -> {}{delta}{}\n",
                m.key,
                show(&m.recorded),
                show(&m.rerun),
                resampling_note(&m.key)
            ));
        }
    }
    for a in run
        .artifacts
        .iter()
        .filter(|a| a.agreement == Agreement::Differs)
    {
        out.push_str(&format!(
            "      artifact {}: content {} -> {}\n",
            a.id,
            short(&a.recorded),
            short(&a.rerun)
        ));
    }
    out
}

fn artifact_words(run: &RunCheck) -> String {
    let n = run.artifacts.len();
    if n == 0 {
        return String::new();
    }
    let same = run
        .artifacts
        .iter()
        .filter(|a| a.agreement == Agreement::Same)
        .count();
    let unknown = run
        .artifacts
        .iter()
        .filter(|a| a.agreement == Agreement::Missing)
        .count();
    let mut words = format!("; artifacts: {same} of {n} same content");
    if unknown > 0 {
        words.push_str(&format!(" ({unknown} recorded without a content hash)"));
    }
    words
}

/// Intervals and tests resample with the run's seed: they repeat exactly when the scores they
/// resample do, and otherwise move with them as well as by their own Monte Carlo error.
fn resampling_note(key: &str) -> &'static str {
    if key.contains("_ci") || key.contains("p_value") {
        "  [resampled with the run's seed: moves when the scores do]"
    } else {
        ""
    }
}

fn short(sha: &Option<String>) -> String {
    sha.as_deref()
        .map_or("unknown".into(), |s| s[..s.len().min(12)].to_string())
}

fn verdict(c: &Comparison) -> String {
    let runs = c.runs.len();
    let ok = c.runs.iter().filter(|r| r.reproduced()).count();
    let count = |a: Agreement| c.runs.iter().map(|r| r.count(a)).sum::<usize>();
    let timing_keys: Vec<&str> = c
        .runs
        .iter()
        .flat_map(|r| &r.metrics)
        .filter(|m| m.agreement == Agreement::Varies)
        .map(|m| m.key.as_str())
        .collect();
    let why = timing_keys
        .first()
        .and_then(|k| varies_by_nature(k))
        .unwrap_or("a time or speed");
    format!(
        "{}: {ok} of {runs} runs reproduced; {} values identical, {} differ; {} values vary by \
         nature (e.g. {why}); artifacts {}.\nThe comparison is in {}\n",
        if ok == runs {
            "Reproduced"
        } else {
            "NOT reproduced"
        },
        count(Agreement::Same),
        count(Agreement::Differs) + count(Agreement::Missing),
        count(Agreement::Varies),
        if c.rebuilt_artifacts {
            "rebuilt in a fresh store"
        } else {
            "reused from the store"
        },
        c.scratch.join("reproduce.json").display()
    )
}
