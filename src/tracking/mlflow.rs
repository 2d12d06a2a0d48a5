//! `runner export mlflow`: one MLflow run per runner run that has started, through MLflow's
//! REST API. Params are the resolved config (flattened, dotted keys); metrics the final
//! metrics (at the last curve step) and every curve column with its steps; tags the run id
//! (`runner.run_id`, what a later export matches on, with `runner.experiment`: the experiment's
//! name and first launch, so another directory of the same spec is another experiment), name,
//! state, attempts, seed, commit and device; artifacts metrics.json, config.json and
//! params.json. Exporting again updates and never duplicates: the same run is found by its
//! tags, params are equal, every metric point has a timestamp fixed by the run's records
//! (MLflow's SQL stores keep one copy of an identical point), and a run attempted again since
//! the last export replaces its MLflow run (its earlier curves belong to a failed attempt).
//! Keys MLflow refuses are made safe (other characters become `_`, at most 250).

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::mlflow_client::{is_code, Client};
use crate::store::{ExperimentDir, RunState, RunStatus};

/// MLflow's longest param value (characters).
const PARAM_CHARS: usize = 6000;
/// MLflow's longest key (characters).
const KEY_CHARS: usize = 250;

/// What an export did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The MLflow experiment's id.
    pub experiment_id: String,
    /// MLflow runs created.
    pub created: usize,
    /// MLflow runs found and updated.
    pub updated: usize,
    /// Runner runs never started (not exported).
    pub not_started: usize,
    /// MLflow runs replaced because their run was attempted again since.
    pub replaced: usize,
    /// Whether the server keeps artifacts where runner cannot upload them (none uploaded).
    pub artifacts_skipped: bool,
}

/// Exports the runs of `store` to the MLflow server at `uri`, into the MLflow experiment
/// `experiment`.
pub fn export(store: &ExperimentDir, uri: &str, experiment: &str) -> Result<ExportSummary> {
    let client = Client::new(uri).map_err(crate::error::bad_input)?;
    let plan = store.read_plan()?;
    let results = crate::store::results::read(&store.file("results.jsonl")).unwrap_or_default();
    let results: HashMap<&str, &crate::store::results::ResultLine> =
        results.iter().map(|r| (r.id.as_str(), r)).collect();
    let experiment_id = experiment_id(&client, experiment)?;
    let meta = store.read_meta()?;
    let identity = format!("{}@{}", meta.name, meta.created_at);
    let mut existing = existing_runs(&client, &experiment_id, &identity)?;
    let mut summary = ExportSummary {
        experiment_id: experiment_id.clone(),
        ..ExportSummary::default()
    };
    for run in &plan.runs {
        let Some(status) = store
            .read_status(&run.id)
            .filter(|s| s.started_at.is_some())
        else {
            summary.not_started += 1;
            continue;
        };
        let record = RunRecord {
            dir: store.run_dir(&run.id),
            id: &run.id,
            name: &run.name,
            experiment: &identity,
            config: run.config.to_map(),
            commit: results
                .get(run.id.as_str())
                .and_then(|r| r.git.as_ref())
                .or(meta.git.as_ref())
                .map(|g| g.commit.clone()),
            status,
        };
        let (mlflow_id, artifact_uri) = match existing.remove(&run.id) {
            Some(found) if found.attempts == record.status.attempts.to_string() => {
                summary.updated += 1;
                (found.id, found.artifact_uri)
            }
            found => {
                if let Some(old) = found {
                    client.post("runs/delete", &json!({ "run_id": old.id }))?;
                    summary.replaced += 1;
                }
                summary.created += 1;
                create_run(&client, &experiment_id, &record)?
            }
        };
        let uploaded = log_run(&client, &mlflow_id, &artifact_uri, &record)
            .with_context(|| format!("exporting run {} to MLflow", run.name))?;
        summary.artifacts_skipped |= !uploaded;
    }
    Ok(summary)
}

/// A runner run as an export reads it.
struct RunRecord<'a> {
    dir: std::path::PathBuf,
    id: &'a str,
    name: &'a str,
    experiment: &'a str,
    config: serde_json::Map<String, Value>,
    status: RunStatus,
    commit: Option<String>,
}

