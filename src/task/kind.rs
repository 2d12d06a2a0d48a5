//! A task kind as the rest of runner sees it ([`Task`]), and the typed form built-in kinds
//! implement instead ([`BuiltinTask`]: parameters parsed once per run), which a blanket impl
//! turns into a `Task`.

use anyhow::Result;
use serde_json::{Map, Value};

use super::builtin::{ExecContext, RunOutput};
use super::invocation::{self, Invocation, RunContext};
use super::need::Need;
use super::params::{self, ParamError, ParamSet, ParamSpec, Retired};
use crate::artifacts::ArtifactRequest;
use crate::grid::{PlannedRun, RunConfig};
use crate::metrics::declared::MetricDef;
use crate::spec::presets::Presets;
use crate::spec::{Spec, SpecError};

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
            Placement::Burn => "any burn device (the CPU, or a GPU when built with a GPU backend)",
            Placement::Any => "any device (the command uses the GPUs it is given)",
        }
    }
}

/// A task kind, as the rest of runner sees it.
pub trait Task: Sync {
    /// Name used in `[experiment] task`.
    fn name(&self) -> &'static str;
    /// One line for `runner tasks` and errors.
    fn summary(&self) -> &'static str;
    /// Where its runs can execute.
    fn placement(&self) -> Placement {
        Placement::Any
    }
    /// Its parameters, documented (empty for kinds without a fixed set).
    fn params(&self) -> Vec<ParamSpec> {
        Vec::new()
    }
    /// Its metrics, declared (empty when the runs decide, as external commands do).
    fn metrics(&self) -> &'static [MetricDef] {
        &[]
    }
    /// Every parameter of a run's config, defaults filled in (params.json).
    fn resolved_params(&self, config: &Map<String, Value>) -> Result<Value> {
        Ok(Value::Object(config.clone()))
    }
    /// Checks the spec's keys and values for this task, before anything runs.
    fn check_spec(&self, spec: &Spec, presets: &mut Presets) -> Result<(), SpecError>;
    /// Checks one expanded run's config (combinations of values); the error names the key.
    fn check_run(&self, _config: &RunConfig) -> Result<(), ParamError> {
        Ok(())
    }
    /// What a run needs from the machine (data sets, files, programs), checked before a launch.
    fn needs(&self, _config: &RunConfig) -> Vec<Need> {
        Vec::new()
    }
    /// Shared artifacts a run needs, in build order (built as their own units before it runs).
    fn artifacts(&self, _config: &RunConfig) -> Vec<ArtifactRequest> {
        Vec::new()
    }
    /// How to start one run (built-in tasks re-invoke this binary with `exec`).
    fn invocation(&self, _run: &PlannedRun, ctx: &RunContext<'_>) -> Result<Invocation> {
        invocation::builtin(self.name(), ctx)
    }
    /// Runs a built-in task in the run's child process.
    fn execute(&self, _config: &Map<String, Value>, _ctx: &ExecContext) -> Result<RunOutput> {
        anyhow::bail!("`{}` is not a built-in task", self.name())
    }
}

/// A task kind runner computes itself, with typed parameters parsed once per run.
pub trait BuiltinTask: Sync {
    /// Its parameters.
    type Params: ParamSet;
    /// Name used in `[experiment] task`.
    const NAME: &'static str;
    /// One line for `runner tasks`.
    const SUMMARY: &'static str;
    /// Where its runs can execute.
    const PLACEMENT: Placement;
    /// Keys it no longer takes, with where their setting went.
    const RETIRED: Retired = &[];
    /// Required keys a spec may leave out when it sets another one.
    const REQUIRED_UNLESS: params::RequiredUnless = &[];
    /// Its metrics.
    fn metrics(&self) -> &'static [MetricDef];
    /// Checks combinations of values of one run.
    fn check_params(&self, _params: &Self::Params) -> Result<(), ParamError> {
        Ok(())
    }
    /// What a run needs from the machine.
    fn needs_for(&self, _params: &Self::Params) -> Vec<Need> {
        Vec::new()
    }
    /// The shared artifacts a run needs, in build order.
    fn artifacts_for(&self, _params: &Self::Params, _seed: u64) -> Vec<ArtifactRequest> {
        Vec::new()
    }
    /// Runs one run.
    fn run(&self, params: &Self::Params, ctx: &ExecContext) -> Result<RunOutput>;
}

/// The seed of a run's config (0 when absent).
pub fn seed_of(config: &Map<String, Value>) -> u64 {
    config.get("seed").and_then(Value::as_i64).unwrap_or(0) as u64
}

impl<T: BuiltinTask> Task for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn summary(&self) -> &'static str {
        T::SUMMARY
    }

    fn placement(&self) -> Placement {
        T::PLACEMENT
    }

    fn params(&self) -> Vec<ParamSpec> {
        let mut specs = T::Params::specs();
        for p in &mut specs {
            p.required_unless = T::REQUIRED_UNLESS
                .iter()
                .find(|(name, _)| *name == p.name)
                .map(|(_, other)| *other);
        }
        specs
    }

    fn metrics(&self) -> &'static [MetricDef] {
        BuiltinTask::metrics(self)
    }

    fn resolved_params(&self, config: &Map<String, Value>) -> Result<Value> {
        Ok(serde_json::to_value(params::parse::<T::Params>(config)?)?)
    }

    fn check_spec(&self, spec: &Spec, presets: &mut Presets) -> Result<(), SpecError> {
        let specs = Task::params(self);
        params::check_spec::<T::Params>(spec, T::NAME, presets, T::RETIRED, &specs)
    }

    fn check_run(&self, config: &RunConfig) -> Result<(), ParamError> {
        self.check_params(&T::Params::from_config(&config.to_map())?)
    }

    fn needs(&self, config: &RunConfig) -> Vec<Need> {
        T::Params::from_config(&config.to_map()).map_or_else(|_| Vec::new(), |p| self.needs_for(&p))
    }

    fn artifacts(&self, config: &RunConfig) -> Vec<ArtifactRequest> {
        let map = config.to_map();
        match T::Params::from_config(&map) {
            Ok(p) => self.artifacts_for(&p, seed_of(&map)),
            Err(_) => Vec::new(),
        }
    }

    fn execute(&self, config: &Map<String, Value>, ctx: &ExecContext) -> Result<RunOutput> {
        self.run(&params::parse::<T::Params>(config)?, ctx)
    }
}
