//! The neural reader on a tiny fixture: its training loss falls within a few seconds, a
//! training resumed from its checkpoint continues where it stopped instead of restarting, and
//! ends with the weights an uninterrupted training has (dropout included).
//!
//! burn's CPU generator is global to the process: the tests here take [`GENERATOR`] so that one
//! test's initialisation does not reseed it in the middle of another's epoch.

use runner::artifacts::tokenizer::{train as train_tokenizer, TokenizerConfig};
use runner::data::qa::{split, SplitSpec};
use runner::models::reader::features::featurize;
use runner::models::reader::model::ReaderConfig;
use runner::models::reader::train::{train, TrainConfig};
use runner::models::tokenizer::load;

fn fixture(dir: &std::path::Path) -> std::path::PathBuf {
    let mut articles = Vec::new();
    let teams = [
        ("Denver", "Broncos"),
        ("Boston", "Patriots"),
        ("Seattle", "Seahawks"),
        ("Miami", "Dolphins"),
        ("Dallas", "Cowboys"),
        ("Chicago", "Bears"),
    ];
    for (i, (city, team)) in teams.iter().enumerate() {
        let context = format!("The {team} play in {city}. In 2015 the {team} defeated the Carolina Panthers at Levi's Stadium.");
        let s = context.find("Carolina").unwrap();
        let c = context.find(city).unwrap();
        articles.push(format!(
            r#"{{"title": "T{i}", "paragraphs": [{{"context": "{context}", "qas": [
                {{"id": "q{i}a", "question": "Which team did the {team} defeat?", "answers": [{{"text": "Carolina Panthers", "answer_start": {s}}}]}},
                {{"id": "q{i}b", "question": "Where do the {team} play?", "answers": [{{"text": "{city}", "answer_start": {c}}}]}}]}}]}}"#
        ));
    }
    let path = dir.join("tiny.json");
    std::fs::write(
        &path,
        format!(r#"{{"version": "1.1", "data": [{}]}}"#, articles.join(",")),
    )
    .unwrap();
    path
}

static GENERATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Setup {
    _dir: tempfile::TempDir,
    checkpoints: std::path::PathBuf,
    model: ReaderConfig,
    features: Vec<runner::models::reader::features::Features>,
}

fn setup() -> Setup {
    setup_with_dropout(0.0)
}

fn setup_with_dropout(dropout: f64) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = fixture(dir.path());
    let config = TokenizerConfig {
        dataset: data.display().to_string(),
        split: SplitSpec {
            seed: 0,
            train_articles: 6,
            eval_articles: 0,
        },
        model: runner::models::tokenizer::TokenizerModel::WordPiece,
        vocab_size: 200,
        min_frequency: 1,
        trainer: runner::models::tokenizer::TRAINER_VERSION,
    };
    train_tokenizer(&config, dir.path()).unwrap();
    let tokenizer = load(&dir.path().join("tokenizer.json")).unwrap();
    let file = runner::data::squad::load(&data).unwrap();
    let parts = split(&file, config.split).unwrap();
    let features = featurize(&tokenizer, &parts.train, 64, 16).unwrap();
    assert!(
        features.iter().all(|f| f.target.is_some()),
        "every answer is inside its context"
    );
    let model = ReaderConfig::new(tokenizer.get_vocab_size(true), 16, 1, 64, dropout);
    Setup {
        checkpoints: dir.path().join("checkpoint"),
        _dir: dir,
        model,
        features,
    }
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 4,
        learning_rate: 0.01,
        seed: 1,
        max_answer_tokens: 5,
    }
}

