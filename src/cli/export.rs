//! `runner export mlflow DIR`: an experiment's runs as MLflow runs (`tracking::mlflow`).

use std::path::PathBuf;

use anyhow::Result;

use crate::error::ExitCode;

/// What to export to.
#[derive(clap::Subcommand, Debug)]
pub enum ExportCommand {
    /// One MLflow run per started run (params, metrics with their steps, tags, artifacts),
    /// through the tracking server's REST API; exporting again updates, never duplicates.
    Mlflow(MlflowArgs),
}

/// Arguments of `runner export mlflow`.
#[derive(clap::Args, Debug)]
pub struct MlflowArgs {
    /// The experiment directory (e.g. runs/phase1).
    pub dir: PathBuf,
    /// The tracking server [default: $MLFLOW_TRACKING_URI, else http://127.0.0.1:5000].
    #[arg(long)]
    pub tracking_uri: Option<String>,
    /// The MLflow experiment (created when missing) [default: the experiment's name].
    #[arg(long)]
    pub experiment: Option<String>,
}

/// `runner export`.
pub fn run(cmd: ExportCommand) -> Result<ExitCode> {
    let ExportCommand::Mlflow(args) = cmd;
    let store = crate::store::ExperimentDir::open(&args.dir)?;
    let uri = args
        .tracking_uri
        .or_else(|| std::env::var("MLFLOW_TRACKING_URI").ok())
        .unwrap_or_else(|| "http://127.0.0.1:5000".into());
    let name = match args.experiment {
        Some(n) => n,
        None => store.read_meta()?.name,
    };
    let s = crate::tracking::mlflow::export(&store, &uri, &name)?;
    if s.replaced > 0 {
        println!(
            "{} MLflow runs replaced: their runs were attempted again since",
            s.replaced
        );
    }
    if s.artifacts_skipped {
        println!("note: the server keeps artifacts where runner cannot upload them (not through its artifact proxy: start `mlflow server` with --serve-artifacts, its default); no artifact was uploaded");
    }
    println!(
        "exported to MLflow at {uri}, experiment `{name}` (id {}): {} runs created, {} updated{}",
        s.experiment_id,
        s.created,
        s.updated,
        if s.not_started > 0 {
            format!(", {} not started (not exported)", s.not_started)
        } else {
            String::new()
        }
    );
    Ok(ExitCode::Complete)
}
