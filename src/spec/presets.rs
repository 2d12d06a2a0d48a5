//! Named presets from `configs/`: a string value of key `k` names a table in `configs/k.toml`.
//! For example `loss_weights = "balanced"` resolves to `[balanced]` of `configs/loss_weights.toml`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::node::{parse_file, Node, NodeKind, Table};
use super::source::SpecError;
use super::suggest::help_for;

/// The presets directory and the preset files read from it so far.
#[derive(Debug, Default)]
pub struct Presets {
    dir: Option<PathBuf>,
    files: HashMap<String, Option<Table>>,
}

impl Presets {
    /// Presets found in `dir` (None: no presets directory).
    pub fn new(dir: Option<PathBuf>) -> Presets {
        Presets {
            dir,
            files: HashMap::new(),
        }
    }

    /// The presets directory for a spec: `[experiment] configs` if given, else the first
    /// `configs/` directory found walking up from the spec's own directory.
    pub fn locate(spec_path: &Path, explicit: Option<&str>) -> Option<PathBuf> {
        // A bare file name's parent is "", which canonicalize refuses: that is ".".
        let spec_dir = match spec_path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        if let Some(rel) = explicit {
            return Some(spec_dir.join(rel));
        }
        let start = std::fs::canonicalize(spec_dir).ok()?;
        start
            .ancestors()
            .map(|d| d.join("configs"))
            .find(|d| d.is_dir())
    }

    /// The directory, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Resolves `value` of `key`: a string naming a preset becomes the preset's table.
    /// Returns the resolved value and, for presets, the preset's name as a label.
    pub fn resolve(
        &mut self,
        key: &str,
        value: &Node,
    ) -> Result<(Value, Option<String>), SpecError> {
        let NodeKind::Str(name) = &value.kind else {
            return Ok((value.to_json(), None));
        };
        let file = self
            .dir
            .as_ref()
            .map(|d| d.join(format!("{key}.toml")))
            .unwrap_or_default();
        let Some(table) = self.file(key)? else {
            return Ok((value.to_json(), None));
        };
        match table.get(name) {
            Some(preset) => {
                preset.as_table(&format!("{key}.{name}"))?;
                Ok((preset.to_json(), Some(name.clone())))
            }
            None => {
                let names: Vec<&str> = table.keys().collect();
                Err(SpecError::at(
                    &value.loc,
                    key,
                    format!("no preset `{name}` in {}", file.display()),
                )
                .help(help_for(name, &names, "presets")))
            }
        }
    }

    fn file(&mut self, key: &str) -> Result<Option<&Table>, SpecError> {
        if !self.files.contains_key(key) {
            let path = self.dir.as_ref().map(|d| d.join(format!("{key}.toml")));
            let table = match path {
                Some(p) if p.is_file() => Some(parse_file(&p)?.1),
                _ => None,
            };
            self.files.insert(key.to_string(), table);
        }
        Ok(self.files[key].as_ref())
    }
}