#[test]
fn training_loss_falls() {
    let _generator = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let s = setup();
    let (_, history) = train(
        &s.model,
        &config(12),
        &s.features,
        &s.checkpoints,
        &runner::models::device::cpu(),
        |_| Ok((0.0, 0.0)),
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(history.len(), 12);
    let first = history[0].train_loss;
    let last = history[11].train_loss;
    assert!(last < first * 0.7, "loss {first} -> {last}");
    assert!(history.iter().all(|h| h.tokens_per_s > 0.0));
}

#[test]
fn resumed_training_continues_from_the_checkpoint() {
    let _generator = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let s = setup();
    let (_, first) = train(
        &s.model,
        &config(2),
        &s.features,
        &s.checkpoints,
        &runner::models::device::cpu(),
        |_| Ok((0.0, 0.0)),
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(first.len(), 2);
    // "Interrupted" after epoch 2; asked for 4 epochs, it trains only epochs 3 and 4.
    let mut epochs_run = Vec::new();
    let (_, resumed) = train(
        &s.model,
        &config(4),
        &s.features,
        &s.checkpoints,
        &runner::models::device::cpu(),
        |_| Ok((0.0, 0.0)),
        |e, _, _| epochs_run.push(e),
    )
    .unwrap();
    assert_eq!(
        epochs_run,
        vec![3, 4],
        "epochs 1 and 2 were not trained again"
    );
    assert_eq!(resumed.len(), 4);
    assert_eq!(
        resumed[0].train_loss, first[0].train_loss,
        "the history is the checkpoint's"
    );
    assert_eq!(resumed[1].train_loss, first[1].train_loss);
    // Epoch 3 starts from the trained weights: its loss is below epoch 1's.
    assert!(resumed[2].train_loss < first[0].train_loss, "{resumed:?}");
}

/// Weights of a reader as bytes.
fn weights(model: &runner::models::reader::model::Reader, dir: &std::path::Path) -> Vec<u8> {
    use burn::module::Module;
    let path = dir.join("weights.bpk");
    model.clone().save_file(&path).unwrap();
    std::fs::read(&path).unwrap()
}

#[test]
fn a_training_stopped_and_resumed_ends_with_the_weights_of_an_uninterrupted_one() {
    let _generator = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let s = setup_with_dropout(0.3);
    let cpu = runner::models::device::cpu();
    let run = |dir: &std::path::Path, stop_after: usize| {
        train(
            &s.model,
            &config(4),
            &s.features,
            dir,
            &cpu,
            |_| Ok((0.0, 0.0)),
            |epoch, _, _| assert!(epoch < stop_after, "stopped after epoch {epoch}"),
        )
    };
    let (whole, history) = run(&s.checkpoints.join("whole"), usize::MAX).unwrap();
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(&s.checkpoints.join("stopped"), 2)
    }));
    assert!(stopped.is_err(), "the first part stops after epoch 2");
    let (resumed, resumed_history) = run(&s.checkpoints.join("stopped"), usize::MAX).unwrap();
    let losses = |h: &[runner::models::reader::train::EpochRecord]| {
        h.iter().map(|e| e.train_loss).collect::<Vec<_>>()
    };
    assert_eq!(losses(&history), losses(&resumed_history));
    let same = weights(&whole, &s.checkpoints) == weights(&resumed, &s.checkpoints);
    assert!(same, "the weights differ");
}

#[test]
fn ternary_fine_tuning_of_a_trained_reader_lowers_its_ternary_loss() {
    use burn::module::Module;
    use runner::models::reader::train::{finetune, span_loss};
    use runner::weights::qat::ternary_view;
    let _generator = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    let s = setup();
    let (trained, _) = train(
        &s.model,
        &config(8),
        &s.features,
        &s.checkpoints,
        &runner::models::device::cpu(),
        |_| Ok((0.0, 0.0)),
        |_, _, _| {},
    )
    .unwrap();
    // As an artifact is loaded: on the plain device, without autodiff.
    let plain = trained.valid();
    let loss = |m: &runner::models::reader::model::Reader| {
        let device = runner::models::device_of(m);
        let loss_fn = burn::nn::loss::CrossEntropyLossConfig::new().init(&device);
        let items: Vec<_> = s.features.iter().collect();
        span_loss(&ternary_view(m), &items, &loss_fn, &device)
            .unwrap()
            .1
    };
    let before = loss(&plain);
    let tuned = finetune(&plain, &s.features, 20, 0.01, 1, ternary_view).unwrap();
    let after = loss(&tuned.valid());
    assert!(after < 0.8 * before, "ternary loss {before} -> {after}");
}
