//! Data sets: where they live (the data directory), the named public sets runner knows, and
//! loaders that turn them into texts (for codecs and language models) or QA examples.

#[cfg(test)]
pub mod damage;
pub mod models;
pub mod qa;
pub mod question_type;
pub mod registry;
pub mod sampling;
pub mod squad;
pub mod texts;
pub mod windows;

use std::path::{Path, PathBuf};

/// The data directory: `$RUNNER_DATA` if set, else the first `shared/data` found beside the
/// current directory or one of its parents (`../shared/data` for a checkout), else the one
/// beside this source tree.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUNNER_DATA") {
        return PathBuf::from(dir);
    }
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            for candidate in [dir.join("shared/data"), dir.join("../shared/data")] {
                if candidate.is_dir() {
                    return std::fs::canonicalize(&candidate).unwrap_or(candidate);
                }
            }
        }
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
    checkout.parent().unwrap_or(checkout).join("shared/data")
}

/// Resolves a dataset reference: a registry name (`canterbury`, `squad-dev`, ...) becomes its
/// path in the data directory, and `name/file` a file inside a named directory set
/// (`canterbury/alice29.txt`); anything else is a path, used as it is.
pub fn resolve(reference: &str) -> PathBuf {
    if let Some(entry) = registry::find(reference) {
        return data_dir().join(entry.path);
    }
    if let Some((name, rest)) = reference.split_once('/') {
        if let Some(entry) = registry::find(name) {
            return data_dir().join(entry.path).join(rest);
        }
    }
    PathBuf::from(reference)
}
