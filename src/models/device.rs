//! The burn device a run computes on. It is chosen once, in the run's own process, from the
//! slot the scheduler gave the run (`RUNNER_DEVICE`: `cpu`, `cuda:0`, or a Slurm task's
//! `cpu@node (job ...)`), and passed down to every model, artifact and compressor; model code
//! names no backend (STYLE.md). This build computes on the CPU with burn's `flex` backend.

use anyhow::Result;
use burn::tensor::Device;

/// GPUs visible to this process: CUDA_VISIBLE_DEVICES when set, else `nvidia-smi -L`.
pub fn visible_gpus() -> Vec<String> {
    if let Ok(visible) = std::env::var("CUDA_VISIBLE_DEVICES") {
        let visible = visible.trim();
        if visible.is_empty() || visible == "-1" || visible == "NoDevFiles" {
            return Vec::new();
        }
        return visible
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    let Ok(out) = std::process::Command::new("nvidia-smi").arg("-L").output() else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.strip_prefix("GPU ")?
                .split(':')
                .next()
                .map(|n| n.trim().to_string())
        })
        .collect()
}

/// The GPU backend compiled into this binary, if any (none in the default build).
pub fn gpu_backend() -> Option<&'static str> {
    None
}

/// The device of a scheduler slot label.
pub fn for_slot(slot: &str) -> Result<Device> {
    let label = slot.split('@').next().unwrap_or(slot).trim();
    if label.is_empty() || label == "cpu" {
        return Ok(Device::flex());
    }
    if label.starts_with("cuda:") {
        anyhow::bail!(
            "the run was given GPU slot `{label}`, but this runner was built without a GPU backend"
        );
    }
    anyhow::bail!("unknown device `{label}` (expected `cpu` or `cuda:N`)")
}

/// The device this process was given by the scheduler (`RUNNER_DEVICE`; the CPU when unset,
/// as for commands run by hand).
pub fn from_environment() -> Result<Device> {
    for_slot(&std::env::var("RUNNER_DEVICE").unwrap_or_default())
}

/// The CPU device (for tools run outside a launch, such as `runner lm-codec compress`).
pub fn cpu() -> Device {
    Device::flex()
}

/// A short description of a device for metrics.json (`cpu (flex)`, ...).
pub fn describe(device: &Device) -> String {
    if *device == Device::flex() {
        "cpu (flex)".to_string()
    } else {
        format!("{device:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_map_to_devices() {
        assert_eq!(for_slot("cpu").unwrap(), Device::flex());
        assert_eq!(for_slot("cpu@node1 (job 3_1)").unwrap(), Device::flex());
        assert_eq!(for_slot("").unwrap(), Device::flex());
        let gpu = for_slot("cuda:0").unwrap_err().to_string();
        assert!(gpu.contains("without a GPU backend"), "{gpu}");
        assert!(for_slot("tpu:0").is_err());
        assert_eq!(describe(&cpu()), "cpu (flex)");
    }
}
