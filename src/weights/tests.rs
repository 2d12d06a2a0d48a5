//! Round trips of every method on random matrices (errors within their bounds), exact bit
//! accounting on a hand-computed example, the lossless stage never growing a file, and damaged
//! files refused.

use super::codec::Codec;
use super::method::{Method, Role};
use super::tensors::NamedTensor;
use crate::data::sampling::Rng;

fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let u = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            let v = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32 * 0.1
        })
        .collect()
}

fn tensor(rows: usize, cols: usize, seed: u64) -> NamedTensor {
    NamedTensor {
        name: "w".into(),
        shape: vec![rows, cols],
        values: gaussian(rows * cols, seed),
    }
}

fn round_trip(method: Method, t: &NamedTensor) -> (Vec<f32>, super::method::Encoded) {
    let codec = Codec::default();
    let e = codec.encode(method, t, 7).unwrap();
    (codec.decode(&e, &t.shape).unwrap(), e)
}

fn mse(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x - y).powi(2))
        .sum::<f64>()
        / a.len() as f64
}

/// Mean squared error of plain min–max rounding at `bits`, per row.
fn minmax_mse(t: &NamedTensor, bits: u32) -> f64 {
    let cols = t.shape[1];
    let top = ((1u32 << bits) - 1) as f32;
    let mut out = Vec::new();
    for row in t.values.chunks(cols) {
        let lo = row.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let s = (hi - lo) / top;
        out.extend(row.iter().map(|&x| lo + ((x - lo) / s).round() * s));
    }
    mse(&t.values, &out)
}

#[test]
fn round_to_nearest_is_no_worse_than_min_max_and_within_a_step() {
    let t = tensor(16, 128, 1);
    for bits in [8u32, 4, 3] {
        let (back, _) = round_trip(Method::Rtn { bits, group: 0 }, &t);
        let plain = minmax_mse(&t, bits);
        // Half-precision scales add a little; the clipping search may only lower the error.
        assert!(mse(&t.values, &back) <= plain * 1.02, "{bits} bits");
        let range = 0.8f32; // ±4 sigma of N(0, 0.1²)
        let step = range / ((1u32 << bits) - 1) as f32;
        let worst = t
            .values
            .iter()
            .zip(&back)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            worst <= 0.3 * 0.45 + step,
            "{bits} bits: worst error {worst}"
        );
    }
    // 8 bits per channel: signal-to-noise above 40 dB.
    let (back, _) = round_trip(Method::Rtn { bits: 8, group: 0 }, &t);
    let power = mse(&t.values, &vec![0.0; t.values.len()]);
    assert!(10.0 * (power / mse(&t.values, &back)).log10() > 40.0);
}

#[test]
fn ternary_values_are_the_absmean_scale_times_a_trit() {
    let t = tensor(8, 200, 2);
    let (back, e) = round_trip(Method::Ternary, &t);
    let gamma = super::ternary::absmean(&t.values);
    for (x, y) in t.values.iter().zip(&back) {
        assert_eq!(*y, super::ternary::trit(*x, gamma) * gamma);
    }
    assert_eq!(e.bits(Role::Codes), 8 * 1600 / 5);
}

#[test]
fn seedlm_fits_blocks_at_four_and_three_bits() {
    let t = tensor(4, 96, 3);
    for (block, coefficients, bpw) in [(8usize, 3usize, 4.0f64), (12, 4, 3.0)] {
        let (back, e) = round_trip(
            Method::SeedLm {
                block,
                coefficients,
            },
            &t,
        );
        let codes = e.bits(Role::Codes) as f64 / t.values.len() as f64;
        assert!(
            (codes - bpw).abs() < 1e-9,
            "C = {block}: {codes} bits per weight"
        );
        // P of C dimensions kept from the best of 65,535 random subspaces: well under the
        // signal's energy (P / C of it would be kept by a random subspace).
        let relative = mse(&t.values, &back) / mse(&t.values, &vec![0.0; t.values.len()]);
        let random = 1.0 - coefficients as f64 / block as f64;
        assert!(
            relative < 0.8 * random,
            "C = {block}: relative error {relative}"
        );
    }
}

#[test]
fn vector_quantisation_recovers_clustered_vectors_and_the_residual_helps() {
    let centres = gaussian(16 * 4, 4);
    let noise = gaussian(4096 * 4, 5);
    let mut rng = Rng::new(6);
    let values: Vec<f32> = (0..4096)
        .flat_map(|i| {
            let c = rng.below(16);
            (0..4).map(move |j| (c, i, j))
        })
        .map(|(c, i, j)| centres[c * 4 + j] + 0.01 * noise[i * 4 + j])
        .collect();
    let t = NamedTensor {
        name: "w".into(),
        shape: vec![64, 256],
        values,
    };
    let (one, _) = round_trip(
        Method::Vq {
            dim: 4,
            entries: 16,
            residual: 0,
        },
        &t,
    );
    let (two, e) = round_trip(
        Method::Vq {
            dim: 4,
            entries: 16,
            residual: 16,
        },
        &t,
    );
    let power = mse(&t.values, &vec![0.0; t.values.len()]);
    assert!(
        mse(&t.values, &one) < 0.01 * power,
        "{}",
        mse(&t.values, &one) / power
    );
    assert!(mse(&t.values, &two) < mse(&t.values, &one));
    assert_eq!(e.bits(Role::Codes), 2 * 4096 * 4);
    assert_eq!(e.bits(Role::Side), 2 * 16 * 4 * 16);
}

