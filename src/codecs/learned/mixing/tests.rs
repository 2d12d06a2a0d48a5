use super::bit_coder::{BitDecoder, BitEncoder};
use super::coding::{decode_byte, encode_byte};
use super::predictor::ContextMixer;
use super::MixingConfig;

/// Count models only, one stream: the coded bytes of `data`.
fn compress(data: &[u8], config: &MixingConfig) -> Vec<u8> {
    let mut mixer = ContextMixer::new(config, 1).unwrap();
    let mut coder = BitEncoder::new();
    for &b in data {
        encode_byte(&mut mixer, &mut coder, 0, b, None);
    }
    coder.finish()
}

/// Inverse of [`compress`] for `len` bytes.
fn decompress(coded: &[u8], len: usize, config: &MixingConfig) -> Vec<u8> {
    let mut mixer = ContextMixer::new(config, 1).unwrap();
    let mut coder = BitDecoder::new(coded);
    (0..len)
        .map(|_| decode_byte(&mut mixer, &mut coder, 0, None))
        .collect()
}

fn text() -> Vec<u8> {
    let words = [
        "the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ", "and ",
    ];
    let mut state = 7u64;
    (0..6000)
        .flat_map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            words[(state >> 40) as usize % words.len()].bytes()
        })
        .collect()
}

#[test]
fn count_models_round_trip_and_compress_text() {
    let data = text();
    let config = MixingConfig::default();
    let coded = compress(&data, &config);
    assert_eq!(decompress(&coded, data.len(), &config), data);
    // Nine words drawn at random: about log2(9) = 3.17 bits a word of 4.4 bytes.
    let bpc = coded.len() as f64 * 8.0 / data.len() as f64;
    assert!(bpc < 1.0, "{bpc}");
}

#[test]
fn empty_and_binary_inputs_round_trip() {
    let config = MixingConfig::default();
    assert_eq!(decompress(&compress(b"", &config), 0, &config), b"");
    let bytes: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let coded = compress(&bytes, &config);
    assert_eq!(decompress(&coded, bytes.len(), &config), bytes);
}

/// Bits per character of the count models on the files of RUNNER_MIX_FILES (a measurement,
/// run by hand: `cargo test --lib mixing::tests::measure -- --ignored --nocapture`).
#[test]
#[ignore]
fn measure() {
    let files = std::env::var("RUNNER_MIX_FILES").unwrap_or_default();
    let config: MixingConfig = std::env::var("RUNNER_MIX_CONFIG")
        .map(|c| serde_json::from_str(&c).unwrap())
        .unwrap_or_default();
    let mut total = (0usize, 0usize);
    for f in files.split(',').filter(|f| !f.is_empty()) {
        let data = std::fs::read(f).unwrap();
        let t = std::time::Instant::now();
        let coded = compress(&data, &config);
        let s = t.elapsed().as_secs_f64();
        total = (total.0 + coded.len(), total.1 + data.len());
        println!(
            "{f}: {:.4} bpc, {:.1} KB/s",
            coded.len() as f64 * 8.0 / data.len() as f64,
            data.len() as f64 / 1000.0 / s
        );
    }
    println!(
        "total: {:.4} bpc",
        total.0 as f64 * 8.0 / total.1.max(1) as f64
    );
}

#[test]
fn configurations_that_would_take_too_much_memory_are_refused() {
    assert!(MixingConfig::default().validate().is_ok());
    let many = MixingConfig {
        orders: (1..=13).collect(),
        ..MixingConfig::default()
    };
    assert!(many.validate().unwrap_err().contains("at most 12"));
    let wide = MixingConfig {
        table_bits: 24,
        ..MixingConfig::default()
    };
    assert!(wide.validate().unwrap_err().contains("table_bits"));
}
