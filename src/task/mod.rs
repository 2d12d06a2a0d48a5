//! Task kinds: what one run does. Each kind checks its part of a spec and says how to start
//! a run as a child process; the scheduler knows nothing else about them.

pub mod artifact;
pub mod builtin;
pub mod codec;
pub mod command;
pub mod lm_codec;
pub mod placeholders;
pub mod planning;
pub mod prompt_compression;
pub mod qa_reader;
pub mod schema;
pub mod tokenizer;

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Map, Value};

use crate::grid::PlannedRun;
use crate::spec::{Spec, SpecError};

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
}

/// What a task needs to know to build an invocation.
#[derive(Debug, Clone)]
pub struct RunContext<'a> {
    /// The run's directory (absolute).
    pub run_dir: &'a Path,
    /// Working directory of the experiment (where it was launched).
    pub workdir: &'a Path,
}

/// Where a task kind's runs can execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The CPU only (classical codecs, tokenizer training): CPU slots even on a GPU machine.
    Cpu,
    /// Any device burn computes on: GPU slots when this build has a GPU backend.
    Burn,
    /// Anywhere: an external program uses the GPUs it is given by itself.
    Any,
}

impl Placement {
    /// For `runner tasks`.
    pub fn describe(self) -> &'static str {
        match self {
            Placement::Cpu => "the CPU only",
            Placement::Burn => "any burn device (CPU, or a GPU when built with a GPU backend)",
            Placement::Any => "any device (the command uses the GPUs it is given)",
        }
    }
}

/// A task kind.
pub trait Task: Sync {
    /// Name used in `[experiment] task`.
    fn name(&self) -> &'static str;
    /// One line for `runner tasks` and errors.
    fn summary(&self) -> &'static str;
    /// Where its runs can execute.
    fn placement(&self) -> Placement {
        Placement::Any
    }
    /// Checks the spec's keys and values for this task, before anything runs.
    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError>;
    /// Checks one expanded run's config (combinations of values); the error names the key.
    fn check_run(&self, _config: &Map<String, Value>) -> Result<(), (String, String)> {
        Ok(())
    }
    /// Shared artifacts a run needs (built as their own units before it runs).
    fn artifacts(&self, _config: &Map<String, Value>) -> Vec<crate::artifacts::ArtifactRequest> {
        Vec::new()
    }
    /// How to start one run (built-in tasks re-invoke this binary with `exec`).
    fn invocation(&self, _run: &PlannedRun, ctx: &RunContext<'_>) -> Result<Invocation> {
        builtin::invocation(self.name(), ctx)
    }
    /// Runs a built-in task in the run's child process and returns its metrics.
    fn execute(&self, _config: &Map<String, Value>, _ctx: &builtin::ExecContext) -> Result<Value> {
        anyhow::bail!("`{}` is not a built-in task", self.name())
    }
}

/// Every task kind runner knows.
pub fn registry() -> Vec<&'static dyn Task> {
    vec![
        &command::CommandTask,
        &codec::CodecTask,
        &lm_codec::LmCodecTask,
        &qa_reader::QaReaderTask,
        &prompt_compression::PromptCompressionTask,
        &tokenizer::TokenizerTask,
        &artifact::ArtifactTask,
    ]
}

/// The task kind called `name`.
pub fn lookup(name: &str) -> Option<&'static dyn Task> {
    registry().into_iter().find(|t| t.name() == name)
}

/// The task kind named in a spec, or an error with the known kinds.
pub fn for_spec(spec: &Spec) -> Result<&'static dyn Task, SpecError> {
    let name = &spec.experiment.task;
    lookup(name).ok_or_else(|| {
        let names: Vec<&str> = registry().iter().map(|t| t.name()).collect();
        SpecError::at(
            &spec.experiment.task_loc,
            "experiment.task",
            format!("unknown task kind `{name}`"),
        )
        .help(crate::spec::suggest::help_for(name, &names, "task kinds"))
    })
}
