//! Crafted learned-codec files with valid checksums, decoded by the real binary under a 4 GB
//! address-space limit: none may abort (a signal, or an allocation failure) and none may run
//! past 10 s. Ignored by default (a measurement, about a minute for 1,000 files):
//!   cargo test --test codec_torture -- --ignored --nocapture     (RUNNER_TORTURE_FILES=N)

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use runner::codecs::learned::format::{self, Chunk, Header};
use runner::codecs::learned::mixing::MixingConfig;
use runner::codecs::learned::{compress, mode::Mode};
use runner::models::lm::Arch;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Good files to start from: counts-only mixing, a network alone, a network mixed.
fn seeds() -> Vec<Vec<u8>> {
    let data: Vec<u8> =
        b"The quick brown fox jumps over the lazy dog; a compression study needs text. "
            .iter()
            .cycle()
            .take(3000)
            .copied()
            .collect();
    let cpu = runner::models::device::cpu();
    let network = common::adaptive_gru(16, 1);
    let counts = format::Params {
        mixing: Some(MixingConfig {
            neural: false,
            ..MixingConfig::default()
        }),
        ..network.clone()
    };
    let mixed = format::Params {
        mixing: Some(MixingConfig::default()),
        ..network.clone()
    };
    [counts, network, mixed]
        .iter()
        .map(|p| compress(&data, p, None, 2, &cpu, |_, _| {}).unwrap().bytes)
        .collect()
}

/// One crafted file: a good file's header rewritten at random, its streams kept or replaced.
fn craft(good: &[u8], rng: &mut Lcg) -> Vec<u8> {
    let (mut h, streams): (Header, Vec<&[u8]>) = format::read(good).unwrap();
    let mut streams: Vec<Vec<u8>> = streams.iter().map(|s| s.to_vec()).collect();
    match rng.below(6) {
        0 => {
            let k = 1 + rng.below(1 << 20) as usize;
            let coded = 4 + rng.below(60) as usize;
            let most = format::most_symbols(coded, 256, h.params.mixing.is_some()) as usize;
            h.chunks = (0..k)
                .map(|_| Chunk {
                    original: rng.below(most as u64 + 1) as usize,
                    coded,
                    crc: rng.next() as u32,
                })
                .collect();
            streams = (0..k)
                .map(|_| (0..coded).map(|_| rng.next() as u8).collect())
                .collect();
        }
        1 => {
            for c in &mut h.chunks {
                let most =
                    format::most_symbols(c.coded, h.params.model.vocab, h.params.mixing.is_some());
                c.original = rng.below(most as u64 + 1) as usize;
            }
        }
        2 => {
            if let Some(m) = h.params.mixing.as_mut() {
                m.table_bits = 10 + rng.below(13) as u32;
                m.orders = (0..rng.below(13))
                    .map(|_| 1 + rng.below(16) as usize)
                    .collect();
            }
        }
        3 => {
            let m = &mut h.params.model;
            m.hidden = 1 + rng.below(8192) as usize;
            m.layers = 1 + rng.below(64) as usize;
            m.arch = [Arch::Gru, Arch::Lstm, Arch::Transformer][rng.below(3) as usize];
            m.heads = 1;
            m.window = 4 + rng.below(1 << 16) as usize;
        }
        4 => {
            if let Some(a) = h.params.adaptive.as_mut() {
                a.segment = 1 + rng.below(1 << 20) as usize;
            }
            h.params.threads = 1 + rng.below(4) as usize;
        }
        _ => {
            for s in &mut streams {
                for b in s.iter_mut() {
                    *b = rng.next() as u8;
                }
            }
        }
    }
    h.original_len = h.chunks.iter().map(|c| c.original).sum();
    if h.params.mode != Mode::Adaptive {
        h.params.mode = Mode::Adaptive;
    }
    format::write(&h, &streams).unwrap()
}

#[test]
#[ignore]
fn a_thousand_crafted_files_neither_abort_nor_run_long() {
    let n: usize = std::env::var("RUNNER_TORTURE_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let goods = seeds();
    let mut rng = Lcg(7);
    let (mut aborts, mut slow, mut longest, mut errors) =
        (Vec::new(), Vec::new(), Duration::ZERO, 0);
    for i in 0..n {
        let file = dir.path().join(format!("{i}.rlmc"));
        std::fs::write(&file, craft(&goods[i % goods.len()], &mut rng)).unwrap();
        let started = Instant::now();
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "ulimit -v 4000000; exec timeout 60 {} lm-codec decompress {} -o {}/out",
                env!("CARGO_BIN_EXE_runner"),
                file.display(),
                dir.path().display()
            ))
            .output()
            .unwrap();
        let took = started.elapsed();
        longest = longest.max(took);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(2) | Some(3) | Some(0) => errors += usize::from(out.status.code() != Some(0)),
            _ => aborts.push(format!(
                "file {i}: {:?} {}",
                out.status,
                stderr.lines().last().unwrap_or("")
            )),
        }
        if stderr.contains("memory allocation") {
            aborts.push(format!("file {i}: {}", stderr.lines().last().unwrap_or("")));
        }
        if took > Duration::from_secs(10) {
            slow.push(format!("file {i}: {took:?}"));
        }
    }
    println!("{n} crafted files: {errors} refused with an error, {} aborts, {} over 10 s, longest {longest:?}", aborts.len(), slow.len());
    assert!(aborts.is_empty(), "{aborts:#?}");
    assert!(slow.is_empty(), "{slow:#?}");
}