#[test]
fn weighted_vector_quantisation_fits_the_heavy_rows_better() {
    // Centroids are weighted means; a row weighted a thousand times pulls its centroid.
    let book = super::vq::kmeans(&[0.0, 0.0, 1.0, 1.0], 2, 1, 0, Some(&[3.0, 1.0]));
    assert_eq!(book, vec![0.25, 0.25]);
    // 64 rows of 16 vectors, a 16-entry codebook: the first 8 rows ("frequent tokens",
    // weighted) hold 16 clusters, the other rows 48 more. Weighted, the heavy rows come out far
    // closer and the whole a little worse.
    let centres = gaussian(64 * 4, 7);
    let cluster = |v: usize| {
        if v < 8 * 16 {
            v % 16
        } else {
            16 + (v * 7919) % 48
        }
    };
    let values: Vec<f32> = (0..64 * 16)
        .flat_map(|v| (0..4).map(move |j| (v, j)))
        .map(|(v, j)| centres[cluster(v) * 4 + j])
        .collect();
    let t = NamedTensor {
        name: "embed.weight".into(),
        shape: vec![64, 64],
        values,
    };
    let method = Method::Vq {
        dim: 4,
        entries: 16,
        residual: 0,
    };
    let codec = Codec::default();
    let rows: Vec<f32> = (0..64).map(|r| if r < 8 { 1000.0 } else { 1.0 }).collect();
    let decode = |rows: Option<&[f32]>| {
        let e = codec.encode_weighted(method, &t, 1, rows).unwrap();
        codec.decode(&e, &t.shape).unwrap()
    };
    let (plain, weighted) = (decode(None), decode(Some(&rows)));
    let heavy = 8 * 64;
    let err = |d: &[f32], r: std::ops::Range<usize>| mse(&t.values[r.clone()], &d[r]);
    assert!(
        err(&weighted, 0..heavy) < 0.5 * err(&plain, 0..heavy),
        "{} {}",
        err(&weighted, 0..heavy),
        err(&plain, 0..heavy)
    );
    assert!(err(&weighted, 0..t.values.len()) > err(&plain, 0..t.values.len()));
}

#[test]
fn an_importance_that_fits_no_tensor_is_an_error() {
    use burn::nn::{Embedding, EmbeddingConfig};
    let device = crate::models::device::cpu();
    let model: Embedding = EmbeddingConfig::new(100, 16).init(&device);
    let importance = |rows: usize| super::model::RowImportance {
        suffix: "weight".into(),
        rows: vec![1.0; rows],
    };
    let method = Method::Vq {
        dim: 4,
        entries: 16,
        residual: 0,
    };
    let compress = |i| {
        super::model::compress_with(
            &model,
            &serde_json::json!({}),
            method,
            0,
            &Codec::default(),
            &[i],
        )
    };
    assert!(compress(importance(100)).is_ok());
    let error = compress(importance(99)).unwrap_err().to_string();
    assert!(error.contains("99 rows"), "{error}");
}

#[test]
fn bits_are_counted_exactly_on_a_hand_computed_model() {
    use super::accounting::Accounting;
    let codec = Codec::default();
    // A 32 × 64 matrix at 4 bits in groups of 32: 2,048 codes × 4 bits = 8,192 bits; 64 groups
    // × (16-bit scale + 16-bit minimum) = 2,048 bits. A bias of 64 in half precision: 1,024 bits.
    let w = tensor(32, 64, 8);
    let b = NamedTensor {
        name: "b".into(),
        shape: vec![64],
        values: gaussian(64, 9),
    };
    let ew = codec
        .encode(Method::Rtn { bits: 4, group: 32 }, &w, 0)
        .unwrap();
    let eb = codec.encode(Method::Half, &b, 0).unwrap();
    assert_eq!(ew.bits(Role::Codes), 8192);
    assert_eq!(ew.bits(Role::Side), 2048);
    assert_eq!(eb.bits(Role::Codes), 1024);
    let a = Accounting::of(&[(2048, &ew), (64, &eb)], 1500, 1400);
    assert_eq!(a.parameters, 2112);
    assert_eq!(a.quantised_parameters, 2048);
    assert!((a.bpw_quantised() - 5.0).abs() < 1e-12);
    assert!((a.bpw_all() - 8.0 * 1500.0 / 2112.0).abs() < 1e-12);
    assert_eq!(a.fp32_bytes, 8448);
}

fn small_file(entropy: bool) -> Vec<u8> {
    let codec = Codec::default();
    let t = tensor(16, 1024, 10);
    let e = codec
        .encode(Method::Rtn { bits: 4, group: 0 }, &t, 0)
        .unwrap();
    super::file::serialize(
        &serde_json::json!({"kind": "test"}),
        &[("w".into(), vec![16, 1024])],
        &[e],
        entropy,
    )
    .unwrap()
}

