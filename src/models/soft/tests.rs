//! Tiny fixtures: the teacher and each compressor learn (loss falls) in a few steps, every M
//! gives M memory vectors, and both resume from their checkpoints where they stopped.

use burn::module::Module;

use super::compressor::{tokens_per_vector, Architecture, CompressorConfig};
use super::distill::*;
use super::pooling::mean_pool;
use super::teacher::TeacherConfig;
use super::train::*;
use super::unpack::SoftCompressor;
use crate::data::sampling::Rng;

/// Windows of random tokens (ids 5..40) whose questions ask for the token after a cue pair.
fn fixture(n: usize) -> Vec<EncodedWindow> {
    let mut rng = Rng::new(3);
    (0..n)
        .map(|_| {
            let context: Vec<u32> = (0..48).map(|_| 5 + rng.below(35) as u32).collect();
            let questions = (0..3)
                .map(|_| {
                    let at = rng.below(44);
                    (
                        context[at..at + 2].to_vec(),
                        context[at + 2..at + 4].to_vec(),
                    )
                })
                .collect();
            EncodedWindow { context, questions }
        })
        .collect()
}

fn teacher_config() -> TeacherConfig {
    TeacherConfig::new(40, 16, 2, 1, 1, 64, 64)
}

fn teacher_training(epochs: usize) -> TeacherTraining {
    TeacherTraining {
        epochs,
        batch_windows: 4,
        learning_rate: 0.01,
        seed: 1,
        max_answer: 4,
        spans_per_window: 2,
        span_tokens: 6,
        locate_weight: 1.0,
        cloze_per_window: 0,
        pooled_fraction: 0.0,
    }
}

/// A teacher trained for `epochs` (then frozen) and its greedy answers on `windows`.
fn frozen_teacher(
    windows: &[EncodedWindow],
    epochs: usize,
    dir: &std::path::Path,
) -> (super::teacher::Teacher, Vec<Vec<Vec<u32>>>) {
    let device = crate::models::device::cpu();
    let training = teacher_training(epochs);
    let (teacher, _) = train_teacher(
        &teacher_config(),
        &training,
        windows,
        dir,
        &device,
        |_, _, _| {},
    )
    .unwrap();
    let teacher = teacher.valid();
    let greedy = answer(&teacher, windows, 64, 4, 4, &|_, h| (h, None));
    (teacher, greedy)
}

/// Runs `f` on a one-thread pool: with several threads, burn's CPU kernels may sum in an order
/// that depends on how busy the other test threads keep the cores, and the resume tests compare
/// losses bit for bit (runs use `[resources] threads`, 1 by default).
fn one_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn the_teacher_learns_and_resumes_where_it_stopped() {
    let _alone = crate::models::draws_alone();
    one_thread(teacher_resumes);
}

fn teacher_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let windows = fixture(8);
    let device = crate::models::device::cpu();
    let (_, history) = train_teacher(
        &teacher_config(),
        &teacher_training(6),
        &windows,
        &dir.path().join("a"),
        &device,
        |_, _, _| {},
    )
    .unwrap();
    assert!(
        history[5].train_loss < history[0].train_loss * 0.9,
        "{history:?}"
    );
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        train_teacher(
            &teacher_config(),
            &teacher_training(6),
            &windows,
            &dir.path().join("b"),
            &device,
            |e, _, _| assert!(e < 3, "stopped"),
        )
    }));
    assert!(stopped.is_err());
    let mut epochs = Vec::new();
    let (_, resumed) = train_teacher(
        &teacher_config(),
        &teacher_training(6),
        &windows,
        &dir.path().join("b"),
        &device,
        |e, _, _| epochs.push(e),
    )
    .unwrap();
    assert_eq!(epochs, [4, 5, 6]);
    same_losses(&history, &resumed);
}

/// The losses of two histories are equal (to the last digit or two that a checkpoint's JSON
/// keeps: serde_json parses a decimal f64 to within one ulp).
fn same_losses(a: &[EpochRecord], b: &[EpochRecord]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.train_loss, y.train_loss);
        assert!(
            (x - y).abs() <= 1e-12 * x.abs(),
            "as if never stopped: {x} vs {y}"
        );
    }
}

#[test]
fn a_cloze_question_is_its_stretch_of_context_with_the_answer_masked() {
    let context: Vec<u32> = (10..90).collect();
    let mut rng = Rng::new(5);
    let items = cloze(&context, 40, &mut rng);
    assert_eq!(items.len(), 40);
    for (question, answer, at) in items {
        assert!((1..=3).contains(&answer.len()));
        assert_eq!(answer, context[at..at + answer.len()]);
        let blank = question.iter().position(|&t| t == 4).unwrap();
        assert_eq!(question.iter().filter(|&&t| t == 4).count(), 1);
        assert_eq!(question[..blank], context[at.saturating_sub(10)..at]);
        let end = (at + answer.len() + 10).min(context.len());
        assert_eq!(question[blank + 1..], context[at + answer.len()..end]);
    }
    assert!(cloze(&context[..20], 3, &mut rng).is_empty());
}

