//! Round trips, damaged files and model checks of the learned codec.

use super::format::AdaptiveSettings;
use super::*;
use crate::models::device::cpu;
use crate::models::lm::{Arch, LmConfig};

fn tiny(arch: Arch) -> LmConfig {
    crate::models::lm::test_config(arch, 16)
}

fn adaptive(arch: Arch) -> Params {
    Params {
        mode: Mode::Adaptive,
        model: tiny(arch),
        adaptive: Some(AdaptiveSettings {
            seed: 3,
            learning_rate: 1e-2,
            segment: 8,
        }),
        threads: 1,
        crlf: false,
        text_crc: None,
        backend: None,
        mixing: None,
    }
}

fn pretrained(model: LmConfig, mixing: Option<mixing::MixingConfig>) -> Params {
    Params {
        mode: Mode::Pretrained,
        adaptive: None,
        mixing,
        model,
        ..adaptive(Arch::Gru)
    }
}

/// The error decoding `bytes` (self-contained files) gives.
fn decode_error(bytes: &[u8]) -> String {
    format!(
        "{:#}",
        decompress(bytes, None, &cpu(), |_, _| {}).unwrap_err()
    )
}

fn text() -> Vec<u8> {
    let mut t = Vec::new();
    for i in 0..150 {
        t.extend_from_slice(format!("line {i}: the cat sat on the mat. ").as_bytes());
    }
    t
}

#[test]
fn adaptive_models_round_trip_and_learn() {
    let _alone = crate::models::draws_alone();
    let data = text();
    for arch in [Arch::Gru, Arch::Lstm, Arch::Transformer] {
        let params = adaptive(arch);
        let c = compress(&data, &params, None, 3, &cpu(), |_, _| {}).unwrap();
        assert_eq!(c.streams, 3);
        let d = decompress(&c.bytes, None, &cpu(), |_, _| {}).unwrap();
        assert_eq!(d.bytes, data, "{arch:?}");
        // Repetitive text: learning must beat 8 bits per byte by far (untrained: ~8).
        assert!(
            c.bytes.len() * 10 < data.len() * 6,
            "{arch:?}: {}",
            c.bytes.len()
        );
    }
}

#[test]
fn pretrained_mode_needs_the_same_model() {
    let _alone = crate::models::draws_alone();
    let data = text();
    let device = cpu();
    let config = tiny(Arch::Transformer);
    let model = crate::models::lm::train::init_seeded(&config, 1, &device);
    let other = crate::models::lm::train::init_seeded(&config, 2, &device);
    let params = pretrained(config, None);
    let m = ModelRef {
        model: &model,
        hash: [1; 16],
        tokenizer: None,
    };
    let c = compress(&data, &params, Some(&m), 4, &cpu(), |_, _| {}).unwrap();
    assert_eq!(
        decompress(&c.bytes, Some(&m), &cpu(), |_, _| {})
            .unwrap()
            .bytes,
        data
    );
    let wrong = ModelRef {
        model: &other,
        hash: [2; 16],
        tokenizer: None,
    };
    let err = decompress(&c.bytes, Some(&wrong), &cpu(), |_, _| {}).unwrap_err();
    assert!(format!("{err:#}").contains("different model"), "{err:#}");
    // Same hash, different weights: the numerics fingerprint catches it.
    let disguised = ModelRef {
        model: &other,
        hash: [1; 16],
        tokenizer: None,
    };
    let err = decompress(&c.bytes, Some(&disguised), &cpu(), |_, _| {}).unwrap_err();
    assert!(format!("{err:#}").contains("fingerprint"), "{err:#}");
    // Dynamic evaluation: the pretrained model keeps learning; the decoder repeats it.
    let dynamic = Params {
        mode: Mode::Dynamic,
        adaptive: Some(AdaptiveSettings {
            seed: 0,
            learning_rate: 1e-2,
            segment: 8,
        }),
        ..params.clone()
    };
    let d = compress(&data, &dynamic, Some(&m), 4, &cpu(), |_, _| {}).unwrap();
    assert!(d.profile.training > std::time::Duration::ZERO);
    assert!(d.bytes.len() < c.bytes.len(), "learning while coding helps");
    assert_eq!(
        decompress(&d.bytes, Some(&m), &cpu(), |_, _| {})
            .unwrap()
            .bytes,
        data
    );
    assert!(decompress(&d.bytes, None, &cpu(), |_, _| {}).is_err());
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let _alone = crate::models::draws_alone();
    let data = text();
    let params = adaptive(Arch::Gru);
    let good = compress(&data, &params, None, 2, &cpu(), |_, _| {})
        .unwrap()
        .bytes;
    let err = decode_error;
    assert!(err(b"hello").contains("not an lm-codec file"));
    assert!(err(&good[..good.len() - 10]).contains("truncated"));
    assert!(err(&good[..20]).contains("truncated"));
    let mut flipped = good.clone();
    flipped[12] ^= 0x40;
    assert!(err(&flipped).contains("corrupted"), "{}", err(&flipped));
    let mut payload = good.clone();
    let at = payload.len() - 40;
    payload[at] ^= 0x01;
    // A flipped bit: the chunk's checksum fails, or its decoding runs out of bytes first.
    let damaged = err(&payload);
    assert!(
        damaged.contains("checksum") || damaged.contains("run out"),
        "{damaged}"
    );
    let mut longer = good.clone();
    longer.push(0);
    assert!(err(&longer).contains("unexpected bytes"));
    let mut version = good.clone();
    version[4] = 9;
    assert!(err(&version).contains("version 9"));
    // Headers rewritten with a valid checksum: sizes are checked before any allocation.
    let rewritten = |edit: &dyn Fn(&mut format::Header)| {
        let (mut header, streams) = format::read(&good).unwrap();
        edit(&mut header);
        let streams: Vec<Vec<u8>> = streams.iter().map(|s| s.to_vec()).collect();
        format::write(&header, &streams).unwrap()
    };
    let huge = rewritten(&|h| h.params.model.hidden = 100_000);
    assert!(err(&huge).contains("implausibly large"), "{}", err(&huge));
    let threads = rewritten(&|h| h.params.threads = 1_000_000);
    assert!(err(&threads).contains("threads"), "{}", err(&threads));
    let long = rewritten(&|h| {
        h.chunks[0].original = 1 << 39;
        h.original_len = h.chunks.iter().map(|c| c.original).sum();
    });
    assert!(err(&long).contains("more than its"), "{}", err(&long));
}

