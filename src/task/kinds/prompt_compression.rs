//! The `prompt-compression` task: compresses the contexts of an evaluation split by token
//! selection at a `ratio` (fraction of tokens kept), lets a reader answer from the compressed
//! contexts, and scores the answers (F1/EM with bootstrap intervals, overall and per question
//! type). Every run records the requested ratio, the achieved kept fraction, the compression
//! factor (original / kept tokens) and the algorithm's time per context.
//!
//! ```toml
//! [experiment]
//! task = "prompt-compression"
//! [params]
//! dataset = "squad-dev"
//! reader = "neural"
//! [grid]
//! algorithm = ["random"]
//! ratio = [0.5, 0.7, 1.0]
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use serde_json::{json, Map, Value};

use crate::artifacts::lm::{CorpusSource, LmArtifactConfig, PretrainedLm, LM_CODE_VERSION};
use crate::artifacts::token_classifier::{ClassifierArtifactConfig, TrainedClassifier};
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::data::qa::QaExample;
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::models::lm::{Arch, LmConfig};
use crate::prompt::{Algorithm, Scorer};
use crate::task::builtin::{object, ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::kinds::qa_reader::{self, ReaderParams, QA_METRICS};
use crate::task::params::define::params;
use crate::task::params::value::{choice_param, Choice};
use crate::task::params::ParamError;

impl Choice for Algorithm {
    const WHAT: &'static str = "algorithms";

    fn choices() -> &'static [(&'static str, Self)] {
        &Algorithm::ALL
    }
}

choice_param!(Algorithm);

params! {
    /// Parameters of the `prompt-compression` task (the reader's and the split's are those of
    /// `qa-reader`).
    pub struct PromptParams {
        include reading: ReaderParams;
        /// token selection: random, selective_context, llmlingua or llmlingua2
        pub algorithm: Algorithm = Algorithm::Random, required;
        /// fraction of tokens kept, in (0, 1]; 1.0 = uncompressed
        pub ratio: f64 = 1.0, required;
        /// llmlingua: rank tokens by how much the question makes them expected (LongLLMLingua); compresses per question
        pub question_aware: bool = false;
        /// selective_context, llmlingua: width of the byte-level GRU trained on the training articles
        pub lm_hidden: usize = 128;
        /// selective_context, llmlingua: its training steps
        pub lm_steps: usize = 400;
        /// selective_context, llmlingua: streams per training step
        pub lm_batch_size: usize = 32;
        /// selective_context, llmlingua: bytes per stream per training step
        pub lm_seq_len: usize = 128;
        /// llmlingua2: width of the token classifier
        pub classifier_d_model: usize = 64;
        /// llmlingua2: its transformer layers
        pub classifier_layers: usize = 2;
        /// llmlingua2: its training epochs
        pub classifier_epochs: usize = 6;
        /// llmlingua2: its Adam learning rate
        pub classifier_learning_rate: f64 = 0.002;
    }
}

impl PromptParams {
    /// The scoring language model of `selective_context` and `llmlingua`: a byte-level GRU
    /// trained on the training articles' contexts of the same split.
    pub fn lm(&self, seed: u64) -> LmArtifactConfig {
        let split = &self.reading.split;
        LmArtifactConfig {
            code_version: LM_CODE_VERSION,
            model: LmConfig {
                arch: Arch::Gru,
                hidden: self.lm_hidden.max(1),
                layers: 1,
                heads: 4,
                window: 128,
                vocab: crate::models::lm::BYTES,
            },
            corpus: vec![CorpusSource::SplitTrain {
                dataset: split.dataset.clone(),
                split: split.spec(),
            }],
            train: crate::models::lm::train::PretrainConfig {
                steps: self.lm_steps.max(1),
                batch_size: self.lm_batch_size.max(1),
                seq_len: self.lm_seq_len.max(1),
                learning_rate: 3e-3,
                seed,
            },
            tokenizer_vocab: None,
            tokenizer_trainer: None,
        }
    }

