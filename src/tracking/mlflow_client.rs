//! The few calls of MLflow's REST API (2.0) an export needs, over HTTP(S) with `ureq`: JSON in,
//! JSON out, MLflow's error code and message in every error, and an unreachable server said
//! as such.

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

/// A tracking server.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the server at `uri` (e.g. `http://127.0.0.1:5000`).
    pub fn new(uri: &str) -> Result<Client> {
        if !(uri.starts_with("http://") || uri.starts_with("https://")) {
            bail!("the MLflow tracking URI `{uri}` is not an http:// or https:// address (a server started with `mlflow server`)");
        }
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(120))
            .build();
        Ok(Client {
            base: uri.trim_end_matches('/').to_string(),
            agent,
        })
    }

    fn answer(&self, what: &str, r: Result<ureq::Response, ureq::Error>) -> Result<Value> {
        match r {
            Ok(resp) if resp.header("Content-Length") == Some("0") => Ok(Value::Null),
            Ok(resp) => serde_json::from_reader(resp.into_reader()).map_err(|e| {
                crate::error::Error::Environment(anyhow!(
                    "{what}: {} answered with something that is not MLflow's JSON ({e}): is it an MLflow tracking server?",
                    self.base
                ))
                .into()
            }),
            Err(ureq::Error::Status(code, resp)) => {
                let body: Value = resp
                    .into_string()
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(Value::Null);
                let error = anyhow!(MlflowError {
                    code: body["error_code"].as_str().unwrap_or("").to_string(),
                    message: format!(
                        "{what}: HTTP {code}: {}",
                        body["message"].as_str().unwrap_or("(no message)")
                    ),
                });
                // A server failing (5xx) is the environment's problem, not the input's.
                Err(match code {
                    500.. => crate::error::Error::Environment(error).into(),
                    _ => error,
                })
            }
            Err(ureq::Error::Transport(t)) => Err(crate::error::Error::Environment(anyhow!(
                "cannot reach the MLflow tracking server at {}: {t} (is `mlflow server` running there? runner's results are unchanged)",
                self.base
            ))
            .into()),
        }
    }

    /// POST `api` (below /api/2.0/mlflow/) with a JSON body.
    pub fn post(&self, api: &str, body: &Value) -> Result<Value> {
        let url = format!("{}/api/2.0/mlflow/{api}", self.base);
        let req = self
            .agent
            .post(&url)
            .set("Content-Type", "application/json");
        self.answer(api, req.send_string(&body.to_string()))
    }

    /// GET `api` with a query.
    pub fn get(&self, api: &str, query: &[(&str, &str)]) -> Result<Value> {
        let url = format!("{}/api/2.0/mlflow/{api}", self.base);
        let mut req = self.agent.get(&url);
        for (k, v) in query {
            req = req.query(k, v);
        }
        self.answer(api, req.call())
    }

    /// Uploads a file to the server's artifact proxy at `path` (below
    /// /api/2.0/mlflow-artifacts/artifacts/).
    pub fn put_artifact(&self, path: &str, bytes: &[u8]) -> Result<()> {
        let url = format!("{}/api/2.0/mlflow-artifacts/artifacts/{path}", self.base);
        self.answer("artifact upload", self.agent.put(&url).send_bytes(bytes))
            .map(|_| ())
    }
}

/// An error MLflow answered, with its code (`RESOURCE_DOES_NOT_EXIST`, ...).
#[derive(Debug)]
pub struct MlflowError {
    /// MLflow's error code.
    pub code: String,
    /// What failed, with MLflow's message.
    pub message: String,
}

impl std::fmt::Display for MlflowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MLflow refused {}", self.message)
    }
}

impl std::error::Error for MlflowError {}

/// Whether `e` is MLflow's answer `code`.
pub fn is_code(e: &anyhow::Error, code: &str) -> bool {
    e.downcast_ref::<MlflowError>()
        .is_some_and(|m| m.code == code)
}
