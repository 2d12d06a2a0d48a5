//! The burn device a run computes on. It is chosen once, in the run's own process, from the
//! slot the scheduler gave the run (`RUNNER_DEVICE`: `cpu`, `cuda:0`, or a Slurm task's
//! `cpu@node (job ...)`), and passed down to every model, artifact and compressor; model code
//! names no backend (STYLE.md). The CPU is burn's `flex` backend; a GPU slot computes on the
//! GPU backend compiled in (`--features wgpu` or `cuda`), and fails clearly when there is none.

pub mod backend;
mod nvidia;
#[cfg(feature = "wgpu")]
mod wgpu;

use anyhow::{bail, Result};
use burn::tensor::Device;

pub use backend::{compiled, gpu_backend, Backend, SeenDevice};
pub use nvidia::{nvidia_smi, visible_gpus, NvidiaGpu};

/// The device of a scheduler slot label: `cpu` (or `flex`), `cuda:N[,M...]` (the run's GPU
/// group: models compute on its first card), or `wgpu[:K]` (wgpu's K-th adapter, default its
/// preferred one: software drivers such as Mesa's lavapipe, and GPUs `nvidia-smi` does not list).
pub fn for_slot(slot: &str) -> Result<Device> {
    let label = label(slot);
    if label.is_empty() || label == "cpu" || label == "flex" {
        return Ok(Device::flex());
    }
    if let Some(group) = label.strip_prefix("cuda:") {
        let first = group.split(',').next().unwrap_or("").trim();
        return gpu_for_index(first, label);
    }
    if is_wgpu(label) {
        return wgpu_adapter(label.strip_prefix("wgpu:"));
    }
    bail!("unknown device `{label}` (expected `cpu`, `cuda:N` or `wgpu[:K]`)")
}

/// A slot's device label without a Slurm task's `@node (job ...)`.
fn label(slot: &str) -> &str {
    slot.split('@').next().unwrap_or(slot).trim()
}

/// Whether a label names a wgpu adapter by hand (`wgpu`, `wgpu:K`).
fn is_wgpu(label: &str) -> bool {
    label == "wgpu" || label.starts_with("wgpu:")
}

/// The GPU of driver index `index` on the GPU backend compiled in.
fn gpu_for_index(index: &str, label: &str) -> Result<Device> {
    match gpu_backend() {
        None => bail!(
            "the run was given GPU slot `{label}`, but this runner was built without a GPU \
             backend: build it with `--features wgpu` (or `cuda`), or set devices = \"cpu\""
        ),
        Some(Backend::Cuda) => cuda_device(index),
        Some(_) => wgpu_for_nvidia(index),
    }
}