fn experiment_id(client: &Client, name: &str) -> Result<String> {
    match client.get("experiments/get-by-name", &[("experiment_name", name)]) {
        Ok(v) => {
            if v["experiment"]["lifecycle_stage"] == "deleted" {
                bail!("the MLflow experiment `{name}` is deleted: restore it in MLflow, or export under another --experiment");
            }
            Ok(v["experiment"]["experiment_id"]
                .as_str()
                .unwrap_or("")
                .to_string())
        }
        Err(e) if is_code(&e, "RESOURCE_DOES_NOT_EXIST") => {
            let v = client.post("experiments/create", &json!({ "name": name }))?;
            Ok(v["experiment_id"].as_str().unwrap_or("").to_string())
        }
        Err(e) => Err(e),
    }
}

/// An MLflow run an earlier export made.
struct Existing {
    id: String,
    artifact_uri: String,
    attempts: String,
}

/// The experiment's active runs exported from the runner experiment `identity`, by runner run
/// id.
fn existing_runs(
    client: &Client,
    experiment_id: &str,
    identity: &str,
) -> Result<HashMap<String, Existing>> {
    let mut found = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({
            "experiment_ids": [experiment_id],
            "filter": "tags.`runner.run_id` != ''",
            "max_results": 200,
            "run_view_type": "ACTIVE_ONLY",
        });
        if let Some(t) = &token {
            body["page_token"] = json!(t);
        }
        let page = client.post("runs/search", &body)?;
        for r in page["runs"].as_array().into_iter().flatten() {
            let tag = |key: &str| {
                let tags = r["data"]["tags"].as_array().into_iter().flatten();
                tags.filter(|t| t["key"] == key)
                    .find_map(|t| t["value"].as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let info = &r["info"];
            if tag("runner.experiment") != identity {
                continue;
            }
            if let Some(run_id) = info["run_id"].as_str() {
                let existing = Existing {
                    id: run_id.to_string(),
                    artifact_uri: info["artifact_uri"].as_str().unwrap_or("").to_string(),
                    attempts: tag("runner.attempts"),
                };
                found.insert(tag("runner.run_id"), existing);
            }
        }
        token = page["next_page_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(String::from);
        if token.is_none() {
            return Ok(found);
        }
    }
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn millis(time: Option<&str>) -> i64 {
    time.and_then(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    })
    .map_or(0, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn create_run(client: &Client, experiment_id: &str, r: &RunRecord<'_>) -> Result<(String, String)> {
    let body = json!({
        "experiment_id": experiment_id,
        "run_name": r.name,
        "start_time": millis(r.status.started_at.as_deref()),
        "tags": [
            {"key": "runner.run_id", "value": r.id},
            {"key": "runner.experiment", "value": r.experiment},
            {"key": "runner.attempts", "value": r.status.attempts.to_string()},
        ],
    });
    let v = client.post("runs/create", &body)?;
    let info = &v["run"]["info"];
    Ok((
        info["run_id"].as_str().unwrap_or("").to_string(),
        info["artifact_uri"].as_str().unwrap_or("").to_string(),
    ))
}

/// The config as MLflow params: dotted keys for tables, JSON text for arrays.
fn params(config: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    fn walk(v: &Value, key: String, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| walk(v, format!("{key}.{k}"), out)),
            Value::String(s) => out.push((key, s.clone())),
            other => out.push((key, other.to_string())),
        }
    }
    let mut out = Vec::new();
    for (k, v) in config {
        walk(v, k.clone(), &mut out);
    }
    for (k, v) in &mut out {
        *k = key(k);
        if v.chars().count() > PARAM_CHARS {
            *v = v.chars().take(PARAM_CHARS - 1).chain(['…']).collect();
        }
    }
    out
}

/// A key MLflow accepts: letters, digits and `_-. /:`, no `..`, at most 250 characters.
fn key(k: &str) -> String {
    let safe: String = k
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || "_-. /:".contains(c) {
                true => c,
                false => '_',
            },
        )
        .take(KEY_CHARS)
        .collect();
    safe.replace("..", "__")
}

fn state_of(s: RunState) -> &'static str {
    match s {
        RunState::Completed => "FINISHED",
        RunState::Running => "RUNNING",
        RunState::Interrupted => "KILLED",
        _ => "FAILED",
    }
}