#[test]
fn encoder_states_cached_once_are_those_of_a_fresh_encoding() {
    let _alone = crate::models::draws_alone();
    let device = crate::models::device::cpu();
    let mut windows = fixture(5);
    windows[1].context.truncate(30);
    let teacher = teacher_config().init(&device);
    let cached = encode_all(&teacher, &windows, 64, 2, &device);
    let chunk = [3usize, 1, 4];
    let rows: Vec<&EncodedWindow> = chunk.iter().map(|&i| &windows[i]).collect();
    let ctx = contexts(&rows, 64, &device);
    let fresh = teacher.encode(&ctx);
    let stacked = stack_states(chunk.iter().map(|&i| cached[i].clone()).collect(), 48);
    assert_eq!(stacked.dims(), fresh.dims());
    let [b, l, d] = fresh.dims();
    let keep = ctx
        .pad
        .clone()
        .bool_not()
        .float()
        .reshape([b, l, 1])
        .expand([b, l, d]);
    let gap: f32 = ((stacked.clone() - fresh) * keep).abs().max().into_scalar();
    assert!(gap < 1e-5, "cached and fresh states differ by {gap}");
    let padding: f32 = stacked
        .slice([1..2, 30..48, 0..d])
        .abs()
        .max()
        .into_scalar();
    assert_eq!(padding, 0.0, "a shorter window is padded with zeros");
}

#[test]
fn every_compressor_makes_m_vectors_and_learns() {
    let _alone = crate::models::draws_alone();
    let dir = tempfile::tempdir().unwrap();
    let windows = fixture(8);
    let device = crate::models::device::cpu();
    let (teacher, greedy) = frozen_teacher(&windows, 2, &dir.path().join("t"));
    for architecture in [
        Architecture::CrossAttention,
        Architecture::Conv,
        Architecture::Pooling,
        Architecture::Gist,
        Architecture::Select,
    ] {
        for m in [1, 4, 8] {
            let config = CompressorConfig::new(16, m, 64).with_heads(2);
            let compressor = config.init(architecture, &device);
            let refs: Vec<&EncodedWindow> = windows.iter().take(3).collect();
            let ctx = contexts(&refs, 64, &device);
            let h = teacher.encode(&ctx);
            let memory = compressor.forward(h.clone(), ctx.pad.clone(), &ctx.lengths);
            assert_eq!(memory.dims(), [3, m, 16], "{architecture:?} M={m}");
            let slots = config.clone().with_unpack(true);
            let unpacked = SoftCompressor::init(&slots, architecture, &device);
            let memory = unpacked.forward(h.clone(), ctx.pad.clone(), &ctx.lengths);
            let k = tokens_per_vector(64, m);
            assert_eq!(memory.dims(), [3, m, 16], "{architecture:?} M={m}, slots");
            assert_eq!(unpacked.readable(memory).dims(), [3, m * k, 16]);
            assert_eq!(mean_pool(h, &ctx.lengths, m).dims(), [3, m, 16]);
        }
        let training = CompressorTraining {
            epochs: 5,
            batch_windows: 4,
            learning_rate: 0.01,
            seed: 2,
            max_answer: 4,
            weights: LossWeights {
                teacher_forcing: 0.5,
                generation: 0.3,
                contrastive: 0.2,
                reconstruction: 0.2,
                keep: if architecture == Architecture::Select {
                    1.0
                } else {
                    0.0
                },
            },
            temperature: 0.1,
        };
        let config = CompressorConfig::new(16, 4, 64).with_heads(2);
        let path = dir.path().join(format!("{architecture:?}"));
        let (_, history) = train_compressor(
            &teacher,
            architecture,
            &config,
            &training,
            &windows,
            &greedy,
            &path,
            |_, _, _| {},
        )
        .unwrap();
        assert!(
            history[4].train_loss < history[0].train_loss,
            "{architecture:?}: {history:?}"
        );
        assert!(history
            .iter()
            .all(|r| r.contrastive > 0.0 && r.generation > 0.0 && r.reconstruction > 0.0));
        let selects = architecture == Architecture::Select;
        assert!(history.iter().all(|r| (r.keep > 0.0) == selects));
    }
}

#[test]
fn a_compressor_resumes_where_it_stopped() {
    let _alone = crate::models::draws_alone();
    one_thread(compressor_resumes);
}

