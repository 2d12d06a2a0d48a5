//! `runner devices --bench`: training throughput of runner's own models on a GPU and on the
//! CPU (flex, all cores) side by side in one process: byte-level LM pretraining steps at the
//! lm-codec task's batch (32 × 128) and at a batch that fills a GPU, and QA-reader training
//! tokens/s. Records the figures in a JSON file.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use burn::tensor::Device;
use serde_json::{json, Value};

use crate::models::device;
use crate::models::lm::train::Trainer;
use crate::models::lm::{Arch, LmConfig};
use crate::models::reader::features::Features;
use crate::models::reader::model::ReaderConfig;
use crate::models::reader::train::{train, TrainConfig};

/// One measured configuration on one device.
struct Measured {
    what: String,
    device: String,
    per_s: f64,
    unit: &'static str,
    steps: usize,
}

/// Runs the benchmark on `gpu` (a slot label) and on the CPU; writes `out`.
pub fn run(gpu: &str, big_batch: usize, steps: usize, out: &Path) -> Result<()> {
    let gpu_device = device::for_slot(gpu)?;
    let cpu = device::cpu();
    let gpu_name = device::describe(&gpu_device);
    eprintln!(
        "benchmarking {gpu_name} against the CPU (flex, {} threads)",
        rayon::current_num_threads()
    );
    let mut rows = Vec::new();
    let gru = |hidden| lm(Arch::Gru, hidden);
    let cpu_name = "cpu (flex)".to_string();
    let cpu_steps = (steps / 5).max(1);
    for (device, name, n) in [
        (&gpu_device, &gpu_name, steps),
        (&cpu, &cpu_name, cpu_steps),
    ] {
        rows.push(lm_steps(&gru(256), 32, device, name, n)?);
        rows.push(lm_steps(
            &gru(256),
            big_batch,
            device,
            name,
            (n / 3).max(1),
        )?);
        rows.push(reader_tokens(device, name)?);
    }
    // The lm_codec experiment's six pretrained models (2,000 steps of 32 × 128 each) on the GPU.
    let mut spec_seconds = 0.0;
    for arch in [Arch::Gru, Arch::Lstm, Arch::Transformer] {
        for hidden in [128, 256] {
            let m = lm_steps(&lm(arch, hidden), 32, &gpu_device, &gpu_name, steps)?;
            spec_seconds += 2000.0 / m.per_s;
            rows.push(m);
        }
    }
    print_rows(&rows);
    let ratio = |i: usize, j: usize| rows[i].per_s / rows[j].per_s;
    let ratios = json!({
        "lm_gru256_batch32": ratio(0, 3),
        format!("lm_gru256_batch{big_batch}"): ratio(1, 4),
        "reader_tokens": ratio(2, 5),
    });
    println!("\nGPU / CPU: {ratios}");
    println!(
        "experiments/lm_codec.toml pretraining (6 models × 2,000 steps) on the GPU: ~{:.1} minutes",
        spec_seconds / 60.0
    );
    let record = json!({
        "gpu": gpu_name,
        "cpu_threads": rayon::current_num_threads(),
        "rows": rows.iter().map(|r| json!({
            "what": r.what, "device": r.device, "per_s": r.per_s, "unit": r.unit, "steps": r.steps,
        })).collect::<Vec<Value>>(),
        "gpu_over_cpu": ratios,
        "lm_codec_pretraining_minutes_on_gpu": spec_seconds / 60.0,
        "host": crate::store::provenance::hostname(),
        "at": crate::store::provenance::now_rfc3339(),
        "runner_version": crate::store::provenance::RUNNER_VERSION,
    });
    crate::store::atomic::write_json(out, &record)?;
    eprintln!("recorded in {}", out.display());
    Ok(())
}

fn lm(arch: Arch, hidden: usize) -> LmConfig {
    LmConfig {
        arch,
        hidden,
        layers: 1,
        heads: 4,
        window: 128,
        vocab: crate::models::lm::BYTES,
    }
}

/// Pretraining steps per second of `config` at `batch` × 128 bytes, after warm-up steps (3 on
/// a GPU, where kernels are compiled and autotuned then; 1 on the CPU).
fn lm_steps(
    config: &LmConfig,
    batch: usize,
    device: &Device,
    name: &str,
    steps: usize,
) -> Result<Measured> {
    let mut trainer = Trainer::new(config, 1, device);
    let time = 128;
    let mut state = 1u64;
    let mut sample = || -> (Vec<usize>, Vec<usize>) {
        let row: Vec<usize> = (0..batch * (time + 1))
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                32 + (state >> 58) as usize
            })
            .collect();
        let inputs = row
            .chunks(time + 1)
            .flat_map(|r| r[..time].to_vec())
            .collect();
        let targets = row.chunks(time + 1).flat_map(|r| r[1..].to_vec()).collect();
        (inputs, targets)
    };
    let warmup = if device::backend_of(device) == device::Backend::Flex {
        1
    } else {
        3
    };
    for _ in 0..warmup {
        let (x, y) = sample();
        trainer.step(&x, &y, batch, None, 1e-3)?;
    }
    let started = Instant::now();
    for _ in 0..steps {
        let (x, y) = sample();
        trainer.step(&x, &y, batch, None, 1e-3)?;
    }
    let per_s = steps as f64 / started.elapsed().as_secs_f64();
    let what = format!(
        "lm {:?} h{} batch {batch}×{time}",
        config.arch, config.hidden
    )
    .to_lowercase();
    eprintln!("  {what} on {name}: {per_s:.2} steps/s");
    Ok(Measured {
        what,
        device: name.to_string(),
        per_s,
        unit: "steps/s",
        steps,
    })
}

/// QA-reader training tokens per second (the qa-reader task's default shape: d 96, 3 conv
/// layers, batch 32, contexts of 300 tokens), from the second of two epochs.
fn reader_tokens(device: &Device, name: &str) -> Result<Measured> {
    let mut state = 7u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        (state >> 33) as usize
    };
    let features: Vec<Features> = (0..256)
        .map(|i| {
            let context: Vec<u32> = (0..300).map(|_| 4 + (next() % 8000) as u32).collect();
            let at = next() % 290;
            let question: Vec<u32> = (0..16).map(|_| 4 + (next() % 8000) as u32).collect();
            Features {
                id: format!("q{i}"),
                offsets: (0..300).map(|k| (k, k + 1)).collect(),
                exact_match: vec![0.0; 300],
                context,
                question,
                target: Some((at, at + 2)),
            }
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let batch = 32;
    let (_, record) = train(
        &ReaderConfig::new(8192, 96, 3, 320, 0.2),
        &TrainConfig {
            epochs: 2,
            batch_size: batch,
            learning_rate: 1e-3,
            seed: 1,
            max_answer_tokens: 30,
        },
        &features,
        dir.path(),
        device,
        |_| Ok((0.0, 0.0)),
        |_, _, _| {},
    )?;
    let per_s = record.last().map_or(0.0, |r| r.tokens_per_s);
    eprintln!("  reader training on {name}: {per_s:.0} tokens/s");
    Ok(Measured {
        what: "reader d96 batch 32 × 300 tokens".into(),
        device: name.to_string(),
        per_s,
        unit: "tokens/s",
        steps: features.len().div_ceil(batch),
    })
}

fn print_rows(rows: &[Measured]) {
    println!("\n{:<40} {:<34} {:>12}", "what", "device", "rate");
    for r in rows {
        println!(
            "{:<40} {:<34} {:>12.2} {}",
            r.what, r.device, r.per_s, r.unit
        );
    }
}
