//! Devices of burn's wgpu backend. Vulkan ignores CUDA_VISIBLE_DEVICES and numbers adapters
//! its own way, so a `cuda:N` slot is matched to its adapter by the card's PCI bus id.

use anyhow::{anyhow, bail, Result};
use burn::tensor::{Device, DeviceKind, DeviceType};

use super::backend::{Backend, SeenDevice};
use super::nvidia::{self, NvidiaGpu};

/// wgpu's adapters in its enumeration order (`wgpu:K` is the K-th).
fn adapters() -> Result<Vec<Device>> {
    let listed = std::panic::catch_unwind(|| Device::enumerate(DeviceType::Wgpu).to_vec());
    match listed {
        Ok(devices) if !devices.is_empty() => Ok(devices),
        _ => bail!(
            "wgpu found no adapter: install a Vulkan loader and driver (`libvulkan1` and the GPU \
             vendor's driver; `mesa-vulkan-drivers` for a CPU-only machine)"
        ),
    }
}

/// The PCI bus id an adapter reports, if any.
fn bus_id(device: &Device) -> Option<String> {
    let physical = device.identity()?.physical?;
    Some(physical.pci_address?.to_string())
}

/// The adapter of the NVIDIA card with driver index `index` (a `cuda:N` slot).
pub fn for_nvidia_index(index: &str) -> Result<Device> {
    let Some(gpu) = nvidia::by_index(index) else {
        // No NVIDIA driver to ask: the index counts wgpu's discrete GPUs.
        let n: usize = index
            .parse()
            .map_err(|_| anyhow!("GPU slot `cuda:{index}`: not a GPU index"))?;
        return Ok(Device::wgpu(DeviceKind::DiscreteGpu(n)));
    };
    let adapters = adapters()?;
    if let Some(device) = adapters
        .iter()
        .find(|d| bus_id(d).is_some_and(|bus| nvidia::same_bus(&bus, &gpu.bus_id)))
    {
        return Ok(device.clone());
    }
    let names: Vec<String> = adapters.iter().map(describe_adapter).collect();
    bail!(
        "GPU cuda:{index} ({}, bus {}) is not among wgpu's adapters ({}): is the NVIDIA Vulkan \
         driver installed (nvidia_icd.json)?",
        gpu.name,
        gpu.bus_id,
        names.join("; ")
    )
}

/// `wgpu:K` (the K-th adapter) or `wgpu` (wgpu's preferred adapter).
pub fn by_position(k: Option<&str>) -> Result<Device> {
    let Some(k) = k else {
        adapters()?;
        return Ok(Device::wgpu(DeviceKind::DefaultDevice));
    };
    let k: usize = k
        .parse()
        .map_err(|_| anyhow!("device `wgpu:{k}`: K must be an adapter number"))?;
    let adapters = adapters()?;
    let n = adapters.len();
    adapters
        .into_iter()
        .nth(k)
        .ok_or_else(|| anyhow!("device `wgpu:{k}`: wgpu has {n} adapter(s), numbered from 0"))
}

fn describe_adapter(device: &Device) -> String {
    format!("{} [{}]", adapter_name(device), kind(device))
}

/// The adapter's kind as burn names it (`DiscreteGpu`, `Cpu`, ...).
fn kind(device: &Device) -> String {
    let debug = format!("{device:?}");
    [
        "DiscreteGpu",
        "IntegratedGpu",
        "VirtualGpu",
        "Cpu",
        "DefaultDevice",
    ]
    .into_iter()
    .find(|k| debug.contains(k))
    .map_or(debug.clone(), |k| match k {
        "DiscreteGpu" => "discrete GPU".into(),
        "IntegratedGpu" => "integrated GPU".into(),
        "VirtualGpu" => "virtual GPU".into(),
        "Cpu" => "cpu (software driver)".into(),
        other => other.into(),
    })
}

/// wgpu's adapters for `runner devices`: NVIDIA cards under their `cuda:N` label (what a spec
/// names), the others as `wgpu:K`.
pub fn seen() -> Vec<std::result::Result<SeenDevice, String>> {
    let adapters = match adapters() {
        Ok(a) => a,
        Err(e) => return vec![Err(format!("wgpu: {e}"))],
    };
    let nvidia = nvidia::nvidia_smi();
    adapters
        .iter()
        .enumerate()
        .map(|(k, device)| {
            let card: Option<&NvidiaGpu> = bus_id(device)
                .and_then(|bus| nvidia.iter().find(|g| nvidia::same_bus(&bus, &g.bus_id)));
            Ok(SeenDevice {
                backend: Backend::Wgpu,
                label: card.map_or(format!("wgpu:{k}"), |g| format!("cuda:{}", g.index)),
                name: adapter_name(device),
                kind: kind(device),
                memory_mib: card.and_then(|g| g.memory_mib),
            })
        })
        .collect()
}

/// The adapter's name as the driver gives it.
pub fn adapter_name(device: &Device) -> String {
    device
        .identity()
        .map(|i| i.name)
        .unwrap_or_else(|| format!("{device:?}"))
}
