//! The `tokenizer` task: trains (or reuses from the artifact store) a BPE or WordPiece tokenizer
//! on a SQuAD split's training articles, and measures it on the held-out articles: tokens per
//! word, unknown-token rate, vocabulary size. Grids over `vocab_size` and `model` compare them.

use anyhow::Result;
use serde_json::json;

use crate::artifacts::tokenizer::{get, TokenizerConfig, TokenizerModel};
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::task::builtin::{ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::kinds::split::SplitParams;
use crate::task::params::define::params;
use crate::task::params::value::{choice_param, Choice};

impl Choice for TokenizerModel {
    const WHAT: &'static str = "tokenizer models";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("bpe", TokenizerModel::Bpe),
            ("wordpiece", TokenizerModel::WordPiece),
        ]
    }
}

choice_param!(TokenizerModel);

params! {
    /// Parameters of the `tokenizer` task.
    pub struct TokenizerParams {
        include split: SplitParams;
        /// the subword model
        pub model: TokenizerModel = TokenizerModel::Bpe;
        /// target vocabulary size
        pub vocab_size: usize = 8000;
        /// least count of a merge
        pub min_frequency: u64 = 2;
    }
}

impl TokenizerParams {
    /// The tokenizer artifact these parameters describe.
    pub fn config(&self) -> TokenizerConfig {
        TokenizerConfig {
            dataset: self.split.dataset.clone(),
            split: self.split.spec(),
            model: self.model,
            vocab_size: self.vocab_size,
            min_frequency: self.min_frequency,
            trainer: crate::models::tokenizer::TRAINER_VERSION,
        }
    }
}

const METRICS: &[MetricDef] = &[
    MetricDef::headline("tokens_per_word", "tokens per word", Better::Lower),
    MetricDef::headline("unknown_rate", "unknown tokens (fraction)", Better::Lower),
    MetricDef::count("vocabulary", "learned vocabulary size"),
    MetricDef::detail("build_seconds", "build time (s)", Better::Lower),
    MetricDef::count("reused", "reused (0/1)"),
];

/// The `tokenizer` task kind.
pub struct TokenizerTask;

impl BuiltinTask for TokenizerTask {
    type Params = TokenizerParams;
    const NAME: &'static str = "tokenizer";
    const SUMMARY: &'static str =
        "train a BPE/WordPiece tokenizer on a SQuAD split (shared artifact); tokens per word on held-out text";
    const PLACEMENT: Placement = Placement::Cpu;

    fn metrics(&self) -> &'static [MetricDef] {
        METRICS
    }

    fn needs_for(&self, p: &TokenizerParams) -> Vec<crate::task::need::Need> {
        vec![crate::task::need::data("dataset", &p.split.dataset)]
    }

    fn artifacts_for(&self, p: &TokenizerParams, _seed: u64) -> Vec<ArtifactRequest> {
        vec![ArtifactRequest::Tokenizer(p.config())]
    }

    fn run(&self, p: &TokenizerParams, _ctx: &ExecContext) -> Result<RunOutput> {
        let store = ArtifactStore::default_location();
        let (artifact, tokenizer) = get(&store, &p.config())?;
        let info: crate::artifacts::ArtifactInfo =
            crate::store::read_json(&artifact.dir.join("artifact.json"))?;
        let parts = p.split.load()?;
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
        let per_word = tokens as f64 / words.max(1) as f64;
        println!(
            "tokenizer {} ({}): {per_word} tokens per word, {:.3}% unknown on {} held-out contexts",
            artifact.id,
            if artifact.built_now {
                "built"
            } else {
                "reused"
            },
            100.0 * unknown as f64 / tokens.max(1) as f64,
            contexts.len()
        );
        let metrics = json!({
            "vocabulary": tokenizer.get_vocab_size(true),
            "tokens_per_word": per_word,
            "unknown_rate": unknown as f64 / tokens.max(1) as f64,
            "build_seconds": info.build_seconds,
            "reused": !artifact.built_now,
        });
        Ok(RunOutput::metrics(metrics).with_artifacts([artifact.id]))
    }
}
