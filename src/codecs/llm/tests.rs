//! The pretrained-model codec on a tiny random checkpoint: exact round trips of any bytes
//! (invalid UTF-8, a character cut at the end, empty input) with several streams and window
//! rebuilds, and refusals of another model, a damaged stream and a numerics mismatch.

use super::driver::Policy;
use super::{compress, decompress, start_token};
use crate::models::gguf::DType;
use crate::models::llama::fixture::{write_gguf, Tiny};
use crate::models::llama::Pretrained;

fn tiny(dir: &std::path::Path, seed: u64) -> Pretrained {
    let path = dir.join(format!("tiny{seed}.gguf"));
    write_gguf(&path, &Tiny::default(), DType::Q8_0, seed).unwrap();
    Pretrained::load(&path, &crate::models::device::cpu()).unwrap()
}

fn policy(p: &Pretrained, streams: usize) -> Policy {
    Policy {
        streams,
        window: 24,
        keep: 8,
        start: start_token(p),
        mixer: 0,
    }
}

#[test]
fn any_bytes_round_trip_with_streams_and_window_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let p = tiny(dir.path(), 1);
    let mut text = "the otter then the other otter, 1984 times. "
        .repeat(6)
        .into_bytes();
    text.extend([0xff, 0xfe, b'x', 0xc3]); // invalid UTF-8 and a character cut at the end
    for streams in [1, 3] {
        let packed = compress(&text, &p, policy(&p, streams), 1, |_, _| {}).unwrap();
        let back = decompress(&packed.bytes, &p, |_, _| {}).unwrap();
        assert_eq!(back.bytes, text, "{streams} streams");
        assert!(packed.tokens > 60, "several windows: {}", packed.tokens);
        let (_, coded) = super::format::read(&packed.bytes).unwrap();
        assert!(
            (packed.bits / 8.0) < coded.len() as f64 + 1.0
                && (coded.len() as f64) < packed.bits / 8.0 + 9.0,
            "one coder for every stream: {} coded bytes for {:.1} bits",
            coded.len(),
            packed.bits
        );
    }
    let empty = compress(b"", &p, policy(&p, 2), 1, |_, _| {}).unwrap();
    assert_eq!(decompress(&empty.bytes, &p, |_, _| {}).unwrap().bytes, b"");
}

#[test]
fn another_model_a_damaged_stream_and_other_threads_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (p, q) = (tiny(dir.path(), 1), tiny(dir.path(), 2));
    let text = b"the thin otter in the river, then another".repeat(3);
    let packed = compress(&text, &p, policy(&p, 2), 1, |_, _| {})
        .unwrap()
        .bytes;
    let e = format!("{:#}", decompress(&packed, &q, |_, _| {}).unwrap_err());
    assert!(e.contains("another model"), "{e}");
    let mut damaged = packed.clone();
    let at = damaged.len() - 20;
    damaged[at] ^= 0x10;
    let e = format!("{:#}", decompress(&damaged, &p, |_, _| {}).unwrap_err());
    assert!(e.contains("checksum") || e.contains("run out"), "{e}");
    assert!(decompress(&packed[..packed.len() - 3], &p, |_, _| {}).is_err());
    // A header with a valid checksum that claims more tokens than the original has bytes.
    let (mut forged, coded) = super::format::read(&packed).unwrap();
    forged.tokens = forged.original_len + 1;
    let bomb = super::format::write(&forged, coded).unwrap();
    let e = format!("{:#}", decompress(&bomb, &p, |_, _| {}).unwrap_err());
    assert!(e.contains("tokens for"), "{e}");
}

#[test]
fn mixed_with_token_counts_round_trips_and_repeats_cost_less() {
    let dir = tempfile::tempdir().unwrap();
    let p = tiny(dir.path(), 3);
    let mut text = b"a rose is a rose is a rose; ".repeat(12);
    text.extend([0xe2, 0x82]); // a character cut at the end
    let alone = compress(&text, &p, policy(&p, 2), 1, |_, _| {}).unwrap();
    let mixed_policy = Policy {
        mixer: 1,
        ..policy(&p, 2)
    };
    let mixed = compress(&text, &p, mixed_policy, 1, |_, _| {}).unwrap();
    assert_eq!(decompress(&mixed.bytes, &p, |_, _| {}).unwrap().bytes, text);
    assert!(
        mixed.bits < alone.bits * 0.8,
        "the counts learn the repeats: {:.0} bits mixed, {:.0} alone",
        mixed.bits,
        alone.bits
    );
    let (file, _) = super::format::read(&mixed.bytes).unwrap();
    assert_eq!(file.header.policy.mixer, 1, "the file records its mixer");
}
