//! What the NVIDIA driver says about the GPUs: `CUDA_VISIBLE_DEVICES` and `nvidia-smi`. The
//! scheduler numbers GPU slots as the driver does; backends that do not honour
//! `CUDA_VISIBLE_DEVICES` (Vulkan) find the slot's card by its PCI bus id.

/// One GPU as `nvidia-smi` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct NvidiaGpu {
    /// The driver's index (what `cuda:N` and CUDA_VISIBLE_DEVICES name).
    pub index: String,
    /// PCI bus id, `00000000:07:00.0`.
    pub bus_id: String,
    /// Product name.
    pub name: String,
    /// Total memory in MiB.
    pub memory_mib: Option<u64>,
}

/// GPUs visible to this process: CUDA_VISIBLE_DEVICES when set, else `nvidia-smi`'s list.
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
    nvidia_smi().into_iter().map(|g| g.index).collect()
}

/// Every GPU the driver lists (whatever CUDA_VISIBLE_DEVICES says); empty without a driver.
pub fn nvidia_smi() -> Vec<NvidiaGpu> {
    let Ok(out) = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=index,pci.bus_id,name,memory.total",
            "--format=csv,noheader,nounits",
        ])
        .output()
    else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// Parses `nvidia-smi --query-gpu=index,pci.bus_id,name,memory.total --format=csv,noheader,nounits`.
fn parse(text: &str) -> Vec<NvidiaGpu> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let [index, bus_id, name, memory] = fields.as_slice() else {
                return None;
            };
            Some(NvidiaGpu {
                index: index.to_string(),
                bus_id: bus_id.to_string(),
                name: name.to_string(),
                memory_mib: memory.parse().ok(),
            })
        })
        .collect()
}

/// The GPU a slot's driver index names. Under Slurm's device cgroups the process may see only
/// its own card, renumbered: then the single card listed is the slot's.
#[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
pub fn by_index(index: &str) -> Option<NvidiaGpu> {
    let all = nvidia_smi();
    if let Some(gpu) = all.iter().find(|g| g.index == index) {
        return Some(gpu.clone());
    }
    (all.len() == 1).then(|| all[0].clone())
}

/// The same PCI address written two ways (`00000000:07:00.0` by nvidia-smi, `0000:07:00.0`
/// by Vulkan): compares the numbers, not the text.
#[cfg_attr(not(feature = "wgpu"), allow(dead_code))]
pub fn same_bus(a: &str, b: &str) -> bool {
    fn numbers(s: &str) -> Option<[u64; 4]> {
        let (rest, function) = s.rsplit_once('.')?;
        let mut parts = rest.rsplitn(3, ':');
        let device = parts.next()?;
        let bus = parts.next()?;
        let domain = parts.next().unwrap_or("0");
        let hex = |t: &str| u64::from_str_radix(t.trim(), 16).ok();
        Some([hex(domain)?, hex(bus)?, hex(device)?, hex(function)?])
    }
    matches!((numbers(a), numbers(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_query() {
        let gpus = parse(
            "0, 00000000:07:00.0, NVIDIA H200, 143771\n1, 00000000:0A:00.0, NVIDIA H200, [N/A]\n",
        );
        assert_eq!(gpus.len(), 2);
        assert_eq!(gpus[0].name, "NVIDIA H200");
        assert_eq!(gpus[0].memory_mib, Some(143771));
        assert_eq!(gpus[1].memory_mib, None);
        assert!(same_bus(&gpus[1].bus_id, "0000:0a:00.0"));
        assert!(!same_bus(&gpus[0].bus_id, "0000:0a:00.0"));
        assert!(!same_bus("garbage", "0000:0a:00.0"));
    }
}
