//! Experiment specs: TOML files describing a grid of runs.
//! Reads a spec (following `extends`), checks every key, and hands a [`Spec`] to `grid`.

pub mod experiment;
pub mod layers;
pub mod node;
pub mod overrides;
pub mod presets;
pub mod resources;
pub mod source;
pub mod suggest;
pub mod tracking;

use std::path::{Path, PathBuf};

pub use experiment::Experiment;
use node::{join_key, Node, NodeKind, Table};
pub use resources::{DeviceRequest, Resources};
pub use source::SpecError;

pub use layers::SECTIONS;

/// A loaded, checked experiment spec.
#[derive(Debug)]
pub struct Spec {
    /// The spec file given by the user.
    pub path: PathBuf,
    /// Every file read (the spec and what it extends), innermost base first.
    pub files: Vec<PathBuf>,
    /// `[experiment]`.
    pub experiment: Experiment,
    /// `[params]`: fixed for every run.
    pub params: Table,
    /// `[grid]`: axes whose cartesian product makes the runs (each value a non-empty array).
    pub grid: Table,
    /// `[[zip]]`: groups of axes that vary together, element by element.
    pub zips: Vec<Table>,
    /// `[[include]]`: extra explicit points.
    pub include: Vec<Node>,
    /// `[[exclude]]`: partial matches removed from the product.
    pub exclude: Vec<Node>,
    /// `[resources]`.
    pub resources: Resources,
    /// `[tracking]`.
    pub tracking: tracking::Tracking,
    /// The merged spec as TOML text (extends flattened, overrides applied), frozen into the
    /// runs directory.
    pub frozen: String,
    /// The command line's overrides (`KEY=VALUE`), as given, in order.
    pub overrides: Vec<String>,
}

impl Spec {
    /// Loads a spec file, following `extends` chains.
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        Spec::load_with(path, &[])
    }

    /// Loads a spec file with command-line overrides (`KEY=VALUE`, see [`overrides`]) applied
    /// over it.
    pub fn load_with(path: &Path, overrides: &[String]) -> Result<Spec, SpecError> {
        let parsed = overrides
            .iter()
            .enumerate()
            .map(|(i, o)| overrides::parse(i, o))
            .collect::<Result<Vec<_>, _>>()?;
        let mut files = Vec::new();
        let merged = overrides::apply(layers::load_layers(path, &mut files)?, &parsed)?;
        let mut spec = Spec::from_table(path, files, merged)?;
        if !overrides.is_empty() {
            let header: String = overrides.iter().map(|o| format!("#   {o}\n")).collect();
            spec.frozen = format!("# overridden on the command line:\n{header}{}", spec.frozen);
            spec.overrides = overrides.to_vec();
        }
        Ok(spec)
    }

    fn from_table(path: &Path, files: Vec<PathBuf>, table: Table) -> Result<Spec, SpecError> {
        table.deny_unknown("", SECTIONS)?;
        let exp_node = table.get("experiment").ok_or_else(|| {
            SpecError::file(path, "missing the [experiment] section")
                .help("start the file with [experiment] and name, task (and optionally seeds, description)")
        })?;
        let experiment = Experiment::parse(exp_node)?;
        let params = optional_table(&table, "params")?;
        let grid = optional_table(&table, "grid")?;
        for (key, _, value) in &grid.entries {
            check_axis_values(value, &join_key("grid", key), true)?;
        }
        let zips = table_list(&table, "zip")?
            .iter()
            .map(|n| n.as_table("zip").cloned())
            .collect::<Result<Vec<_>, _>>()?;
        for zip in &zips {
            check_zip(zip)?;
        }
        let include = table_list(&table, "include")?;
        let exclude = table_list(&table, "exclude")?;
        let resources = Resources::parse(table.get("resources"))?;
        let tracking = tracking::Tracking::parse(table.get("tracking"))?;
        let spec = Spec {
            path: path.to_path_buf(),
            files,
            experiment,
            params,
            grid,
            zips,
            include,
            exclude,
            resources,
            tracking,
            frozen: to_toml(&table),
            overrides: Vec::new(),
        };
        spec.check_key_uses()?;
        Ok(spec)
    }

    /// Names of every axis (grid and zip), in spec order.
    pub fn axis_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.grid.keys().collect();
        names.extend(self.zips.iter().flat_map(|z| z.keys()));
        names
    }

    /// Every key a run's config can have: params, axes, and `seed`.
    pub fn all_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.params.keys().collect();
        keys.extend(self.axis_names());
        keys.push("seed");
        keys
    }

    fn check_key_uses(&self) -> Result<(), SpecError> {
        let mut seen: Vec<(&str, &str)> = self.params.keys().map(|k| (k, "[params]")).collect();
        let axes = self.grid.entries.iter().map(|e| (e, "[grid]"));
        let zipped = self
            .zips
            .iter()
            .flat_map(|z| z.entries.iter())
            .map(|e| (e, "[[zip]]"));
        for ((key, loc, _), section) in axes.chain(zipped) {
            if key == "seed" {
                return Err(SpecError::at(loc, key.as_str(), "`seed` is not an axis")
                    .help("list seeds in [experiment] seeds = [...]"));
            }
            if let Some((_, other)) = seen.iter().find(|(k, _)| k == key) {
                return Err(SpecError::at(
                    loc,
                    key.as_str(),
                    format!("defined in both {other} and {section}"),
                )
                .help(
                    "a key is either fixed ([params]) or varied ([grid] or one [[zip]]), not both",
                ));
            }
            seen.push((key, section));
        }
        let axes = self.axis_names();
        let mut axes_and_seed = axes.clone();
        axes_and_seed.push("seed");
        for item in &self.exclude {
            let t = item.as_table("exclude")?;
            if t.entries.is_empty() {
                return Err(SpecError::at(
                    &item.loc,
                    "exclude",
                    "an empty [[exclude]] would remove every run",
                ));
            }
            for (key, loc, _) in &t.entries {
                if !axes_and_seed.contains(&key.as_str()) {
                    return Err(SpecError::at(
                        loc,
                        join_key("exclude", key),
                        "not an axis of the grid",
                    )
                    .help(suggest::help_for(key, &axes_and_seed, "axes")));
                }
            }
        }
        let all = self.all_keys();
        for item in &self.include {
            let t = item.as_table("include")?;
            for (key, loc, _) in &t.entries {
                if !all.contains(&key.as_str()) {
                    return Err(SpecError::at(
                        loc,
                        join_key("include", key),
                        "not a key of this experiment",
                    )
                    .help(suggest::help_for(key, &all, "known keys")));
                }
            }
        }
        Ok(())
    }
}

