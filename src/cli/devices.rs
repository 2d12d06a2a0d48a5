//! `runner devices [SPEC]`: the burn backends compiled in, the devices each sees, and where a
//! spec's runs (by default, `devices = "auto"`) would go.

use std::path::PathBuf;

use anyhow::Result;

use crate::error::ExitCode;
use crate::models::device::{self, Backend};
use crate::scheduler::devices;
use crate::spec::{Resources, Spec};
use crate::task::Placement;

/// Arguments of `runner devices`.
#[derive(clap::Args, Debug)]
pub struct DevicesArgs {
    /// A spec: show where its runs would go (its `[resources]` and its task kind).
    pub spec: Option<PathBuf>,
    /// Measure training throughput on a GPU (`--device`) and on the CPU, side by side.
    #[arg(long, conflicts_with = "spec")]
    pub bench: bool,
    /// With --bench: the GPU slot (`cuda:N`, `wgpu`, `wgpu:K`).
    #[arg(long, default_value = "cuda:0", requires = "bench")]
    pub device: String,
    /// With --bench: the large LM batch (sequences of 128 bytes).
    #[arg(long, default_value_t = 1024, requires = "bench")]
    pub big_batch: usize,
    /// With --bench: timed LM steps on the GPU (a fifth of them on the CPU, at least one).
    #[arg(long, default_value_t = 30, requires = "bench")]
    pub steps: usize,
    /// With --bench: where to record the figures.
    #[arg(long, default_value = "target/bench/devices.json", requires = "bench")]
    pub out: PathBuf,
}

/// `runner devices`.
pub fn devices(args: DevicesArgs) -> Result<ExitCode> {
    if args.bench {
        crate::bench::devices::run(&args.device, args.big_batch, args.steps, &args.out)?;
        return Ok(ExitCode::Complete);
    }
    let compiled: Vec<&str> = device::compiled().iter().map(|b| b.name()).collect();
    println!("backends compiled in: {}", compiled.join(", "));
    let missing: Vec<&str> = [Backend::Wgpu, Backend::Cuda]
        .into_iter()
        .filter(|b| !device::compiled().contains(b))
        .filter_map(Backend::feature)
        .collect();
    if !missing.is_empty() {
        println!(
            "  (not compiled in: {}; build with `--features NAME`)",
            missing.join(", ")
        );
    }
    println!(
        "\n{:<9} {:<7} {:<34} {:<22} memory",
        "device", "backend", "name", "kind"
    );
    for seen in device::seen() {
        match seen {
            Ok(d) => println!(
                "{:<9} {:<7} {:<34} {:<22} {}",
                d.label,
                d.backend.name(),
                d.name,
                d.kind,
                d.memory_mib
                    .map_or("-".into(), |m| format!("{:.1} GiB", m as f64 / 1024.0))
            ),
            Err(problem) => println!("  {problem}"),
        }
    }
    let visible = device::visible_gpus();
    if !visible.is_empty() && device::gpu_backend().is_none() {
        println!(
            "\nGPUs visible to the driver (not usable by burn models in this build): {}",
            visible.join(", ")
        );
    }
    let (resources, placement, what) = match &args.spec {
        Some(path) => {
            let spec = Spec::load(path)?;
            let placement = crate::task::lookup(&spec.experiment.task)
                .map_or(Placement::Any, |t| t.placement());
            let what = format!("{} (task {})", path.display(), spec.experiment.task);
            (spec.resources, placement, what)
        }
        None => (
            Resources::default(),
            Placement::Burn,
            "devices = \"auto\" (burn tasks)".into(),
        ),
    };
    let slots = devices::slots(&resources, None, placement);
    println!(
        "\n{what} would use: {}",
        devices::describe_slots(&resources, placement, &slots)
    );
    Ok(ExitCode::Complete)
}
