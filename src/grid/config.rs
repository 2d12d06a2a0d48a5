//! A run's resolved config, kept compact: what the runs of a grid share (the fixed `[params]`,
//! each axis's values) lives once in a `ConfigTable`; a run holds the table, its seed and where
//! in the product it lies, and reads a key without building a map (a million runs fit in a
//! few hundred bytes each instead of a JSON map apiece).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// One axis of the product: a key and its resolved values with their preset names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Axis {
    /// The config key.
    pub key: String,
    /// Resolved values (presets replaced by their tables), in spec order.
    pub values: Vec<Value>,
    /// The preset name of each value, where it came from `configs/`.
    pub labels: Vec<Option<String>>,
}

/// A whole config written out: `[[include]]` points and plans of older versions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ExplicitConfig {
    /// The resolved config, `seed` included.
    pub config: Map<String, Value>,
    /// Preset names used for keys whose value came from `configs/`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// What the runs of a grid share.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ConfigTable {
    /// The fixed `[params]`, presets resolved.
    pub fixed: Map<String, Value>,
    /// Preset names of the fixed values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fixed_labels: BTreeMap<String, String>,
    /// The axes (grid keys, then zip keys); an axis's value overrides a fixed one.
    #[serde(default)]
    pub axes: Vec<Axis>,
    /// The product's dimensions, outermost first: the axes of each (one, or a zip group's).
    #[serde(default)]
    pub dims: Vec<Vec<usize>>,
    /// The seeds of the product's runs, as JSON integers (a point names one by its index).
    #[serde(default)]
    pub seeds: Vec<Value>,
    /// Configs written out whole.
    #[serde(default)]
    pub explicit: Vec<ExplicitConfig>,
}

impl ConfigTable {
    /// Checks a table read from a file: integer seeds, a label per value, and every axis in
    /// exactly one dimension whose axes exist and have the same, non-zero, number of values.
    pub fn check(&self) -> Result<(), String> {
        if !self.seeds.iter().all(Value::is_i64) {
            return Err("a seed that is not an integer".into());
        }
        if let Some(axis) = self.axes.iter().find(|a| a.labels.len() != a.values.len()) {
            return Err(format!(
                "axis `{}` has a label count unlike its values",
                axis.key
            ));
        }
        let mut dims_of_axis = vec![0usize; self.axes.len()];
        for dim in &self.dims {
            let lens: Option<Vec<usize>> = dim
                .iter()
                .map(|&a| self.axes.get(a).map(|x| x.values.len()))
                .collect();
            match lens {
                Some(l)
                    if l.first()
                        .is_some_and(|&n| n > 0 && l.iter().all(|&m| m == n)) => {}
                _ => {
                    return Err(
                        "a dimension with a missing axis, no values, or axes of unequal length"
                            .into(),
                    )
                }
            }
            for &a in dim {
                dims_of_axis[a] += 1;
            }
        }
        if let Some(a) = dims_of_axis.iter().position(|&n| n != 1) {
            return Err(format!("axis {a} is not in exactly one dimension"));
        }
        Ok(())
    }

    /// The number of points of the product.
    pub fn points(&self) -> u64 {
        (0..self.dims.len()).fold(1u64, |acc, d| acc.saturating_mul(self.dim_len(d)))
    }

    /// The number of values of dimension `d`.
    fn dim_len(&self, d: usize) -> u64 {
        self.dims[d]
            .first()
            .map_or(1, |&a| self.axes[a].values.len() as u64)
    }

    /// The value index on each axis of the product's point number `point`.
    pub fn point_indices(&self, mut point: u64) -> Vec<usize> {
        let mut indices = vec![0usize; self.axes.len()];
        for d in (0..self.dims.len()).rev() {
            let len = self.dim_len(d).max(1);
            let i = (point % len) as usize;
            point /= len;
            for &a in &self.dims[d] {
                indices[a] = i;
            }
        }
        indices
    }

    /// The value index on axis `a` of the product's point number `point`.
    pub fn axis_index(&self, mut point: u64, a: usize) -> usize {
        for d in (0..self.dims.len()).rev() {
            let len = self.dim_len(d).max(1);
            if self.dims[d].contains(&a) {
                return (point % len) as usize;
            }
            point /= len;
        }
        0
    }
}

/// Where a run's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A point of the product (its number, last dimension fastest) and the seed (its index
    /// in the table's seeds).
    Point { point: u64, seed: u32 },
    /// A config written out whole (its index in the table).
    Explicit(u32),
}

