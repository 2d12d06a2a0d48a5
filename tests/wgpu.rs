//! The `wgpu` backend against the CPU's `flex`: a tiny LM and a tiny reader train a few steps
//! on each from the same seed, and their losses agree within a stated tolerance; an lm-codec
//! round trip on wgpu, and a wgpu-coded file refused by a CPU decoder. Needs a Vulkan driver
//! (Mesa's lavapipe on CI); set RUNNER_REQUIRE_WGPU=1 to fail instead of skipping without one.
#![cfg(feature = "wgpu")]

mod common;

use burn::tensor::Device;
use runner::codecs::learned::{compress, decompress};
use runner::models::device;
use runner::models::lm::train::Trainer;
use runner::models::reader::features::Features;
use runner::models::reader::model::ReaderConfig;
use runner::models::reader::train::{train, TrainConfig};

/// Largest relative difference allowed between a wgpu loss and the flex loss of the same step.
/// Both compute in f32 from the same initial weights; kernels sum in other orders, and a few
/// Adam steps carry the rounding forward (measured on lavapipe: below 2e-7).
const TOLERANCE: f64 = 1e-3;

fn wgpu() -> Option<Device> {
    // Autotuning compiles and times every candidate kernel: on a software driver that is most
    // of the test's time, and these shapes are tiny.
    static MINIMAL: std::sync::Once = std::sync::Once::new();
    MINIMAL.call_once(|| std::env::set_var("CUBECL_AUTOTUNE_LEVEL", "minimal"));
    match device::for_slot("wgpu") {
        Ok(d) => Some(d),
        Err(e) if std::env::var("RUNNER_REQUIRE_WGPU").is_ok_and(|v| v == "1") => {
            panic!("RUNNER_REQUIRE_WGPU=1 but wgpu cannot start: {e:#}")
        }
        Err(e) => {
            eprintln!("SKIPPED: {e:#}");
            None
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs())
}

/// Deterministic pseudo-random numbers for the fixtures.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

fn text() -> Vec<usize> {
    let base = b"The quick brown fox jumps over the lazy dog; a compression study needs text. ";
    base.iter()
        .cycle()
        .take(4 * 33 * 6)
        .map(|&b| b as usize)
        .collect()
}

fn lm_losses(device: &Device) -> Vec<f64> {
    let config = common::byte_gru(32);
    let mut trainer = Trainer::new(&config, 7, device);
    let text = text();
    let (batch, time) = (4, 32);
    (0..6)
        .map(|step| {
            let rows: Vec<&[usize]> = (0..batch)
                .map(|b| &text[(step * batch + b) * 33 % (text.len() - 33)..][..33])
                .collect();
            let inputs: Vec<usize> = rows.iter().flat_map(|r| r[..time].to_vec()).collect();
            let targets: Vec<usize> = rows.iter().flat_map(|r| r[1..].to_vec()).collect();
            trainer
                .step(&inputs, &targets, batch, None, 3e-3)
                .unwrap()
                .0
        })
        .collect()
}

#[test]
fn a_tiny_lm_trains_alike_on_wgpu_and_flex() {
    let Some(gpu) = wgpu() else { return };
    same_training(
        "LM losses (bits/byte), step",
        &lm_losses(&device::cpu()),
        &lm_losses(&gpu),
    );
}

/// The CPU losses fall and the GPU's equal them step by step (to `close`).
fn same_training(what: &str, cpu: &[f64], gpu: &[f64]) {
    eprintln!("{what}: flex {cpu:?}\n{what}: wgpu {gpu:?}");
    assert!(cpu.last() < cpu.first(), "the loss falls: {cpu:?}");
    for (k, (c, g)) in cpu.iter().zip(gpu).enumerate() {
        assert!(close(*c, *g), "{what} {k}: flex {c}, wgpu {g}");
    }
}

fn reader_fixture() -> Vec<Features> {
    let mut state = 11u64;
    (0..24)
        .map(|i| {
            let n = 16 + (lcg(&mut state) % 12) as usize;
            let context: Vec<u32> = (0..n).map(|_| 4 + (lcg(&mut state) % 36) as u32).collect();
            let at = (lcg(&mut state) as usize) % (n - 2);
            let question: Vec<u32> = vec![2, context[at], context[at + 1], 3];
            let exact_match = context
                .iter()
                .map(|t| f32::from(u8::from(question.contains(t))))
                .collect();
            Features {
                id: format!("q{i}"),
                offsets: (0..n).map(|k| (k, k + 1)).collect(),
                context,
                question,
                exact_match,
                target: Some((at, at + 1)),
            }
        })
        .collect()
}

fn reader_losses(device: &Device) -> Vec<f64> {
    let model = ReaderConfig::new(40, 16, 1, 64, 0.0);
    let config = TrainConfig {
        epochs: 4,
        batch_size: 8,
        learning_rate: 3e-3,
        seed: 5,
        max_answer_tokens: 4,
    };
    let dir = tempfile::tempdir().unwrap();
    let features = reader_fixture();
    let (_, record) = train(
        &model,
        &config,
        &features,
        dir.path(),
        device,
        |_| Ok((0.0, 0.0)),
        |_, _, _| {},
    )
    .unwrap();
    record.iter().map(|r| r.train_loss).collect()
}

#[test]
fn a_tiny_reader_trains_alike_on_wgpu_and_flex() {
    let Some(gpu) = wgpu() else { return };
    same_training(
        "reader losses, epoch",
        &reader_losses(&device::cpu()),
        &reader_losses(&gpu),
    );
}

#[test]
fn lm_codec_round_trips_on_wgpu_and_names_its_backend() {
    let Some(gpu) = wgpu() else { return };
    let params = common::adaptive_gru(16, 3);
    let base = b"A round trip on the GPU: the decoder repeats the encoder's training steps. ";
    let data: Vec<u8> = base.iter().cycle().take(1200).copied().collect();
    let coded = compress(&data, &params, None, 4, &gpu, |_, _| {}).unwrap();
    let back = decompress(&coded.bytes, None, &gpu, |_, _| {}).unwrap();
    assert!(back.bytes == data, "wgpu round trip");
    let stored = runner::codecs::learned::params_of(&coded.bytes).unwrap();
    assert_eq!(stored.backend.as_deref(), Some("wgpu"));
    let err = decompress(&coded.bytes, None, &device::cpu(), |_, _| {}).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("wgpu backend"), "{message}");
    eprintln!(
        "wgpu lm-codec: {} -> {} bytes; a flex decoder says: {message}",
        data.len(),
        coded.bytes.len()
    );
}