#[test]
fn line_endings_are_restored_exactly() {
    let _alone = crate::models::draws_alone();
    assert_eq!(strip_cr(b"a\r\nb\r\n").unwrap(), b"a\nb\n");
    for mixed in [
        &b"a\r\nb\n"[..],
        b"a\rb\r\n",
        b"\r\r\n",
        b"no newline",
        b"a\n",
    ] {
        assert!(strip_cr(mixed).is_none(), "{mixed:?}");
    }
    let params = adaptive(Arch::Gru);
    let crlf: Vec<u8> = text()
        .iter()
        .flat_map(|&b| {
            if b == b'.' {
                vec![b'.', b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect();
    for data in [
        crlf.clone(),
        crlf[..crlf.len() - 1].to_vec(),
        b"\r\n".to_vec(),
    ] {
        let c = compress(&data, &params, None, 3, &cpu(), |_, _| {}).unwrap();
        assert_eq!(
            decompress(&c.bytes, None, &cpu(), |_, _| {}).unwrap().bytes,
            data
        );
    }
}

#[test]
fn empty_and_tiny_inputs_round_trip() {
    let _alone = crate::models::draws_alone();
    let params = adaptive(Arch::Gru);
    for data in [&b""[..], b"x", b"ab"] {
        let c = compress(data, &params, None, 8, &cpu(), |_, _| {}).unwrap();
        assert_eq!(
            decompress(&c.bytes, None, &cpu(), |_, _| {}).unwrap().bytes,
            data
        );
    }
}

#[test]
fn mixed_files_round_trip_in_every_mode_and_damage_is_an_error() {
    let _alone = crate::models::draws_alone();
    let data = text();
    let counts = Params {
        mixing: mixing::Mixing::Counts.config(Mode::Adaptive),
        ..adaptive(Arch::Gru)
    };
    let on = Params {
        mixing: mixing::Mixing::On.config(Mode::Adaptive),
        ..adaptive(Arch::Gru)
    };
    let mut sizes = Vec::new();
    for params in [&counts, &on] {
        let c = compress(&data, params, None, 3, &cpu(), |_, _| {}).unwrap();
        let d = decompress(&c.bytes, None, &cpu(), |_, _| {}).unwrap();
        assert_eq!(d.bytes, data);
        assert_eq!(c.bytes[4], format::MIXING_VERSION);
        sizes.push(c.bytes.len());
    }
    // Repetitive text: the count and match models code it in well under 1 bit per byte
    // (the network alone needs several: `adaptive_models_round_trip_and_learn`).
    assert!(sizes.iter().all(|&s| s * 8 < data.len()), "{sizes:?}");
    let good = compress(&data, &counts, None, 1, &cpu(), |_, _| {})
        .unwrap()
        .bytes;
    let err = decode_error;
    let mut payload = good.clone();
    let at = payload.len() - 5;
    payload[at] ^= 0x10;
    // A flipped bit: the chunk's checksum fails, or its decoding runs out of bytes first.
    let damaged = err(&payload);
    assert!(
        damaged.contains("checksum") || damaged.contains("run out"),
        "{damaged}"
    );
    let mut version = good.clone();
    version[4] = format::VERSION;
    assert!(
        err(&version).contains("does not match"),
        "{}",
        err(&version)
    );
    // Another mixer configuration, validly recorded: adaptive files hash their settings with the
    // mixer's, so it is refused as another model before anything is decoded.
    let (mut header, streams) = format::read(&good).unwrap();
    header.params.mixing.as_mut().unwrap().orders = vec![2, 3];
    let streams: Vec<Vec<u8>> = streams.iter().map(|s| s.to_vec()).collect();
    let other = format::write(&header, &streams).unwrap();
    assert!(err(&other).contains("different model"), "{}", err(&other));
}

#[test]
fn a_pretrained_model_mixes_with_the_count_models() {
    let _alone = crate::models::draws_alone();
    let data = text();
    let device = cpu();
    let config = tiny(Arch::Gru);
    let model = crate::models::lm::train::init_seeded(&config, 1, &device);
    let params = pretrained(config, mixing::Mixing::Auto.config(Mode::Pretrained));
    assert!(params.mixing.as_ref().unwrap().neural);
    let m = ModelRef {
        model: &model,
        hash: [1; 16],
        tokenizer: None,
    };
    let c = compress(&data, &params, Some(&m), 2, &cpu(), |_, _| {}).unwrap();
    let d = decompress(&c.bytes, Some(&m), &cpu(), |_, _| {}).unwrap();
    assert_eq!(d.bytes, data);
    assert!(c.bytes.len() * 8 < data.len(), "{}", c.bytes.len());
    let other = ModelRef { hash: [2; 16], ..m };
    assert!(decompress(&c.bytes, Some(&other), &cpu(), |_, _| {}).is_err());
}

#[test]
fn a_parameter_block_that_is_not_deflate_data_is_bad_input() {
    let mut file = format::MAGIC.to_vec();
    file.push(format::MIXING_VERSION);
    file.push(10);
    file.extend([0xffu8; 10]);
    file.extend([0u8; 16 + 8]);
    file.extend([0, 0]);
    let crc = crc32fast::hash(&file);
    file.extend(crc.to_le_bytes());
    let e = format::read(&file).unwrap_err();
    assert!(format!("{e:#}").contains("parameter block"), "{e:#}");
    assert_eq!(
        crate::error::marked_kind(&e),
        Some(crate::error::ExitCode::BadInput)
    );
}

/// A counts-only file of `data` (context mixing without a network), and its header.
fn counts_file(data: &[u8]) -> Vec<u8> {
    let config = mixing::MixingConfig {
        neural: false,
        ..mixing::MixingConfig::default()
    };
    let params = Params {
        mixing: Some(config),
        ..adaptive(Arch::Gru)
    };
    compress(data, &params, None, 1, &cpu(), |_, _| {})
        .unwrap()
        .bytes
}

#[test]
fn crafted_headers_are_refused_before_memory_or_time_is_spent() {
    let _alone = crate::models::draws_alone();
    let good = counts_file(&text());
    let rewrite = |edit: &dyn Fn(&mut format::Header, &mut Vec<Vec<u8>>)| {
        let (mut header, streams) = format::read(&good).unwrap();
        let mut streams: Vec<Vec<u8>> = streams.iter().map(|s| s.to_vec()).collect();
        edit(&mut header, &mut streams);
        format::write(&header, &streams).unwrap()
    };
    // 2^20 chunks of 4 bytes each: every stream's match table alone would take 16 GiB.
    let many = rewrite(&|h, s| {
        h.chunks = vec![
            format::Chunk {
                original: 1,
                coded: 4,
                crc: 0
            };
            1 << 20
        ];
        h.original_len = 1 << 20;
        *s = vec![vec![0; 4]; 1 << 20];
    });
    let e = decode_error(&many);
    assert!(
        e.contains("more than the limit") && e.contains("--max-memory"),
        "{e}"
    );
    // A legal mixing configuration that needs 3.75 GiB of tables.
    let big = rewrite(&|h, _| {
        let m = h.params.mixing.as_mut().unwrap();
        m.table_bits = 22;
        m.orders = (2..14).collect();
    });
    assert!(
        decode_error(&big).contains("more than the limit"),
        "{}",
        decode_error(&big)
    );
    // A chunk that claims far more symbols than its coded bytes hold: decoding stops where
    // they run out, long before the claimed length.
    let claimed = rewrite(&|h, _| {
        let most = format::most_symbols(h.chunks[0].coded, 256, true) as usize;
        h.chunks[0].original = most;
        h.original_len = h.chunks.iter().map(|c| c.original).sum();
    });
    let started = std::time::Instant::now();
    let e = decode_error(&claimed);
    assert!(e.contains("run out"), "{e}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "it decoded on for {:?}",
        started.elapsed()
    );
    // A chunk shorter than any coder's flush.
    let short = rewrite(&|h, s| {
        h.chunks[0].coded = 2;
        s[0].truncate(2);
        h.chunks[0].original = 1;
        h.original_len = h.chunks.iter().map(|c| c.original).sum();
    });
    assert!(
        decode_error(&short).contains("at least 4"),
        "{}",
        decode_error(&short)
    );
}