/// One run's resolved config: a view into its grid's table.
#[derive(Debug, Clone)]
pub struct RunConfig {
    table: Arc<ConfigTable>,
    origin: Origin,
}

impl PartialEq for RunConfig {
    fn eq(&self, other: &Self) -> bool {
        self.to_map() == other.to_map()
    }
}

impl RunConfig {
    /// A run's config in `table`.
    pub fn new(table: Arc<ConfigTable>, origin: Origin) -> Self {
        Self { table, origin }
    }

    /// A config written out whole, in a table of its own.
    pub fn explicit(config: Map<String, Value>, labels: BTreeMap<String, String>) -> Self {
        let table = ConfigTable {
            explicit: vec![ExplicitConfig { config, labels }],
            ..ConfigTable::default()
        };
        Self::new(Arc::new(table), Origin::Explicit(0))
    }

    /// Where the values come from.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The table this config reads from.
    pub fn table(&self) -> &Arc<ConfigTable> {
        &self.table
    }

    /// Every key with its value and preset name, unsorted (fixed keys, the axes, `seed` last
    /// for a point).
    pub fn entries(&self) -> Vec<(&str, &Value, Option<&str>)> {
        match self.origin {
            Origin::Explicit(i) => {
                let e = &self.table.explicit[i as usize];
                e.config
                    .iter()
                    .map(|(k, v)| (k.as_str(), v, e.labels.get(k).map(String::as_str)))
                    .collect()
            }
            Origin::Point { point, seed } => {
                let t = &self.table;
                let indices = t.point_indices(point);
                let mut out: Vec<(&str, &Value, Option<&str>)> = t
                    .fixed
                    .iter()
                    .filter(|(k, _)| *k != "seed" && !t.axes.iter().any(|a| &a.key == *k))
                    .map(|(k, v)| (k.as_str(), v, t.fixed_labels.get(k).map(String::as_str)))
                    .collect();
                for (a, &i) in t.axes.iter().zip(&indices) {
                    out.push((a.key.as_str(), &a.values[i], a.labels[i].as_deref()));
                }
                out.push(("seed", &t.seeds[seed as usize], None));
                out
            }
        }
    }

    /// The config's keys, sorted.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.entries().into_iter().map(|(k, _, _)| k).collect();
        keys.sort_unstable();
        keys
    }

    /// The value of `key`, if the config has it (`seed` included).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.lookup(key).map(|(v, _)| v)
    }

    /// The preset name of `key`'s value, if it came from `configs/`.
    pub fn preset_label(&self, key: &str) -> Option<&str> {
        self.lookup(key).and_then(|(_, l)| l)
    }

    fn lookup(&self, key: &str) -> Option<(&Value, Option<&str>)> {
        match self.origin {
            Origin::Explicit(i) => {
                let e = &self.table.explicit[i as usize];
                let value = e.config.get(key)?;
                Some((value, e.labels.get(key).map(String::as_str)))
            }
            Origin::Point { point, seed } => {
                let t = &self.table;
                if key == "seed" {
                    return Some((&t.seeds[seed as usize], None));
                }
                if let Some(a) = t.axes.iter().position(|a| a.key == key) {
                    let i = t.axis_index(point, a);
                    return Some((&t.axes[a].values[i], t.axes[a].labels[i].as_deref()));
                }
                let value = t.fixed.get(key)?;
                Some((value, t.fixed_labels.get(key).map(String::as_str)))
            }
        }
    }

    /// The run's seed, if its config has one.
    pub fn seed(&self) -> Option<i64> {
        self.get("seed").and_then(Value::as_i64)
    }

    /// The config as a JSON map.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, value, _) in self.entries() {
            map.insert(key.to_string(), value.clone());
        }
        map
    }

    /// The preset names used, by key.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.entries()
            .into_iter()
            .filter_map(|(k, _, l)| Some((k.to_string(), l?.to_string())))
            .collect()
    }

    /// The canonical JSON of the config (keys sorted at every level), appended to `out`.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        let mut entries = self.entries();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        out.push(b'{');
        for (i, (key, value, _)) in entries.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            super::identity::write_key(key, out);
            out.push(b':');
            super::identity::write_canonical(value, out);
        }
        out.push(b'}');
    }
}

impl Serialize for RunConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(serializer)
    }
}
