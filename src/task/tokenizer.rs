//! The `tokenizer` task: trains (or reuses from the artifact store) a BPE or WordPiece tokenizer
//! on a SQuAD split's training articles, and measures it on the held-out articles: tokens per
//! word, unknown-token rate, vocabulary size. Grids over `vocab_size` and `model` compare them.

use anyhow::Result;
use serde_json::{json, Map, Value};

use super::builtin::{int_param, str_param, ExecContext};
use super::schema::{self, Kind, Param};
use super::Task;
use crate::artifacts::tokenizer::{get, TokenizerConfig};
use crate::artifacts::ArtifactStore;
use crate::data::qa::{split, SplitSpec};
use crate::spec::{Spec, SpecError};

/// Parameters that choose the QA data and its article split (shared by QA tasks).
pub const SPLIT_PARAMS: [Param; 4] = [
    Param {
        name: "dataset",
        kind: Kind::Str,
        required: false,
        doc: "SQuAD-format data: squad-dev (default), xquad-en, or a path",
    },
    Param {
        name: "split_seed",
        kind: Kind::Int,
        required: false,
        doc: "seed of the article split (default 0)",
    },
    Param {
        name: "train_articles",
        kind: Kind::Int,
        required: false,
        doc: "articles for training (default 38)",
    },
    Param {
        name: "eval_articles",
        kind: Kind::Int,
        required: false,
        doc: "held-out articles for evaluation (default 10)",
    },
];

/// Parameters of the tokenizer task.
pub fn params() -> Vec<Param> {
    let mut p = vec![
        Param {
            name: "model",
            kind: Kind::Str,
            required: false,
            doc: "bpe (default) or wordpiece",
        },
        Param {
            name: "vocab_size",
            kind: Kind::Int,
            required: false,
            doc: "target vocabulary size (default 8000)",
        },
        Param {
            name: "min_frequency",
            kind: Kind::Int,
            required: false,
            doc: "least count of a merge (default 2)",
        },
    ];
    p.extend(SPLIT_PARAMS);
    p
}

/// The data set and article split a run's config names.
pub fn split_of(config: &Map<String, Value>) -> (String, SplitSpec) {
    let dataset = str_param(config, "dataset")
        .unwrap_or("squad-dev")
        .to_string();
    let split = SplitSpec {
        seed: int_param(config, "split_seed").unwrap_or(0) as u64,
        train_articles: int_param(config, "train_articles").unwrap_or(38) as usize,
        eval_articles: int_param(config, "eval_articles").unwrap_or(10) as usize,
    };
    (dataset, split)
}

/// The tokenizer configuration a run's config describes; `model_key` names the key that
/// holds the tokenizer model (`model` here, `tokenizer_model` for readers).
pub fn config_of(
    config: &Map<String, Value>,
    model_key: &str,
    default_model: &str,
) -> TokenizerConfig {
    let (dataset, split) = split_of(config);
    TokenizerConfig {
        dataset,
        split,
        model: str_param(config, model_key)
            .unwrap_or(default_model)
            .to_string(),
        vocab_size: int_param(config, "vocab_size").unwrap_or(8000) as usize,
        min_frequency: int_param(config, "min_frequency").unwrap_or(2) as u64,
    }
}

/// The `tokenizer` task kind.
pub struct TokenizerTask;

impl Task for TokenizerTask {
    fn name(&self) -> &'static str {
        "tokenizer"
    }

    fn summary(&self) -> &'static str {
        "train a BPE/WordPiece tokenizer on a SQuAD split (shared artifact); tokens per word on held-out text"
    }

    fn placement(&self) -> super::Placement {
        super::Placement::Cpu
    }

    fn check_spec(&self, spec: &Spec) -> Result<(), SpecError> {
        schema::check(spec, self.name(), &params())?;
        for node in schema::values_of(spec, "model") {
            let m = node.as_str("model")?;
            if !["bpe", "wordpiece"].contains(&m) {
                return Err(SpecError::at(
                    &node.loc,
                    "model",
                    format!("unknown tokenizer model `{m}`"),
                )
                .help(crate::spec::suggest::help_for(
                    m,
                    &["bpe", "wordpiece"],
                    "models",
                )));
            }
        }
        Ok(())
    }

    fn artifacts(&self, config: &Map<String, Value>) -> Vec<crate::artifacts::ArtifactRequest> {
        let value = serde_json::to_value(config_of(config, "model", "bpe")).unwrap_or_default();
        vec![crate::artifacts::ArtifactRequest {
            kind: "tokenizer".into(),
            config: value,
        }]
    }

    fn execute(&self, config: &Map<String, Value>, _ctx: &ExecContext) -> Result<Value> {
        let tcfg = config_of(config, "model", "bpe");
        let store = ArtifactStore::default_location();
        let (artifact, tokenizer) = get(&store, &tcfg)?;
        let info: crate::artifacts::ArtifactInfo =
            crate::store::read_json(&artifact.dir.join("artifact.json"))?;
        let file = crate::data::squad::load(&crate::data::resolve(&tcfg.dataset))?;
        let parts = split(&file, tcfg.split)?;
        let mut contexts: Vec<&str> = parts.eval.iter().map(|e| &*e.context).collect();
        contexts.dedup();
        let unk = tokenizer.token_to_id("[UNK]");
        let (mut tokens, mut words, mut unknown) = (0usize, 0usize, 0usize);
        for c in &contexts {
            let enc = tokenizer
                .encode(*c, false)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            tokens += enc.get_ids().len();
            unknown += enc.get_ids().iter().filter(|&&id| Some(id) == unk).count();
            words += c.split_whitespace().count();
        }
        println!(
            "tokenizer {} ({}): {} tokens per word, {:.3}% unknown on {} held-out contexts",
            artifact.id,
            if artifact.built_now {
                "built"
            } else {
                "reused"
            },
            tokens as f64 / words.max(1) as f64,
            100.0 * unknown as f64 / tokens.max(1) as f64,
            contexts.len()
        );
        Ok(json!({
            "vocab_size": tokenizer.get_vocab_size(true),
            "tokens_per_word": tokens as f64 / words.max(1) as f64,
            "unknown_rate": unknown as f64 / tokens.max(1) as f64,
            "build_seconds": info.build_seconds,
            "reused": !artifact.built_now,
            "artifacts": [artifact.id],
        }))
    }
}