#[test]
fn the_lossless_stage_never_grows_the_file_and_reads_back() {
    let packed = small_file(false);
    let coded = small_file(true);
    assert!(
        coded.len() <= packed.len(),
        "{} > {}",
        coded.len(),
        packed.len()
    );
    let (_, a) = super::file::parse(&packed, "packed").unwrap();
    let (_, b) = super::file::parse(&coded, "coded").unwrap();
    assert_eq!(a, b);
    // Gaussian weights at 4 bits per channel: the codes' order-0 entropy is well below 4 bits.
    let (header, _) = super::file::parse(&coded, "coded").unwrap();
    assert_eq!(
        header.tensors[0].streams[0].coding,
        super::entropy::Coding::Range
    );
}

#[test]
fn damaged_files_are_errors() {
    let good = small_file(true);
    assert!(super::file::parse(&good, "good").is_ok());
    for at in [0usize, 9, 20, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 0x40;
        assert!(
            super::file::parse(&bad, "bad").is_err(),
            "byte {at} flipped"
        );
    }
    assert!(super::file::parse(&good[..good.len() - 5], "short").is_err());
    assert!(super::file::parse(&[], "empty").is_err());
}

#[test]
fn a_module_round_trips_through_a_file() {
    use burn::nn::{Linear, LinearConfig};
    let device = crate::models::device::cpu();
    let model: Linear = crate::models::seeded(&device, 3, |d| LinearConfig::new(64, 32).init(d));
    let codec = Codec::default();
    let c = super::model::compress(
        &model,
        &serde_json::json!({}),
        Method::Rtn { bits: 8, group: 0 },
        0,
        &codec,
    )
    .unwrap();
    assert_eq!(c.accounting.parameters, 64 * 32 + 32);
    let fresh: Linear = LinearConfig::new(64, 32).init(&device);
    let (back, header, _) = super::model::restore(fresh, &c.bytes, "linear", &codec).unwrap();
    assert_eq!(header.tensors[1].method, Method::Half);
    let before = super::tensors::collect(&model);
    let after = super::tensors::collect(&back);
    assert!(mse(&before[0].values, &after[0].values) < 1e-6);
    let wrong: Linear = LinearConfig::new(32, 32).init(&device);
    assert!(super::model::restore(wrong, &c.bytes, "linear", &codec).is_err());
}

#[test]
fn the_ternary_view_is_ternary_and_passes_gradients_to_the_latent_weights() {
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::GradientsParams;
    use burn::tensor::{Distribution, Tensor};
    let device = crate::models::device::cpu().autodiff();
    let model: Linear = crate::models::seeded(&device, 2, |d| LinearConfig::new(64, 32).init(d));
    let view = super::qat::ternary_view(&model);
    let w = super::tensors::collect(&view);
    let gamma = super::ternary::absmean(&super::tensors::collect(&model)[0].values);
    let mut levels: Vec<f32> = w[0].values.clone();
    levels.sort_by(f32::total_cmp);
    // w + (q − w) is q up to one rounding: levels within a millionth of the scale are one.
    levels.dedup_by(|a, b| (*a - *b).abs() <= 1e-6 * gamma);
    assert_eq!(levels.len(), 3, "{levels:?}");
    assert!((levels[2] - gamma).abs() < 1e-4 * gamma);
    // The bias (32 values) is not ternarised.
    assert_eq!(w[1].values, super::tensors::collect(&model)[1].values);
    let x = Tensor::<2>::random([8, 64], Distribution::Normal(0.0, 1.0), &device);
    let loss = view.forward(x).powf_scalar(2.0).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let mut optim = burn::optim::SgdConfig::new().init();
    let stepped = optim.step(0.1, model.clone(), grads);
    let before = &super::tensors::collect(&model)[0].values;
    let after = &super::tensors::collect(&stepped)[0].values;
    assert!(before.iter().zip(after).filter(|(a, b)| a != b).count() > 1000);
}

/// Seconds SeedLM takes to encode a 1,048,576-weight tensor at 4 and 3 bits (a measurement,
/// run by hand: `cargo test --lib weights::tests::seedlm_encoding_time -- --ignored --nocapture`).
#[test]
#[ignore]
fn seedlm_encoding_time() {
    let values = gaussian(1 << 20, 9);
    for (block, coefficients) in [(8usize, 3usize), (12, 4)] {
        let start = std::time::Instant::now();
        let table = super::seedlm::SeedTable::new(block, coefficients);
        let built = start.elapsed().as_secs_f64();
        let encoded = super::seedlm::encode(&table, &values);
        let seconds = start.elapsed().as_secs_f64();
        let back = super::seedlm::decode(&table, &encoded, values.len()).unwrap();
        let relative = mse(&values, &back) / mse(&values, &vec![0.0; values.len()]);
        println!(
            "C = {block}, P = {coefficients}: {seconds:.1} s ({built:.1} s for the table), relative error {relative:.3}, {} threads",
            rayon::current_num_threads()
        );
    }
}