fn compressor_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let windows = fixture(8);
    let (teacher, greedy) = frozen_teacher(&windows, 1, &dir.path().join("t"));
    // With the decoder's slots and the reconstruction loss: both resume too.
    let config = CompressorConfig::new(16, 4, 64)
        .with_heads(2)
        .with_unpack(true);
    let training = CompressorTraining {
        epochs: 4,
        batch_windows: 4,
        learning_rate: 0.01,
        seed: 2,
        max_answer: 4,
        weights: LossWeights {
            teacher_forcing: 1.0,
            generation: 0.5,
            contrastive: 0.1,
            reconstruction: 0.5,
            keep: 0.0,
        },
        temperature: 0.1,
    };
    // conv with principal packing: a resumed run keeps its trained maps (no second start).
    let principal = config.clone().with_principal(true);
    for (architecture, config) in [
        (Architecture::Gist, config),
        (Architecture::Conv, principal),
    ] {
        let run = |name: &str, stop: usize| {
            train_compressor(
                &teacher,
                architecture,
                &config,
                &training,
                &windows,
                &greedy,
                &dir.path().join(format!("{architecture:?}-{name}")),
                |e, _, _| assert!(e < stop, "stopped"),
            )
        };
        let (_, whole) = run("whole", usize::MAX).unwrap();
        let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run("part", 2)));
        assert!(stopped.is_err());
        let (_, resumed) = run("part", usize::MAX).unwrap();
        same_losses(&whole, &resumed);
    }
}

#[test]
fn the_last_position_logits_are_those_of_the_whole_decode() {
    let _alone = crate::models::draws_alone();
    use super::teacher::Tokens;
    let device = crate::models::device::cpu();
    let teacher = crate::models::seeded(&device, 4, |d| teacher_config().init(d));
    let windows = fixture(2);
    let refs: Vec<&EncodedWindow> = windows.iter().collect();
    let ctx = contexts(&refs, 64, &device);
    let h = teacher.encode(&ctx);
    let seqs: [&[u32]; 2] = [&[5, 6, 7], &[8, 9]];
    let tokens = Tokens::new(&seqs, 64, &device);
    let every = burn::tensor::Tensor::arange(0..6, &device);
    let all = teacher.decode_at(h.clone(), Some(ctx.pad.clone()), &tokens, every);
    let last = teacher.decode_last(h, Some(ctx.pad), &tokens);
    let all: Vec<f32> = all.into_data().try_to_vec().unwrap();
    let last: Vec<f32> = last.into_data().try_to_vec().unwrap();
    let v = 40;
    for (row, len) in [(0usize, 3usize), (1, 2)] {
        for k in 0..v {
            let a = all[(row * 3 + len - 1) * v + k];
            assert!((a - last[row * v + k]).abs() < 1e-4, "row {row} token {k}");
        }
    }
}

#[test]
fn the_match_prior_peaks_near_the_question_words_and_ignores_padding() {
    use burn::tensor::{Bool, Distribution, Int, Tensor, TensorData};
    let device = crate::models::device::cpu();
    let (vocab, d, l) = (200usize, 64usize, 96usize);
    let prior = crate::models::seeded(&device, 5, |dev| {
        super::matching::QuestionMatchConfig::new(vocab, d).init(dev)
    });
    let table = Tensor::<2>::random([vocab, d], Distribution::Normal(0.0, 1.0), &device);
    let mut context: Vec<i64> = (0..l as i64).map(|i| 10 + i).collect();
    // The question's words occur at 20..24, and again at 88..92, inside the padding.
    for k in 0..4 {
        context[88 + k] = context[20 + k];
    }
    let ids =
        |v: &[i64]| Tensor::<2, Int>::from_data(TensorData::new(v.to_vec(), [1, v.len()]), &device);
    let memory = table
        .clone()
        .select(0, ids(&context).reshape([l]))
        .reshape([1, l, d]);
    let question = [context[20], context[21], context[22], context[23], 3];
    let tokens = table
        .select(0, ids(&question).reshape([5]))
        .reshape([1, 5, d]);
    let mask = vec![1.0f32, 1.0, 1.0, 1.0, 0.0];
    let mask = Tensor::<2>::from_data(TensorData::new(mask, [1, 5]), &device);
    let mut pad = vec![false; l];
    pad[80..].iter_mut().for_each(|p| *p = true);
    let pad = Tensor::<2, Bool>::from_data(TensorData::new(pad, [1, l]), &device);
    let scores: Vec<f32> = prior
        .forward(tokens, ids(&question), mask, memory, Some(pad))
        .into_data()
        .try_to_vec()
        .unwrap();
    assert_eq!(scores.len(), l);
    assert!(
        scores[26] > scores[60] + 0.8,
        "near {} far {}",
        scores[26],
        scores[60]
    );
    // Matches inside the padding count for nothing.
    assert!(
        scores[90] < scores[60] + 0.2,
        "padded {} far {}",
        scores[90],
        scores[60]
    );
}
