//! A spec's layers: the file and the files it `extends`, merged child over base (the command
//! line's overrides are one more layer, `overrides`).

use std::path::{Path, PathBuf};

use super::experiment;
use super::node::{self, NodeKind, Table};
use super::source::SpecError;

/// Top-level sections of a spec file.
pub const SECTIONS: &[&str] = &[
    "experiment",
    "params",
    "grid",
    "zip",
    "include",
    "exclude",
    "resources",
    "tracking",
];

/// Loads `path` and what it extends; later (child) layers override earlier (base) ones.
/// `files` receives every file read, innermost base first.
pub fn load_layers(path: &Path, files: &mut Vec<PathBuf>) -> Result<Table, SpecError> {
    load_layer(path, files, &mut Vec::new())
}

fn load_layer(
    path: &Path,
    files: &mut Vec<PathBuf>,
    stack: &mut Vec<PathBuf>,
) -> Result<Table, SpecError> {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if stack.contains(&canonical) {
        return Err(SpecError::file(path, "`extends` forms a cycle"));
    }
    stack.push(canonical);
    let (_, table) = node::parse_file(path)?;
    table.deny_unknown("", SECTIONS)?;
    let merged = match experiment::extends_of(&table) {
        None => table,
        Some(ext) => {
            let rel = ext.as_str("experiment.extends")?;
            let base_path = path.parent().unwrap_or(Path::new(".")).join(rel);
            if !base_path.is_file() {
                return Err(SpecError::at(
                    &ext.loc,
                    "experiment.extends",
                    format!("no such file: {}", base_path.display()),
                )
                .help("the path is relative to the file that says `extends`"));
            }
            let base = load_layer(&base_path, files, stack)?;
            merge(base, table)
        }
    };
    files.push(path.to_path_buf());
    Ok(merged)
}

/// Merges a child layer over its base: tables key by key; `[[zip]]`, `[[include]]`
/// and `[[exclude]]` appended. A key that ends up in two sections is reported later
/// by `check_key_uses`, naming where each is written.
pub fn merge(mut base: Table, child: Table) -> Table {
    for (section, key_loc, value) in child.entries {
        let base_value = base
            .entries
            .iter_mut()
            .find(|(k, _, _)| *k == section)
            .map(|e| &mut e.2);
        match (section.as_str(), base_value) {
            ("experiment" | "params" | "grid" | "resources" | "tracking", Some(existing)) => {
                if let (NodeKind::Table(into), NodeKind::Table(from)) =
                    (&mut existing.kind, value.kind)
                {
                    for (k, l, v) in from.entries {
                        if k != "extends" {
                            into.set(k, l, v);
                        }
                    }
                }
            }
            ("zip" | "include" | "exclude", Some(existing)) => {
                if let (NodeKind::Array(into), NodeKind::Array(from)) =
                    (&mut existing.kind, value.kind)
                {
                    into.extend(from);
                }
            }
            (_, _) => base.set(section, key_loc, value),
        }
    }
    base
}
