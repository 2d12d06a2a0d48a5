//! How a run is started: the program, arguments, environment and directory of its child
//! process. Built-in kinds re-invoke this binary as `runner exec --task KIND RUN_DIR`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// How to start one run.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Program to execute.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub cwd: PathBuf,
    /// Whether the program records its own exit (exit.json), as `runner exec` does; any
    /// other program runs under `runner supervise`, which records it.
    pub records_exit: bool,
}

/// What a task needs to know to build an invocation.
#[derive(Debug, Clone)]
pub struct RunContext<'a> {
    /// The run's directory (absolute).
    pub run_dir: &'a Path,
    /// Working directory of the experiment (where it was launched).
    pub workdir: &'a Path,
}

/// This runner's executable (after a rebuild during a long launch, the running binary's file
/// is replaced and Linux reports its path with " (deleted)": the new binary at the same path).
pub fn runner_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the runner executable")?;
    Ok(
        match exe.to_str().and_then(|p| p.strip_suffix(" (deleted)")) {
            Some(path) => PathBuf::from(path),
            None => exe,
        },
    )
}

/// The invocation that runs built-in task `kind` in the run directory.
pub fn builtin(kind: &str, ctx: &RunContext<'_>) -> Result<Invocation> {
    Ok(Invocation {
        program: runner_exe()?.display().to_string(),
        args: vec![
            "exec".into(),
            "--task".into(),
            kind.into(),
            ctx.run_dir.display().to_string(),
        ],
        env: Vec::new(),
        cwd: ctx.workdir.to_path_buf(),
        records_exit: true,
    })
}