/// The run's metric points: every curve column at its steps, then the final metrics at the
/// last step; timestamps from the run's start (plus the line number) and end.
fn metrics(r: &RunRecord<'_>) -> Vec<Value> {
    let start = millis(r.status.started_at.as_deref());
    let mut out = Vec::new();
    let curves = std::fs::read_to_string(r.dir.join("curves.jsonl")).unwrap_or_default();
    let points = crate::metrics::flatten::curve_points(&curves);
    let last = points.iter().map(|p| p.0).max().unwrap_or(0);
    for (i, (step, values)) in points.iter().enumerate() {
        for (k, x) in values {
            let t = start + i as i64;
            out.push(json!({"key": key(k), "value": x, "timestamp": t, "step": step}));
        }
    }
    let end = millis(r.status.ended_at.as_deref()).max(start);
    for (k, x) in crate::metrics::flatten::run_metrics(&r.dir) {
        out.push(json!({"key": key(&k), "value": x, "timestamp": end, "step": last}));
    }
    out
}

fn tags(r: &RunRecord<'_>) -> Vec<Value> {
    let mut tags = vec![
        ("runner.run_id", r.id.to_string()),
        ("runner.name", r.name.to_string()),
        ("mlflow.runName", r.name.to_string()),
        ("runner.state", r.status.state.word().to_string()),
        ("runner.experiment", r.experiment.to_string()),
        ("runner.attempts", r.status.attempts.to_string()),
    ];
    let optional = [
        ("runner.seed", r.config.get("seed").map(Value::to_string)),
        ("runner.commit", r.commit.clone()),
        ("runner.device", r.status.device.clone()),
    ];
    tags.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?))));
    tags.iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect()
}

/// Logs the run; whether its artifacts could be uploaded.
fn log_run(
    client: &Client,
    mlflow_id: &str,
    artifact_uri: &str,
    r: &RunRecord<'_>,
) -> Result<bool> {
    let params: Vec<Value> = params(&r.config)
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    for chunk in params.chunks(100) {
        client.post(
            "runs/log-batch",
            &json!({"run_id": mlflow_id, "params": chunk}),
        )?;
    }
    client.post(
        "runs/log-batch",
        &json!({"run_id": mlflow_id, "tags": tags(r)}),
    )?;
    for chunk in metrics(r).chunks(1000) {
        client.post(
            "runs/log-batch",
            &json!({"run_id": mlflow_id, "metrics": chunk}),
        )?;
    }
    let uploaded = upload_artifacts(client, artifact_uri, r)?;
    let mut update = json!({"run_id": mlflow_id, "status": state_of(r.status.state)});
    if r.status.ended_at.is_some() {
        update["end_time"] = json!(millis(r.status.ended_at.as_deref()));
    }
    client.post("runs/update", &update)?;
    Ok(uploaded)
}

/// metrics.json, config.json and params.json through the server's artifact proxy; false when
/// the server keeps artifacts elsewhere (not through the proxy).
fn upload_artifacts(client: &Client, artifact_uri: &str, r: &RunRecord<'_>) -> Result<bool> {
    let Some(rest) = artifact_uri.strip_prefix("mlflow-artifacts:") else {
        return Ok(false);
    };
    // `mlflow-artifacts:/<path>` or `mlflow-artifacts://host/<path>`.
    let path = match rest.strip_prefix("//") {
        Some(hosted) => hosted.split_once('/').map_or("", |(_, p)| p),
        None => rest.trim_start_matches('/'),
    };
    for file in ["metrics.json", "config.json", "params.json"] {
        if let Ok(bytes) = std::fs::read(r.dir.join(file)) {
            client.put_artifact(&format!("{path}/{file}"), &bytes)?;
        }
    }
    Ok(true)
}
