//! What a run needs from the machine (data sets, files, programs): each task kind says so for a
//! run's config, and the preflight checks it before a launch starts anything.

use std::path::PathBuf;

use crate::data::registry;

/// Something a run needs from the machine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// A public data set runner knows by name (downloadable), or a file inside one.
    DataSet {
        /// The key that names it.
        key: String,
        /// The registry name.
        name: &'static str,
        /// Where it is looked for.
        path: PathBuf,
    },
    /// A file or directory given by path.
    Path {
        /// The key that names it.
        key: String,
        /// The path (relative ones from the launch's working directory).
        path: PathBuf,
    },
    /// A pretrained model: a known name (fetched when missing) or a path.
    Model {
        /// The key that names it.
        key: String,
        /// The reference as given.
        reference: String,
    },
    /// A program started by name.
    Program {
        /// Its name or path.
        name: String,
    },
}

/// What a data set reference (`squad-dev`, `canterbury/alice29.txt`, or a path) needs.
pub fn data(key: &str, reference: &str) -> Need {
    let name = reference.split('/').next().unwrap_or(reference);
    match registry::find(name).or_else(|| registry::find(reference)) {
        Some(entry) => Need::DataSet {
            key: key.to_string(),
            name: entry.name,
            path: crate::data::resolve(reference),
        },
        None => Need::Path {
            key: key.to_string(),
            path: PathBuf::from(reference),
        },
    }
}
