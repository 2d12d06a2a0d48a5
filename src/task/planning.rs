//! Planning: a spec file loaded, checked against its task kind (every key and value, and every
//! expanded run's combination of values), and expanded into its grid.

use std::path::Path;

use crate::grid::{expand, Grid};
use crate::spec::presets::Presets;
use crate::spec::{Spec, SpecError};

/// Loads a spec file with command-line overrides (`KEY=VALUE`), checks it for its task kind,
/// and expands its grid.
pub fn plan(path: &Path, overrides: &[String]) -> anyhow::Result<(Spec, Grid)> {
    let spec = Spec::load_with(path, overrides)?;
    let task = super::for_spec(&spec)?;
    let mut presets = Presets::new(Presets::locate(
        &spec.path,
        spec.experiment.configs.as_deref(),
    ));
    task.check_spec(&spec, &mut presets)?;
    let grid = expand(&spec, &mut presets)?;
    for run in &grid.runs {
        if let Err(e) = task.check_run(&run.config) {
            let value = run.config.get(&e.key);
            let node = super::params::values_of(&spec, &e.key)
                .into_iter()
                .find(|n| Some(&n.to_json()) == value);
            let loc = node.map_or(&spec.experiment.task_loc, |n| &n.loc);
            let message = format!("{} (in run {})", e.message, run.name);
            let error = SpecError::at(loc, e.key, message);
            return Err(match e.help {
                Some(help) => error.help(help),
                None => error,
            }
            .into());
        }
    }
    Ok((spec, grid))
}