#[test]
fn a_wgpu_device_is_described_and_keyed() {
    let Some(gpu) = wgpu() else { return };
    assert_eq!(device::backend_of(&gpu), device::Backend::Wgpu);
    assert!(
        device::describe(&gpu).ends_with("(wgpu)"),
        "{}",
        device::describe(&gpu)
    );
    assert_eq!(device::gpu_backend(), Some(device::Backend::Wgpu));
    assert!(device::seen()
        .iter()
        .any(|d| d.as_ref().is_ok_and(|d| d.backend == device::Backend::Wgpu)));
}

/// A tiny Llama checkpoint on wgpu gives flex's logits (within the tolerance) and generates
/// with its key/value cache what recomputation gives.
#[test]
fn a_pretrained_llama_runs_on_wgpu() {
    use runner::models::gguf::DType;
    use runner::models::llama::cache::KvCache;
    use runner::models::llama::fixture::{write_gguf, Tiny};
    use runner::models::llama::generate::{greedy, greedy_uncached, row};
    use runner::models::llama::Pretrained;
    let Some(gpu) = wgpu() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_gguf(&path, &Tiny::default(), DType::Q4_1, 9).unwrap();
    let logits = |device: &Device| -> (Vec<f32>, Vec<u32>) {
        let p = Pretrained::load(&path, device).unwrap();
        let ids = p
            .vocab
            .encode("the otter then the other 12 otters")
            .unwrap();
        let hidden = p.model.forward(row(&p.model, &ids), &mut KvCache::none());
        let [_, l, d] = hidden.dims();
        let out = p
            .model
            .logits(hidden.reshape([l, d]))
            .into_data()
            .try_to_vec()
            .unwrap();
        let cached = greedy(&p.model, &ids, 6, &[]);
        assert_eq!(cached, greedy_uncached(&p.model, &ids, 6, &[]));
        (out, cached)
    };
    let (cpu, cpu_gen) = logits(&device::cpu());
    let (gpu_logits, gpu_gen) = logits(&gpu);
    let scale = cpu.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
    let worst = cpu
        .iter()
        .zip(&gpu_logits)
        .fold(0f64, |m, (a, b)| m.max((*a as f64 - *b as f64).abs()));
    assert!(
        worst <= TOLERANCE * scale,
        "logits differ by {worst} (scale {scale})"
    );
    assert_eq!(cpu_gen, gpu_gen);
}
