//! The Slurm commands runner uses, and the parsing of their output: `sbatch`, `squeue`,
//! `sacct` (when accounting is on), `scontrol show config | job`, `scancel`.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Runs a Slurm command and returns its stdout; its stderr in the error otherwise.
fn run(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run `{program}` (is Slurm installed and on PATH?)"))?;
    if !out.status.success() {
        bail!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a Slurm controller answers.
pub fn reachable() -> bool {
    run("scontrol", &["ping"]).is_ok_and(|o| o.contains("UP"))
}

/// The cluster's MaxArraySize (array indices must be below it).
pub fn max_array_size() -> Result<usize> {
    let config = run("scontrol", &["show", "config"])?;
    Ok(parse_config_value(&config, "MaxArraySize")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1001))
}

/// A `Key = value` line of `scontrol show config`.
pub fn parse_config_value(config: &str, key: &str) -> Option<String> {
    config.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

/// Submits a batch script; returns the job id.
pub fn sbatch(script: &Path, args: &[String]) -> Result<String> {
    let mut all: Vec<&str> = vec!["--parsable"];
    all.extend(args.iter().map(String::as_str));
    let path = script.to_string_lossy();
    all.push(&path);
    let out = run("sbatch", &all)?;
    let id = out.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch printed `{}`, not a job id", out.trim());
    }
    Ok(id)
}

/// Cancels jobs.
pub fn scancel(job_ids: &[String]) -> Result<()> {
    if job_ids.is_empty() {
        return Ok(());
    }
    let args: Vec<&str> = job_ids.iter().map(String::as_str).collect();
    run("scancel", &args).map(|_| ())
}

/// States of array tasks, keyed `JOBID_INDEX` (plain `JOBID` for a job that is not an
/// array): from `squeue` (pending, running and recently ended jobs), then `sacct` for what
/// the queue has forgotten when accounting is on.
pub fn task_states(job_ids: &[String]) -> HashMap<String, String> {
    let mut states = HashMap::new();
    if job_ids.is_empty() {
        return states;
    }
    let list = job_ids.join(",");
    if let Ok(out) = run(
        "squeue",
        &["--states=all", "-r", "-h", "-o", "%i|%T", "-j", &list],
    ) {
        states.extend(parse_pairs(&out));
    }
    let forgotten: Vec<&String> = job_ids
        .iter()
        .filter(|j| {
            !states
                .keys()
                .any(|k| k.split('_').next() == Some(j.as_str()))
        })
        .collect();
    if !forgotten.is_empty() {
        let list = forgotten
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",");
        if let Ok(out) = run(
            "sacct",
            &["-n", "-X", "-P", "-o", "JobID,State", "-j", &list],
        ) {
            for (k, v) in parse_pairs(&out) {
                states.entry(k).or_insert(v);
            }
        }
    }
    states
}

/// `KEY|STATE` lines (sacct's "CANCELLED by 0" keeps its first word).
pub fn parse_pairs(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let (id, state) = line.trim().split_once('|')?;
            let state = state.split_whitespace().next()?.trim_end_matches('+');
            Some((id.trim().to_string(), state.to_string()))
        })
        .collect()
}

/// Whether a Slurm state means the task may still run (so it must not be submitted again).
pub fn is_active(state: &str) -> bool {
    matches!(
        state,
        "PENDING"
            | "RUNNING"
            | "CONFIGURING"
            | "COMPLETING"
            | "REQUEUED"
            | "REQUEUE_HOLD"
            | "REQUEUE_FED"
            | "RESIZING"
            | "SUSPENDED"
            | "STAGE_OUT"
            | "SIGNALING"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_config_and_states() {
        let config = "MaxArraySize            = 10001\nMaxJobCount = 5\n";
        assert_eq!(
            parse_config_value(config, "MaxArraySize").as_deref(),
            Some("10001")
        );
        assert_eq!(parse_config_value(config, "Nope"), None);
        let states =
            parse_pairs("12_0|COMPLETED\n12_1|CANCELLED by 0\n13|RUNNING\n14_[2-5]|PENDING\n");
        assert_eq!(states["12_1"], "CANCELLED");
        assert_eq!(states["13"], "RUNNING");
        assert!(is_active(&states["14_[2-5]"]) && !is_active("TIMEOUT"));
    }
}