    /// The token classifier of `llmlingua2`: distilled from oracle labels on the training
    /// articles of the same split.
    pub fn classifier(&self, seed: u64) -> ClassifierArtifactConfig {
        use crate::models::token_classifier::TokenClassifierConfig;
        let split = &self.reading.split;
        ClassifierArtifactConfig {
            code_version: crate::artifacts::token_classifier::CLASSIFIER_CODE_VERSION,
            dataset: split.dataset.clone(),
            split: split.spec(),
            labels: crate::prompt::llmlingua2::ORACLE_LABELS.into(),
            model: TokenClassifierConfig::new(
                self.classifier_d_model.max(1),
                self.classifier_layers.max(1),
            ),
            train: crate::models::token_classifier::train::TrainConfig {
                epochs: self.classifier_epochs.max(1),
                batch_size: 16,
                learning_rate: self.classifier_learning_rate,
                seed,
            },
        }
    }

    /// Whether contexts are compressed once per question.
    fn per_question(&self) -> bool {
        self.algorithm == Algorithm::Llmlingua && self.question_aware
    }
}

const METRICS: &[MetricDef] = &[
    MetricDef::outcome("kept_fraction", "tokens kept (fraction)"),
    MetricDef::outcome("compression_factor", "compression factor (×)"),
    MetricDef::headline(
        "compress_seconds_per_context",
        "compression time (s per context)",
        Better::Lower,
    ),
    MetricDef::count("requested_ratio", "requested ratio"),
    MetricDef::count("original_tokens", "original tokens"),
    MetricDef::count("kept_tokens", "kept tokens"),
    MetricDef::count("contexts_compressed", "contexts compressed"),
    MetricDef::count("question_aware", "question-aware (0/1)"),
    MetricDef::detail("lm_heldout_bpc", "scoring LM held-out BPC", Better::Lower),
    MetricDef::detail(
        "classifier_heldout_recall_at_half",
        "classifier held-out recall at half",
        Better::Higher,
    ),
];

/// QA metrics first, then the compression's own.
fn metrics() -> &'static [MetricDef] {
    static ALL: std::sync::OnceLock<Vec<MetricDef>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let (headline, rest): (Vec<MetricDef>, Vec<MetricDef>) =
            QA_METRICS.iter().chain(METRICS).partition(|m| m.headline);
        headline.into_iter().chain(rest).collect()
    })
}

/// The `prompt-compression` task kind.
pub struct PromptCompressionTask;

impl BuiltinTask for PromptCompressionTask {
    type Params = PromptParams;
    const NAME: &'static str = "prompt-compression";
    const SUMMARY: &'static str = "question answering from contexts compressed by token selection at a ratio: F1/EM, kept fraction, compression factor";
    const PLACEMENT: Placement = Placement::Burn;

    fn metrics(&self) -> &'static [MetricDef] {
        metrics()
    }

    fn check_params(&self, p: &PromptParams) -> Result<(), ParamError> {
        if p.ratio > 0.0 && p.ratio <= 1.0 {
            return Ok(());
        }
        Err(ParamError {
            key: "ratio".into(),
            message: format!(
                "{} is not a fraction of tokens kept: use a value in (0, 1]",
                p.ratio
            ),
            help: None,
        })
    }

    fn needs_for(&self, p: &PromptParams) -> Vec<crate::task::need::Need> {
        vec![crate::task::need::data("dataset", &p.reading.split.dataset)]
    }

    fn artifacts_for(&self, p: &PromptParams, seed: u64) -> Vec<ArtifactRequest> {
        let mut needed = p.reading.artifacts(seed);
        match p.algorithm {
            Algorithm::SelectiveContext | Algorithm::Llmlingua => {
                needed.push(ArtifactRequest::Lm(p.lm(seed)))
            }
            Algorithm::Llmlingua2 => {
                needed.push(ArtifactRequest::TokenClassifier(p.classifier(seed)))
            }
            Algorithm::Random => {}
        }
        needed
    }

    fn run(&self, p: &PromptParams, ctx: &ExecContext) -> Result<RunOutput> {
        let (parts, eval) = p.reading.evaluation_set(ctx.seed)?;
        let scorer = ScoringModel::load(p, ctx)?;
        let started = Instant::now();
        let compressed = compress_all(p, ctx.seed, &eval, scorer.scorer())?;
        let compress_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let answered = qa_reader::answer(&p.reading, ctx, &compressed.examples)?;
        let answer_seconds = started.elapsed().as_secs_f64();
        let (scores, mut metrics) = qa_reader::score(
            &p.reading,
            ctx,
            &compressed.examples,
            &answered.answers,
            &parts,
        )?;
        let kept_fraction = compressed.kept as f64 / compressed.total.max(1) as f64;
        println!(
            "{} at ratio {}: kept {kept_fraction:.3} of {} tokens; F1 {:.2} [{:.2}, {:.2}], EM {:.2} on {} questions",
            p.algorithm.name(),
            p.ratio,
            compressed.total,
            scores.overall.f1,
            scores.overall.f1_ci.0,
            scores.overall.f1_ci.1,
            scores.overall.em,
            scores.overall.n,
        );
        let contexts = compressed.contexts.max(1) as f64;
        metrics.extend(object(json!({
            "contexts_compressed": compressed.contexts,
            "requested_ratio": p.ratio,
            "kept_fraction": kept_fraction,
            "compression_factor": compressed.total as f64 / compressed.kept.max(1) as f64,
            "original_tokens": compressed.total,
            "kept_tokens": compressed.kept,
            "compress_seconds_per_context": compress_seconds / contexts,
            "question_aware": p.per_question(),
            "seconds_per_question": answer_seconds / eval.len().max(1) as f64,
        })));
        metrics.extend(answered.metrics);
        metrics.extend(scorer.metrics);
        let output = RunOutput {
            metrics,
            artifacts: answered.artifacts,
        };
        Ok(output.with_artifacts(scorer.artifact))
    }
}