#[cfg(feature = "cuda")]
fn cuda_device(index: &str) -> Result<Device> {
    // CUDA numbers the cards CUDA_VISIBLE_DEVICES lets it see: the slot's card is the one at
    // the index's position there (the scheduler sets it to the slot's group).
    let position = match std::env::var("CUDA_VISIBLE_DEVICES") {
        Ok(visible) if !visible.trim().is_empty() => visible
            .split(',')
            .position(|v| v.trim() == index)
            .unwrap_or(0),
        _ => index
            .parse()
            .map_err(|_| anyhow::anyhow!("GPU slot `cuda:{index}`: not a GPU index"))?,
    };
    Ok(Device::cuda(position))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device(_: &str) -> Result<Device> {
    unreachable!("cuda is not compiled in")
}

#[cfg(feature = "wgpu")]
fn wgpu_for_nvidia(index: &str) -> Result<Device> {
    wgpu::for_nvidia_index(index)
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_for_nvidia(_: &str) -> Result<Device> {
    unreachable!("wgpu is not compiled in")
}

#[cfg(feature = "wgpu")]
fn wgpu_adapter(k: Option<&str>) -> Result<Device> {
    wgpu::by_position(k)
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_adapter(_: Option<&str>) -> Result<Device> {
    bail!("device `wgpu` asked for, but this runner was built without it: build with `--features wgpu`")
}

/// The device this process was given by the scheduler (`RUNNER_DEVICE`; the CPU when unset,
/// as for commands run by hand).
pub fn from_environment() -> Result<Device> {
    for_slot(&std::env::var("RUNNER_DEVICE").unwrap_or_default())
}

/// The backend this process computes on, from `RUNNER_DEVICE`'s label alone (no device is
/// opened): what a trained artifact built here is keyed by. The launcher sets `RUNNER_DEVICE`
/// to its first slot's, so it plans with the ids its runs will use.
pub fn artifact_backend() -> Backend {
    let slot = std::env::var("RUNNER_DEVICE").unwrap_or_default();
    let label = label(&slot);
    if label.starts_with("cuda:") {
        gpu_backend().unwrap_or(Backend::Flex)
    } else if is_wgpu(label) {
        Backend::Wgpu
    } else {
        Backend::Flex
    }
}

/// The CPU device (for tests and for tools that compute on the CPU only).
pub fn cpu() -> Device {
    Device::flex()
}

/// The backend a device belongs to.
pub fn backend_of(device: &Device) -> Backend {
    let device = device.clone().without_autodiff();
    if device == Device::flex() {
        return Backend::Flex;
    }
    let debug = format!("{device:?}");
    if debug.contains("Cuda") {
        Backend::Cuda
    } else {
        Backend::Wgpu
    }
}

/// A short description of a device for params.json and metrics.json: `cpu (flex)`, or the
/// adapter's name and backend (`NVIDIA H200 (wgpu)`).
pub fn describe(device: &Device) -> String {
    match backend_of(device) {
        Backend::Flex => "cpu (flex)".to_string(),
        backend => format!("{} ({})", adapter_name(device), backend.name()),
    }
}

#[cfg(feature = "wgpu")]
use wgpu::adapter_name;

#[cfg(not(feature = "wgpu"))]
fn adapter_name(device: &Device) -> String {
    format!("{device:?}")
}

/// Every device of every compiled backend. GPU backends that cannot start (no Vulkan loader or
/// driver) give an error line instead of devices.
pub fn seen() -> Vec<std::result::Result<SeenDevice, String>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    #[cfg_attr(not(any(feature = "wgpu", feature = "cuda")), allow(unused_mut))]
    let mut all = vec![Ok(SeenDevice {
        backend: Backend::Flex,
        label: "cpu".into(),
        name: format!("CPU, {cores} cores"),
        kind: "cpu".into(),
        memory_mib: machine_memory_mib(),
    })];
    #[cfg(feature = "wgpu")]
    all.extend(wgpu::seen());
    #[cfg(feature = "cuda")]
    all.extend(nvidia_smi().into_iter().map(|g| {
        Ok(SeenDevice {
            backend: Backend::Cuda,
            label: format!("cuda:{}", g.index),
            name: g.name,
            kind: "discrete GPU".into(),
            memory_mib: g.memory_mib,
        })
    }));
    all
}

/// The machine's memory in MiB (Linux's /proc/meminfo), if it can be read.
fn machine_memory_mib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_map_to_devices() {
        assert_eq!(for_slot("cpu").unwrap(), Device::flex());
        assert_eq!(for_slot("cpu@node1 (job 3_1)").unwrap(), Device::flex());
        assert_eq!(for_slot("").unwrap(), Device::flex());
        assert!(for_slot("tpu:0").is_err());
        assert_eq!(describe(&cpu()), "cpu (flex)");
        assert_eq!(backend_of(&cpu().autodiff()), Backend::Flex);
        for b in [Backend::Flex, Backend::Wgpu, Backend::Cuda] {
            assert_eq!(Backend::parse(b.name()), Some(b));
        }
    }

    #[test]
    #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
    fn gpu_slots_need_a_gpu_backend() {
        assert_eq!(compiled(), vec![Backend::Flex]);
        let gpu = for_slot("cuda:0").unwrap_err().to_string();
        assert!(gpu.contains("without a GPU backend"), "{gpu}");
        assert!(gpu.contains("--features wgpu"), "{gpu}");
        let wgpu = for_slot("wgpu").unwrap_err().to_string();
        assert!(wgpu.contains("--features wgpu"), "{wgpu}");
    }
}
