//! The neural reader on a tiny fixture: its training loss falls within a few seconds, and a
//! training resumed from its checkpoint continues where it stopped instead of restarting.

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

struct Setup {
    _dir: tempfile::TempDir,
    checkpoints: std::path::PathBuf,
    model: ReaderConfig,
    features: Vec<runner::models::reader::features::Features>,
}

fn setup() -> Setup {
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
    let model = ReaderConfig::new(tokenizer.get_vocab_size(true), 16, 1, 64, 0.0);
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
