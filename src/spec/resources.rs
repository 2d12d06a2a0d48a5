//! The `[resources]` section: which devices, how many runs per device, limits and retries.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::node::{Node, NodeKind};
use super::source::SpecError;

/// Keys allowed in `[resources]`.
pub const KEYS: &[&str] = &[
    "devices",
    "runs_per_device",
    "gpus_per_run",
    "timeout",
    "retries",
    "threads",
    "kill_grace",
    "memory",
];

/// Which devices a grid may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRequest {
    /// GPUs from CUDA_VISIBLE_DEVICES or `nvidia-smi -L`, else the CPU.
    Auto,
    /// The CPU only.
    Cpu,
    /// An explicit list such as `["cuda:0", "cuda:1"]` or `["cpu"]`.
    List(Vec<String>),
}

/// The parsed `[resources]` section (stored in `experiment.json` so resume uses the same).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resources {
    /// Devices to schedule on.
    pub devices: DeviceRequest,
    /// Concurrent runs per device; None = 1 per GPU, and cores/threads for the CPU.
    pub runs_per_device: Option<u32>,
    /// GPUs given to each run.
    pub gpus_per_run: u32,
    /// Per-run wall-clock limit.
    #[serde(with = "humantime_serde_opt")]
    pub timeout: Option<Duration>,
    /// Extra attempts after a failure.
    pub retries: u32,
    /// CPU threads per run (OMP_NUM_THREADS, RAYON_NUM_THREADS, RUNNER_THREADS).
    pub threads: u32,
    /// Time between SIGTERM and SIGKILL when a run is stopped.
    #[serde(with = "humantime_serde_opt")]
    pub kill_grace: Option<Duration>,
    /// Memory per run on a cluster (`--mem`), e.g. "16G".
    #[serde(default)]
    pub memory: Option<String>,
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            devices: DeviceRequest::Auto,
            runs_per_device: None,
            gpus_per_run: 1,
            timeout: None,
            retries: 0,
            threads: 1,
            kill_grace: Some(Duration::from_secs(10)),
            memory: None,
        }
    }
}

impl Resources {
    /// Parses the section; an absent section gives the defaults.
    pub fn parse(node: Option<&Node>) -> Result<Resources, SpecError> {
        let mut r = Resources::default();
        let Some(node) = node else { return Ok(r) };
        let table = node.as_table("resources")?;
        table.deny_unknown("resources", KEYS)?;
        for (key, _, value) in &table.entries {
            let full = format!("resources.{key}");
            match key.as_str() {
                "devices" => r.devices = parse_devices(value)?,
                "runs_per_device" => r.runs_per_device = Some(positive(value, &full)?),
                "gpus_per_run" => r.gpus_per_run = positive(value, &full)?,
                "timeout" => r.timeout = Some(parse_duration(value, &full)?),
                "retries" => r.retries = value.as_u64(&full)?.min(u32::MAX as u64) as u32,
                "threads" => r.threads = positive(value, &full)?,
                "kill_grace" => r.kill_grace = Some(parse_duration(value, &full)?),
                "memory" => r.memory = Some(parse_memory(value, &full)?),
                _ => unreachable!("deny_unknown checked the keys"),
            }
        }
        Ok(r)
    }
}

fn positive(node: &Node, key: &str) -> Result<u32, SpecError> {
    match node.kind {
        NodeKind::Int(i) if i >= 1 && i <= u32::MAX as i64 => Ok(i as u32),
        _ => Err(node.wrong_type(key, "a positive integer")),
    }
}

/// A memory size such as "16G", "512M" or a number of megabytes.
fn parse_memory(node: &Node, key: &str) -> Result<String, SpecError> {
    let help = "write e.g. \"16G\", \"512M\" or a number of megabytes";
    match &node.kind {
        NodeKind::Int(mb) if *mb > 0 => Ok(format!("{mb}M")),
        NodeKind::Str(s) => {
            let digits = s.trim_end_matches(['K', 'M', 'G', 'T']);
            if !digits.is_empty()
                && digits.len() + 1 >= s.len()
                && digits.chars().all(|c| c.is_ascii_digit())
            {
                Ok(s.clone())
            } else {
                Err(SpecError::at(&node.loc, key, format!("invalid memory size `{s}`")).help(help))
            }
        }
        _ => Err(node.wrong_type(key, "a memory size such as \"16G\"")),
    }
}

fn parse_devices(node: &Node) -> Result<DeviceRequest, SpecError> {
    let help = "use \"auto\", \"cpu\", or a list such as [\"cuda:0\", \"cuda:1\"]";
    match &node.kind {
        NodeKind::Str(s) if s == "auto" => Ok(DeviceRequest::Auto),
        NodeKind::Str(s) if s == "cpu" => Ok(DeviceRequest::Cpu),
        NodeKind::Array(items) if !items.is_empty() => {
            let mut list = Vec::new();
            for item in items {
                let name = item.as_str("resources.devices")?;
                if !valid_device(name) {
                    return Err(SpecError::at(
                        &item.loc,
                        "resources.devices",
                        format!("unknown device `{name}`"),
                    )
                    .help(help));
                }
                list.push(name.to_string());
            }
            Ok(DeviceRequest::List(list))
        }
        _ => Err(
            SpecError::at(&node.loc, "resources.devices", "invalid device selection").help(help),
        ),
    }
}

fn valid_device(name: &str) -> bool {
    name == "cpu"
        || name
            .strip_prefix("cuda:")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// A duration written as `"2h"`, `"90s"`, `"1h 30m"` or a number of seconds.
pub fn parse_duration(node: &Node, key: &str) -> Result<Duration, SpecError> {
    match &node.kind {
        NodeKind::Int(s) if *s > 0 => Ok(Duration::from_secs(*s as u64)),
        NodeKind::Float(s) if *s > 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(*s)),
        NodeKind::Str(s) => humantime::parse_duration(s).map_err(|e| {
            SpecError::at(&node.loc, key, format!("invalid duration `{s}`: {e}"))
                .help("write e.g. \"90s\", \"30m\", \"2h\", \"1h 30m\", or a number of seconds")
        }),
        _ => Err(node.wrong_type(key, "a duration such as \"2h\" or a number of seconds")),
    }
}

mod humantime_serde_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| humantime::parse_duration(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}