/// The trained model an algorithm scores tokens with (none for `random`), its figures and its
/// artifact.
struct ScoringModel {
    lm: Option<PretrainedLm>,
    classifier: Option<TrainedClassifier>,
    metrics: Map<String, Value>,
    artifact: Option<String>,
}

impl ScoringModel {
    fn load(p: &PromptParams, ctx: &ExecContext) -> Result<ScoringModel> {
        let store = ArtifactStore::default_location();
        let mut scoring = ScoringModel {
            lm: None,
            classifier: None,
            metrics: Map::new(),
            artifact: None,
        };
        match p.algorithm {
            Algorithm::SelectiveContext | Algorithm::Llmlingua => {
                let lm = crate::artifacts::lm::load(&store, &p.lm(ctx.seed), &ctx.device)?;
                let bpc = lm.curve.last().and_then(|c| c.heldout_bpc);
                scoring.metrics.insert("lm_heldout_bpc".into(), json!(bpc));
                scoring.artifact = Some(lm.artifact.id.clone());
                scoring.lm = Some(lm);
            }
            Algorithm::Llmlingua2 => {
                let config = p.classifier(ctx.seed);
                let c = crate::artifacts::token_classifier::load(&store, &config, &ctx.device)?;
                let recall = c.history.last().map(|h| h.heldout_recall_at_half);
                scoring
                    .metrics
                    .insert("classifier_heldout_recall_at_half".into(), json!(recall));
                scoring.artifact = Some(c.artifact.id.clone());
                scoring.classifier = Some(c);
            }
            Algorithm::Random => {}
        }
        Ok(scoring)
    }

    fn scorer(&self) -> Scorer<'_> {
        match (&self.lm, &self.classifier) {
            (Some(lm), _) => Scorer::Lm(&lm.model),
            (_, Some(c)) => Scorer::Classifier(&c.model, &c.config),
            _ => Scorer::None,
        }
    }
}

/// The evaluation questions with their contexts compressed, and the token counts.
struct CompressedSet {
    examples: Vec<QaExample>,
    contexts: usize,
    kept: usize,
    total: usize,
}

/// Compresses each context once, whatever the number of its questions (once per question
/// when the compression is question-aware).
fn compress_all(
    p: &PromptParams,
    seed: u64,
    eval: &[QaExample],
    scorer: Scorer,
) -> Result<CompressedSet> {
    let mut done: HashMap<(Arc<str>, Option<String>), Arc<str>> = HashMap::new();
    let (mut kept, mut total) = (0usize, 0usize);
    let mut examples = Vec::with_capacity(eval.len());
    for ex in eval {
        let key = (
            ex.context.clone(),
            p.per_question().then(|| ex.question.clone()),
        );
        let context = match done.get(&key) {
            Some(c) => c.clone(),
            None => {
                let question = key.1.as_deref();
                let c = crate::prompt::compress(
                    p.algorithm,
                    &ex.context,
                    p.ratio,
                    seed,
                    scorer,
                    question,
                )?;
                kept += c.kept;
                total += c.total;
                let text: Arc<str> = c.text.into();
                done.insert(key, text.clone());
                text
            }
        };
        examples.push(QaExample {
            context,
            ..ex.clone()
        });
    }
    Ok(CompressedSet {
        examples,
        contexts: done.len(),
        kept,
        total,
    })
}
