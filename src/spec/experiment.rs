//! The `[experiment]` section: name, description, task kind, seeds, naming hints.

use std::collections::BTreeMap;

use super::node::{join_key, Node, Table};
use super::source::{Loc, SpecError};

/// Keys allowed in `[experiment]`.
pub const KEYS: &[&str] = &[
    "name",
    "description",
    "task",
    "seeds",
    "extends",
    "abbrev",
    "configs",
    "max_runs",
];

/// Most runs a grid may expand to unless `[experiment] max_runs` says otherwise (a dry run
/// holds about 240 MB per million runs).
pub const DEFAULT_MAX_RUNS: u64 = 1_000_000;

/// The parsed `[experiment]` section.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Experiment name; also the default runs directory `runs/<name>`.
    pub name: String,
    /// Free text shown in the dry run and the report.
    pub description: String,
    /// Task kind (`command`, `codec`, ...).
    pub task: String,
    /// Where the task kind is written, for errors.
    pub task_loc: Loc,
    /// Seeds; each one multiplies the grid.
    pub seeds: Vec<i64>,
    /// Short prefixes for axes in run names (`target_length = "M"` gives `M64`).
    pub abbrev: BTreeMap<String, String>,
    /// Presets directory given explicitly (relative to the spec file).
    pub configs: Option<String>,
    /// Most runs the grid may expand to.
    pub max_runs: u64,
    /// Where `max_runs` (or, without it, the task kind) is written, for the limit's error.
    pub limit_loc: Loc,
}

impl Experiment {
    /// Parses the section (after `extends` has been merged).
    pub fn parse(node: &Node) -> Result<Experiment, SpecError> {
        let table = node.as_table("experiment")?;
        table.deny_unknown("experiment", KEYS)?;
        let required = |key: &str| -> Result<&Node, SpecError> {
            table.get(key).ok_or_else(|| {
                SpecError::at(
                    &node.loc,
                    join_key("experiment", key),
                    "missing required key",
                )
            })
        };
        let name_node = required("name")?;
        let name = name_node.as_str("experiment.name")?.to_string();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            || name.starts_with('.')
        {
            return Err(
                SpecError::at(&name_node.loc, "experiment.name", "invalid name").help(
                    "use letters, digits, `_`, `-` and `.`; it names the directory runs/<name>",
                ),
            );
        }
        let task_node = required("task")?;
        let task = task_node.as_str("experiment.task")?.to_string();
        let description = match table.get("description") {
            Some(n) => n.as_str("experiment.description")?.to_string(),
            None => String::new(),
        };
        let seeds = match table.get("seeds") {
            None => vec![0],
            Some(n) => parse_seeds(n)?,
        };
        let mut abbrev = BTreeMap::new();
        if let Some(n) = table.get("abbrev") {
            for (k, _, v) in &n.as_table("experiment.abbrev")?.entries {
                abbrev.insert(
                    k.clone(),
                    v.as_str(&format!("experiment.abbrev.{k}"))?.to_string(),
                );
            }
        }
        let configs = match table.get("configs") {
            Some(n) => Some(n.as_str("experiment.configs")?.to_string()),
            None => None,
        };
        let (max_runs, limit_loc) = match table.get("max_runs") {
            Some(n) => (n.as_u64("experiment.max_runs")?.max(1), n.loc.clone()),
            None => (DEFAULT_MAX_RUNS, task_node.loc.clone()),
        };
        Ok(Experiment {
            name,
            description,
            task,
            task_loc: task_node.loc.clone(),
            seeds,
            abbrev,
            configs,
            max_runs,
            limit_loc,
        })
    }
}

fn parse_seeds(node: &Node) -> Result<Vec<i64>, SpecError> {
    let items = node.as_array("experiment.seeds")?;
    if items.is_empty() {
        return Err(
            SpecError::at(&node.loc, "experiment.seeds", "the list of seeds is empty")
                .help("give at least one seed, e.g. seeds = [0]"),
        );
    }
    let mut seeds = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for item in items {
        match item.kind {
            super::node::NodeKind::Int(s) => {
                if !seen.insert(s) {
                    return Err(SpecError::at(
                        &item.loc,
                        "experiment.seeds",
                        format!("seed {s} is listed twice"),
                    ));
                }
                seeds.push(s)
            }
            _ => return Err(item.wrong_type("experiment.seeds", "an integer seed")),
        }
    }
    Ok(seeds)
}

/// Looks up a key's value in a table, used by the loader for `extends`.
pub fn extends_of(table: &Table) -> Option<&Node> {
    table
        .get("experiment")?
        .as_table("experiment")
        .ok()?
        .get("extends")
}