fn optional_table(table: &Table, key: &str) -> Result<Table, SpecError> {
    match table.get(key) {
        Some(n) => n.as_table(key).cloned(),
        None => Ok(Table::default()),
    }
}

fn table_list(table: &Table, key: &str) -> Result<Vec<Node>, SpecError> {
    match table.get(key) {
        None => Ok(Vec::new()),
        Some(n) => {
            let items = n
                .as_array(key)
                .map_err(|e| e.help(format!("write [[{key}]] tables")))?;
            for item in items {
                item.as_table(key)?;
            }
            Ok(items.to_vec())
        }
    }
}

/// Checks an axis: a non-empty array, and (`unique`) no value twice. Axes of a [[zip]] may
/// repeat values; their rows (tuples) may not.
fn check_axis_values(value: &Node, key: &str, unique: bool) -> Result<(), SpecError> {
    match &value.kind {
        NodeKind::Array(items) if items.is_empty() => Err(SpecError::at(
            &value.loc,
            key,
            "an axis needs at least one value",
        )),
        NodeKind::Array(_) if !unique => Ok(()),
        NodeKind::Array(items) => {
            // One canonical text per value (tables' keys sorted): linear in the axis.
            let mut seen = std::collections::HashSet::with_capacity(items.len());
            for a in items {
                if !seen.insert(canonical(&a.to_json())) {
                    return Err(SpecError::at(
                        &a.loc,
                        key,
                        "value listed twice on this axis",
                    ));
                }
            }
            Ok(())
        }
        _ => Err(value.wrong_type(key, "an array of values"))
            .map_err(|e| e.help("put fixed values in [params]; an axis lists the values to sweep")),
    }
}

/// A value's JSON text with every object's keys sorted, so equal values have equal texts.
fn canonical(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, String)> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            entries.sort();
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k:?}:{v}"))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(canonical).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

fn check_zip(zip: &Table) -> Result<(), SpecError> {
    let mut len = None;
    for (key, loc, value) in &zip.entries {
        let full = join_key("zip", key);
        check_axis_values(value, &full, false)?;
        let n = value.as_array(&full)?.len();
        match len {
            None => len = Some((n, key.clone())),
            Some((m, ref first)) if m != n => {
                return Err(SpecError::at(
                    loc,
                    full,
                    format!("has {n} values but `{first}` has {m}"),
                )
                .help(
                    "axes in one [[zip]] vary together, so they need the same number of values",
                ));
            }
            _ => {}
        }
    }
    // Rows (one value of each axis) must differ.
    let columns: Vec<&[Node]> = zip
        .entries
        .iter()
        .filter_map(|(_, _, v)| match &v.kind {
            NodeKind::Array(items) => Some(items.as_slice()),
            _ => None,
        })
        .collect();
    let row = |i: usize| -> String {
        let values: Vec<String> = columns.iter().map(|c| canonical(&c[i].to_json())).collect();
        values.join("\u{1f}")
    };
    let first: &[Node] = columns.first().copied().unwrap_or(&[]);
    let mut seen = std::collections::HashMap::with_capacity(first.len());
    for (i, node) in first.iter().enumerate() {
        if let Some(j) = seen.insert(row(i), i) {
            let (key, _, _) = &zip.entries[0];
            return Err(SpecError::at(
                &node.loc,
                join_key("zip", key),
                format!("row {} of this [[zip]] repeats row {}", i + 1, j + 1),
            ));
        }
    }
    Ok(())
}

/// Writes a located table back as TOML text, in source order (the frozen spec).
fn to_toml(table: &Table) -> String {
    fn value(node: &Node) -> toml::Value {
        match &node.kind {
            NodeKind::Str(s) | NodeKind::Datetime(s) => toml::Value::String(s.clone()),
            NodeKind::Int(i) => toml::Value::Integer(*i),
            NodeKind::Float(x) => toml::Value::Float(*x),
            NodeKind::Bool(b) => toml::Value::Boolean(*b),
            NodeKind::Array(a) => toml::Value::Array(a.iter().map(value).collect()),
            NodeKind::Table(t) => toml::Value::Table(table_of(t)),
        }
    }
    fn table_of(t: &Table) -> toml::Table {
        t.entries
            .iter()
            .map(|(k, _, v)| (k.clone(), value(v)))
            .collect()
    }
    let mut t = table_of(table);
    if let Some(toml::Value::Table(exp)) = t.get_mut("experiment") {
        exp.remove("extends");
    }
    toml::to_string_pretty(&t).unwrap_or_default()
}
