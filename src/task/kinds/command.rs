//! The `command` task: runs any program, with `{axis}` placeholders filled from the run's config.
//!
//! ```toml
//! [params]
//! command = ["python", "train.py", "--arch", "{architecture}", "--seed", "{seed}"]
//! env = { WANDB_MODE = "offline" }    # optional, placeholders allowed
//! ```
//! A string instead of a list runs through `sh -c`. The program finds its run directory in
//! `RUNNER_RUN_DIR` and writes `metrics.json` there.

use anyhow::{bail, Result};
use serde_json::Value;

use crate::grid::PlannedRun;
use crate::spec::node::{Node, NodeKind};
use crate::spec::presets::Presets;
use crate::spec::suggest::help_for;
use crate::spec::{Spec, SpecError};
use crate::task::invocation::{Invocation, RunContext};
use crate::task::kind::Task;
use crate::task::placeholders::{fill, parse, Piece};

/// Placeholders always available besides config keys.
pub const BUILTIN_PLACEHOLDERS: &[&str] = &["run_dir", "run_id", "run_name"];

/// The `command` task kind.
pub struct CommandTask;

impl Task for CommandTask {
    fn name(&self) -> &'static str {
        "command"
    }

    fn summary(&self) -> &'static str {
        "any external program; `command` in [params] with {axis} placeholders"
    }

    fn check_spec(&self, spec: &Spec, _presets: &mut Presets) -> Result<(), SpecError> {
        let mut known: Vec<&str> = spec.all_keys();
        known.extend(BUILTIN_PLACEHOLDERS);
        let mut templates: Vec<&Node> = Vec::new();
        if let Some(node) = spec.params.get("command") {
            templates.push(node);
        } else if let Some(axis) = spec.grid.get("command") {
            templates.extend(axis.as_array("grid.command")?);
        } else {
            let in_include = spec.include.iter().any(|i| {
                i.as_table("include")
                    .is_ok_and(|t| t.get("command").is_some())
            });
            if !in_include {
                return Err(SpecError::at(
                    &spec.experiment.task_loc,
                    "params.command",
                    "the `command` task needs a command",
                )
                .help(
                    "add to [params]: command = [\"python\", \"train.py\", \"--lr\", \"{lr}\"]",
                ));
            }
        }
        for item in &spec.include {
            if let Some(node) = item.as_table("include")?.get("command") {
                templates.push(node);
            }
        }
        for node in templates {
            check_template(node, &known)?;
        }
        if let Some(env) = spec.params.get("env") {
            for (key, _, value) in &env.as_table("params.env")?.entries {
                check_placeholders(value, value.as_str(&format!("params.env.{key}"))?, &known)?;
            }
        }
        Ok(())
    }

    fn needs(&self, config: &crate::grid::RunConfig) -> Vec<crate::task::need::Need> {
        // The program of a command written as a list (a shell string is `sh`'s to resolve).
        match config
            .get("command")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            Some(Value::String(program)) if !program.contains('{') => {
                vec![crate::task::need::Need::Program {
                    name: program.clone(),
                }]
            }
            _ => Vec::new(),
        }
    }

    fn invocation(&self, run: &PlannedRun, ctx: &RunContext<'_>) -> Result<Invocation> {
        let extra = [
            ("run_dir", ctx.run_dir.display().to_string()),
            ("run_id", run.id.clone()),
            ("run_name", run.name.clone()),
        ];
        let config = run.config.to_map();
        let render = |t: &str| fill(t, &config, &extra).map_err(anyhow::Error::msg);
        let argv: Vec<String> = match run.config.get("command") {
            Some(Value::String(s)) => vec!["sh".into(), "-c".into(), render(s)?],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => render(s),
                    other => Ok(crate::task::placeholders::render_value(other)),
                })
                .collect::<Result<_>>()?,
            _ => bail!("the run's config has no `command`"),
        };
        let mut env = Vec::new();
        if let Some(Value::Object(vars)) = run.config.get("env") {
            for (k, v) in vars {
                env.push((k.clone(), render(v.as_str().unwrap_or_default())?));
            }
        }
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| anyhow::anyhow!("empty command"))?;
        Ok(Invocation {
            program: program.clone(),
            args: args.to_vec(),
            env,
            cwd: ctx.workdir.to_path_buf(),
            records_exit: false,
        })
    }
}

fn check_template(node: &Node, known: &[&str]) -> Result<(), SpecError> {
    match &node.kind {
        NodeKind::Str(s) => check_placeholders(node, s, known),
        NodeKind::Array(items) if !items.is_empty() => {
            for item in items {
                match &item.kind {
                    NodeKind::Str(s) => check_placeholders(item, s, known)?,
                    NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => {}
                    _ => return Err(item.wrong_type("command", "a string argument")),
                }
            }
            Ok(())
        }
        _ => Err(node.wrong_type(
            "command",
            "a non-empty list of arguments or a shell command string",
        )),
    }
}

fn check_placeholders(node: &Node, template: &str, known: &[&str]) -> Result<(), SpecError> {
    let pieces = parse(template).map_err(|e| SpecError::at(&node.loc, "command", e))?;
    for piece in pieces {
        if let Piece::Key(key) = piece {
            let head = key.split('.').next().unwrap_or(key);
            if !known.contains(&head) {
                return Err(SpecError::at(
                    &node.loc,
                    "command",
                    format!("placeholder `{{{key}}}` names no key of this experiment"),
                )
                .help(help_for(head, known, "known keys")));
            }
        }
    }
    Ok(())
}
