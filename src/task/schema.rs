//! Parameter schemas of built-in tasks: which keys a spec may set and of what type, checked
//! before anything runs, with "did you mean" for misspelt keys.

use crate::spec::node::{Node, NodeKind};
use crate::spec::suggest::help_for;
use crate::spec::{Spec, SpecError};

/// The type a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A string.
    Str,
    /// An integer.
    Int,
    /// A number.
    Number,
    /// A boolean.
    Bool,
    /// A string or a table.
    StrOrTable,
    /// A string or an integer.
    StrOrInt,
    /// A string or a list of strings.
    StrOrList,
    /// A duration: a string such as "5ms" or a number of seconds.
    Duration,
}

impl Kind {
    fn accepts(self, node: &Node) -> bool {
        match (self, &node.kind) {
            (Kind::Str, NodeKind::Str(_))
            | (Kind::Int, NodeKind::Int(_))
            | (Kind::Bool, NodeKind::Bool(_)) => true,
            (Kind::Number, NodeKind::Int(_) | NodeKind::Float(_)) => true,
            (Kind::StrOrTable, NodeKind::Str(_) | NodeKind::Table(_)) => true,
            (Kind::StrOrInt, NodeKind::Str(_) | NodeKind::Int(_)) => true,
            (Kind::StrOrList, NodeKind::Str(_)) => true,
            (Kind::StrOrList, NodeKind::Array(items)) => {
                items.iter().all(|i| matches!(i.kind, NodeKind::Str(_)))
            }
            (Kind::Duration, NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_)) => true,
            _ => false,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Int => "an integer",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::StrOrTable => "a string or a table",
            Kind::StrOrInt => "a string or an integer",
            Kind::StrOrList => "a string or a list of strings",
            Kind::Duration => "a duration such as \"5ms\"",
        }
    }
}

/// One parameter of a built-in task.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Key.
    pub name: &'static str,
    /// Accepted type.
    pub kind: Kind,
    /// Whether a spec must set it.
    pub required: bool,
    /// One line for `runner tasks --params` and errors.
    pub doc: &'static str,
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

/// Checks a spec against a task's parameters: unknown keys, missing required ones, types.
pub fn check(spec: &Spec, task: &str, params: &[Param]) -> Result<(), SpecError> {
    let names: Vec<&str> = params.iter().map(|p| p.name).collect();
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
            if !names.contains(&key.as_str()) && key != "seed" {
                return Err(SpecError::at(
                    loc,
                    format!("{section}.{key}"),
                    format!("the `{task}` task has no parameter `{key}`"),
                )
                .help(help_for(key, &names, "its parameters")));
            }
        }
    }
    for p in params {
        let values = values_of(spec, p.name);
        if p.required && values.is_empty() {
            return Err(SpecError::at(
                &spec.experiment.task_loc,
                format!("params.{}", p.name),
                format!("the `{task}` task needs `{}`", p.name),
            )
            .help(format!("{}: {}", p.name, p.doc)));
        }
        for v in values {
            if !p.kind.accepts(v) {
                return Err(v.wrong_type(p.name, p.kind.describe()).help(p.doc));
            }
        }
    }
    Ok(())
}

/// Checks that every value of `key` is one of `allowed` (error at the value, with "did you
/// mean").
pub fn check_names(
    spec: &Spec,
    key: &str,
    allowed: &[&str],
    plural: &str,
) -> Result<(), SpecError> {
    for node in values_of(spec, key) {
        let name = node.as_str(key)?;
        if !allowed.contains(&name) {
            return Err(
                SpecError::at(&node.loc, key, format!("unknown {key} `{name}`"))
                    .help(help_for(name, allowed, plural)),
            );
        }
    }
    Ok(())
}
