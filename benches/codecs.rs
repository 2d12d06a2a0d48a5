//! Codec task overhead benchmark (`cargo bench --bench codecs`): throughput of each algorithm
//! measured through the task's code path (evaluate_one: codec wrapper, round-trip check,
//! result record) against the library's own API called directly in a tight loop on the same
//! inputs, both timed by the same harness, interleaved per input.
//! Target: the task's overhead stays within 10%. Results go to target/bench/codecs.json.

use std::io::{Read, Write};
use std::time::Duration;

use runner::codecs::algorithm::{Algorithm, Codec, LevelSpec, ALL};
use runner::codecs::evaluate;
use runner::codecs::timing::{measure, TimingPolicy};
use runner::data::texts::{self, TextSource};

/// Compresses with the library's own API, nothing else.
fn direct_compress(a: Algorithm, level: i32, data: &[u8]) -> Vec<u8> {
    match a {
        Algorithm::Gzip => {
            let mut e =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level as u32));
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Algorithm::Zlib => {
            let mut e =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level as u32));
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Algorithm::Deflate => {
            let mut e = flate2::write::DeflateEncoder::new(
                Vec::new(),
                flate2::Compression::new(level as u32),
            );
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Algorithm::Xz => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), level as u32);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Algorithm::Lzma => {
            let opts = liblzma::stream::LzmaOptions::new_preset(level as u32).unwrap();
            let mut e = liblzma::write::XzEncoder::new_stream(
                Vec::new(),
                liblzma::stream::Stream::new_lzma_encoder(&opts).unwrap(),
            );
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Algorithm::Lz4 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Algorithm::Zstd => zstd::bulk::compress(data, level).unwrap(),
        Algorithm::Brotli => {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: level,
                lgwin: 22,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
            out
        }
    }
}

fn direct_decompress(a: Algorithm, data: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    match a {
        Algorithm::Gzip => drop(flate2::read::GzDecoder::new(data).read_to_end(&mut out)),
        Algorithm::Zlib => drop(flate2::read::ZlibDecoder::new(data).read_to_end(&mut out)),
        Algorithm::Deflate => drop(flate2::read::DeflateDecoder::new(data).read_to_end(&mut out)),
        Algorithm::Xz => drop(liblzma::read::XzDecoder::new(data).read_to_end(&mut out)),
        Algorithm::Lzma => {
            let s = liblzma::stream::Stream::new_lzma_decoder(u64::MAX).unwrap();
            drop(liblzma::read::XzDecoder::new_stream(data, s).read_to_end(&mut out))
        }
        Algorithm::Lz4 => drop(lz4_flex::frame::FrameDecoder::new(data).read_to_end(&mut out)),
        Algorithm::Zstd => out = zstd::bulk::decompress(data, size).unwrap(),
        Algorithm::Brotli => drop(brotli::BrotliDecompress(&mut &data[..], &mut out)),
    }
    out
}

fn main() {
    let dir = runner::data::data_dir();
    let squad = TextSource::path(dir.join("squad/dev-v1.1.json"));
    let Ok(all) = texts::load(&squad) else {
        eprintln!(
            "SKIPPED: no SQuAD file under {} (set RUNNER_DATA)",
            dir.display()
        );
        return;
    };
    let sample = runner::data::sampling::sample(all, 300, 0);
    let inputs: Vec<Vec<u8>> = sample.iter().map(|t| t.bytes.clone()).collect();
    let policy = TimingPolicy {
        min_time: Duration::from_millis(5),
        min_batches: 5,
    };
    println!(
        "codec throughput on {} SQuAD contexts ({} bytes), default levels",
        inputs.len(),
        inputs.iter().map(Vec::len).sum::<usize>()
    );
    println!(
        "{:<10} {:>12} {:>12} {:>9}   {:>12} {:>12} {:>9}",
        "codec", "direct c", "task c", "overhead", "direct d", "task d", "overhead"
    );
    let mut rows = Vec::new();
    for a in ALL {
        let codec = Codec::new(a, &LevelSpec::Default).unwrap();
        // Interleaved per input, with the same timing harness on both sides, so drift of the
        // machine hits both alike: the library called directly, then the task's evaluation
        // (codec wrapper, round-trip check, result record) on the same input.
        let (mut dc, mut dd, mut tc, mut td) = (0.0, 0.0, 0.0, 0.0);
        for text in &sample {
            let data = &text.bytes;
            let (packed, c) = measure(policy, || direct_compress(a, codec.level, data));
            let (_, d) = measure(policy, || direct_decompress(a, &packed, data.len()));
            dc += c.seconds;
            dd += d.seconds;
            let r = evaluate::evaluate_one(&codec, data, policy);
            assert!(r.error.is_none());
            tc += r.compression_time;
            td += r.decompression_time;
        }
        let mb = inputs.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
        let (direct_c, direct_d) = (mb / dc, mb / dd);
        let (task_c, task_d) = (mb / tc, mb / td);
        let over_c = (direct_c - task_c) / direct_c * 100.0;
        let over_d = (direct_d - task_d) / direct_d * 100.0;
        println!(
            "{:<10} {:>9.2} MB/s {:>7.2} MB/s {:>8.1}%   {:>7.2} MB/s {:>7.2} MB/s {:>8.1}%",
            codec.label(),
            direct_c,
            task_c,
            over_c,
            direct_d,
            task_d,
            over_d
        );
        rows.push(serde_json::json!({
            "codec": codec.label(), "direct_compress_mb_s": direct_c, "task_compress_mb_s": task_c,
            "compress_overhead_pct": over_c, "direct_decompress_mb_s": direct_d,
            "task_decompress_mb_s": task_d, "decompress_overhead_pct": over_d,
        }));
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("codecs.json"),
        serde_json::to_string_pretty(&rows).unwrap(),
    )
    .unwrap();
}
