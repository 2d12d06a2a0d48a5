//! Typed task parameters: each task kind declares its parameters once, as a struct made by
//! [`define::params!`] (name, type, default, one-line doc per field). The same struct checks a
//! spec before anything runs (every key and value, errors located in the file with "did you
//! mean"), is parsed once per run from its config, documents the kind in `runner tasks`, and
//! is what the CLI subcommands build, so their defaults are the spec's by construction.

pub mod define;
pub mod value;

use serde_json::{Map, Value};

pub use value::{Choice, HumanDuration, Invalid, Names, ParamValue};

use crate::spec::node::{Node, NodeKind};
use crate::spec::presets::Presets;
use crate::spec::suggest::help_for;
use crate::spec::{Spec, SpecError};

/// One parameter as documented.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Its key.
    pub name: &'static str,
    /// What a spec writes ("a non-negative integer", "gru | lstm | transformer").
    pub type_name: String,
    /// Its default as a spec would write it; `None` when a spec must set it.
    pub default: Option<String>,
    /// One line of documentation.
    pub doc: String,
    /// A required parameter a spec may leave out when it sets this other one.
    pub required_unless: Option<&'static str>,
}

/// A parameter value that cannot be used, with its key.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    /// The key.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub help: Option<String>,
}

impl ParamError {
    /// An error of `key` saying `message` (no help line).
    pub fn new(key: &str, message: impl Into<String>) -> ParamError {
        ParamError {
            key: key.into(),
            message: message.into(),
            help: None,
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParamError {}

/// A task kind's parameters.
pub trait ParamSet: Sized + Default + Clone + serde::Serialize {
    /// Every parameter, in documentation order.
    fn specs() -> Vec<ParamSpec>;
    /// Reads the parameters from a run's config (absent keys take their defaults; keys of no
    /// parameter, such as `seed`, are ignored: the spec check rejects unknown keys).
    fn from_config(config: &Map<String, Value>) -> Result<Self, ParamError>;
    /// Checks one value of `key`; `None` when no parameter has that key.
    fn check_value(key: &str, value: &Value) -> Option<Result<(), ParamError>>;
}

/// Parses the value of `key`.
pub fn parse_key<T: ParamValue>(key: &str, value: &Value) -> Result<T, ParamError> {
    T::parse(value).map_err(|e| ParamError {
        key: key.to_string(),
        message: e.message.replace("{key}", key),
        help: e.help,
    })
}

/// A doc comment's lines as one line.
pub fn one_line(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every value a key takes in a spec, with its location: the [params] value, each value of a
/// [grid] or [[zip]] axis, and each [[include]] value.
pub fn values_of<'s>(spec: &'s Spec, key: &str) -> Vec<&'s Node> {
    let mut out = Vec::new();
    if let Some(n) = spec.params.get(key) {
        out.push(n);
    }
    for table in std::iter::once(&spec.grid).chain(spec.zips.iter()) {
        if let Some(NodeKind::Array(items)) = table.get(key).map(|n| &n.kind) {
            out.extend(items.iter());
        }
    }
    for item in &spec.include {
        if let Some(n) = item.as_table("include").ok().and_then(|t| t.get(key)) {
            out.push(n);
        }
    }
    out
}

/// Keys a kind no longer takes, with where their setting went.
pub type Retired = &'static [(&'static str, &'static str)];

/// Required keys a spec may leave out when it sets another key: (required, other).
pub type RequiredUnless = &'static [(&'static str, &'static str)];

/// Checks a spec against a kind's parameters: unknown keys, missing required ones, and every
/// value (presets resolved) parsed as its parameter's type.
pub fn check_spec<P: ParamSet>(
    spec: &Spec,
    task: &str,
    presets: &mut Presets,
    retired: Retired,
    specs: &[ParamSpec],
) -> Result<(), SpecError> {
    let names: Vec<&str> = specs.iter().map(|p| p.name).collect();
    check_keys(spec, task, &names, retired)?;
    for p in specs {
        let values = values_of(spec, p.name);
        let excused = p
            .required_unless
            .is_some_and(|other| !values_of(spec, other).is_empty());
        if p.default.is_none() && values.is_empty() && !excused {
            return Err(SpecError::at(
                &spec.experiment.task_loc,
                format!("params.{}", p.name),
                match p.required_unless {
                    Some(other) => format!("the `{task}` task needs `{}` (or `{other}`)", p.name),
                    None => format!("the `{task}` task needs `{}`", p.name),
                },
            )
            .help(format!("{}: {}", p.name, p.doc)));
        }
        for node in values {
            let (value, _) = presets.resolve(p.name, node)?;
            if let Some(Err(e)) = P::check_value(p.name, &value) {
                return Err(SpecError::at(&node.loc, p.name, e.message)
                    .help(e.help.unwrap_or_else(|| format!("{}: {}", p.name, p.doc))));
            }
        }
    }
    Ok(())
}

/// Errors on the first key of [params], [grid], [[zip]] or [[include]] that is no parameter.
fn check_keys(spec: &Spec, task: &str, names: &[&str], retired: Retired) -> Result<(), SpecError> {
    let tables = std::iter::once(("params", &spec.params))
        .chain(std::iter::once(("grid", &spec.grid)))
        .chain(spec.zips.iter().map(|z| ("zip", z)));
    let includes = spec
        .include
        .iter()
        .filter_map(|i| i.as_table("include").ok())
        .map(|t| ("include", t));
    for (section, table) in tables.chain(includes) {
        for (key, loc, _) in &table.entries {
            if names.contains(&key.as_str()) || key == "seed" {
                continue;
            }
            let help = match retired.iter().find(|(k, _)| k == key) {
                Some((_, instead)) => instead.to_string(),
                None => help_for(key, names, "its parameters"),
            };
            return Err(SpecError::at(
                loc,
                format!("{section}.{key}"),
                format!("the `{task}` task has no parameter `{key}`"),
            )
            .help(help));
        }
    }
    Ok(())
}

/// Parses a run's config into a kind's parameters (for `runner exec` and the checks of each
/// expanded run).
pub fn parse<P: ParamSet>(config: &Map<String, Value>) -> anyhow::Result<P> {
    P::from_config(config).map_err(|e| anyhow::anyhow!("invalid parameter {e}"))
}
