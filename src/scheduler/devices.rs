//! Devices and slots: which GPUs (or the CPU) a grid runs on, and how many runs at once.

use crate::spec::{DeviceRequest, Resources};
use crate::task::Placement;

/// One place a run can execute.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// Position in the slot list.
    pub index: usize,
    /// Shown in progress lines and status.json: `cuda:0`, `cuda:0,1` or `cpu`.
    pub device: String,
    /// Values for CUDA_VISIBLE_DEVICES (empty for CPU runs).
    pub gpus: Vec<String>,
}

/// The devices a request names: GPU ids (for CUDA_VISIBLE_DEVICES) or none for the CPU.
pub fn resolve(request: &DeviceRequest) -> Vec<Option<String>> {
    match request {
        DeviceRequest::Cpu => vec![None],
        DeviceRequest::List(list) => list
            .iter()
            .map(|d| d.strip_prefix("cuda:").map(String::from))
            .collect(),
        DeviceRequest::Auto => {
            let gpus = crate::models::device::visible_gpus();
            if gpus.is_empty() {
                vec![None]
            } else {
                gpus.into_iter().map(Some).collect()
            }
        }
    }
}

/// Whether runs of a task kind can use GPUs in this build: CPU-only kinds never, burn kinds
/// when a GPU backend is compiled in, external commands always.
pub fn gpus_usable(placement: Placement) -> bool {
    match placement {
        Placement::Cpu => false,
        Placement::Burn => crate::models::device::gpu_backend().is_some(),
        Placement::Any => true,
    }
}

/// Slots for the resources: GPUs grouped `gpus_per_run` at a time, each group
/// `runs_per_device` times; the CPU `runs_per_device` times (default: cores / threads).
/// `jobs` overrides the number of CPU slots. A task kind that cannot use GPUs (see
/// [`gpus_usable`]) gets CPU slots instead.
pub fn slots(resources: &Resources, jobs: Option<u32>, placement: Placement) -> Vec<Slot> {
    let mut devices = resolve(&resources.devices);
    if !gpus_usable(placement) && devices.iter().any(Option::is_some) {
        devices = vec![None];
    }
    let gpus: Vec<String> = devices.iter().flatten().cloned().collect();
    let has_cpu = devices.iter().any(Option::is_none);
    let mut slots = Vec::new();
    let per_gpu_group = resources.runs_per_device.unwrap_or(1);
    for group in gpus.chunks(resources.gpus_per_run.max(1) as usize) {
        if group.len() < resources.gpus_per_run as usize {
            break;
        }
        let device = format!("cuda:{}", group.join(","));
        for _ in 0..per_gpu_group {
            slots.push(Slot {
                index: slots.len(),
                device: device.clone(),
                gpus: group.to_vec(),
            });
        }
    }
    if has_cpu {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        let default = (cores / resources.threads.max(1)).max(1);
        let n = jobs.or(resources.runs_per_device).unwrap_or(default);
        for _ in 0..n {
            slots.push(Slot {
                index: slots.len(),
                device: "cpu".into(),
                gpus: Vec::new(),
            });
        }
    }
    slots
}

/// Makes this process plan with the artifact ids its runs will use: trained artifacts are
/// keyed by the backend that trains them ([`crate::models::device::artifact_backend`]), which
/// is the first slot's (a grid that mixes CPU and GPU slots builds them once per backend).
pub fn plan_with_first_slot(resources: &Resources, placement: Placement) {
    if let Some(slot) = slots(resources, None, placement).first() {
        std::env::set_var("RUNNER_DEVICE", &slot.device);
    }
}

/// One line on where a grid's runs go: the slots, and why GPUs the resources name go unused
/// (a CPU-only task kind, or burn models in a build without a GPU backend).
pub fn describe_slots(resources: &Resources, placement: Placement, slots: &[Slot]) -> String {
    let gpu: Vec<&str> = slots
        .iter()
        .filter(|s| !s.gpus.is_empty())
        .map(|s| s.device.as_str())
        .collect();
    let cpu = slots.len() - gpu.len();
    let mut parts = Vec::new();
    if !gpu.is_empty() {
        let backend = match placement {
            Placement::Burn => crate::models::device::gpu_backend()
                .map_or(String::new(), |b| format!(" (burn backend {})", b.name())),
            _ => String::new(),
        };
        parts.push(format!(
            "{} GPU slot(s) {}{backend}",
            gpu.len(),
            gpu.join(" ")
        ));
    }
    if cpu > 0 {
        parts.push(format!("{cpu} CPU slot(s) (burn backend flex)"));
    }
    let unused = resolve(&resources.devices).iter().any(Option::is_some) && gpu.is_empty();
    let why = match placement {
        _ if !unused => "",
        Placement::Cpu => "; the task kind runs on the CPU only, so the GPUs are not used",
        _ if matches!(resources.devices, DeviceRequest::List(_)) => {
            "; but the spec names GPUs and this runner has no GPU backend compiled in \
             (`--features wgpu`): a launch refuses it"
        }
        _ => "; this runner has no GPU backend compiled in (`--features wgpu`), so the GPUs are not used",
    };
    format!("{}{why}", parts.join(" + "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_slots_group_devices() {
        let r = Resources {
            devices: DeviceRequest::List(vec![
                "cuda:0".into(),
                "cuda:1".into(),
                "cuda:2".into(),
                "cuda:3".into(),
            ]),
            runs_per_device: Some(2),
            gpus_per_run: 2,
            ..Resources::default()
        };
        let s = slots(&r, None, Placement::Any);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].device, "cuda:0,1");
        assert_eq!(s[3].gpus, vec!["2".to_string(), "3".to_string()]);
    }

    #[test]
    fn cpu_slots_follow_jobs() {
        let r = Resources {
            devices: DeviceRequest::Cpu,
            ..Resources::default()
        };
        assert_eq!(slots(&r, Some(3), Placement::Any).len(), 3);
        assert!(slots(&r, Some(3), Placement::Any)
            .iter()
            .all(|s| s.gpus.is_empty() && s.device == "cpu"));
    }

    #[test]
    fn cpu_only_tasks_get_cpu_slots_on_a_gpu_machine() {
        let r = Resources {
            devices: DeviceRequest::List(vec!["cuda:0".into(), "cuda:1".into()]),
            runs_per_device: None,
            threads: 1,
            ..Resources::default()
        };
        assert_eq!(slots(&r, None, Placement::Any).len(), 2);
        let cpu = slots(&r, Some(2), Placement::Cpu);
        assert!(
            cpu.iter().all(|s| s.device == "cpu" && s.gpus.is_empty()),
            "{cpu:?}"
        );
        let line = describe_slots(&r, Placement::Cpu, &cpu);
        assert!(line.contains("runs on the CPU only"), "{line}");
        if crate::models::device::gpu_backend().is_none() {
            // This build has no GPU backend: burn tasks compute on the CPU too, and say why.
            let burn = slots(&r, Some(1), Placement::Burn);
            assert!(burn.iter().all(|s| s.device == "cpu"));
            let line = describe_slots(&r, Placement::Burn, &burn);
            assert!(line.contains("no GPU backend compiled in"), "{line}");
        } else {
            let burn = slots(&r, Some(1), Placement::Burn);
            let line = describe_slots(&r, Placement::Burn, &burn);
            assert!(
                line.starts_with("2 GPU slot(s) cuda:0 cuda:1 (burn backend"),
                "{line}"
            );
        }
    }
}
