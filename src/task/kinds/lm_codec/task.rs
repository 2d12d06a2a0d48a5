//! The `lm-codec` task: lossless compression with a learned language model and a range coder,
//! in pretrained mode (a model trained once on a corpus, shared as an artifact), adaptive mode
//! (a seeded model that learns while coding) or dynamic mode (the pretrained model keeps
//! learning while coding). Every file is compressed, decompressed and compared; the run records
//! sizes, ratio, BPC, speed both ways, a time profile, the model's size, and the classical
//! codecs' rows on the same input. `runner lm-codec` builds the same parameters.
//!
//! ```toml
//! [experiment]
//! task = "lm-codec"
//! [params]
//! input = "canterbury/alice29.txt"   # a file, a directory (every file), or a data set name
//! [grid]
//! arch = ["gru", "lstm", "transformer"]
//! mode = ["pretrained", "adaptive"]
//! ```

use anyhow::Result;
use serde_json::{json, Map, Value};

use super::files::{totals, Coding};
use super::llm_run::{self, LlmRunSettings};
use crate::artifacts::lm::{CorpusSource, LmArtifactConfig, PretrainedLm, LM_CODE_VERSION};
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::codecs::learned::format::{AdaptiveSettings, Params};
use crate::codecs::learned::mixing::{Mixing, MixingConfig};
use crate::codecs::learned::mode::Mode;
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::models::lm::train::PretrainConfig;
use crate::models::lm::{Arch, LmConfig};
use crate::task::builtin::{ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::params::define::params;
use crate::task::params::value::{choice_param, Choice};
use crate::task::params::{Names, ParamError};

impl Choice for Mode {
    const WHAT: &'static str = "modes";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("pretrained", Mode::Pretrained),
            ("adaptive", Mode::Adaptive),
            ("dynamic", Mode::Dynamic),
        ]
    }
}

impl Choice for Mixing {
    const WHAT: &'static str = "mixing choices";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("auto", Mixing::Auto),
            ("on", Mixing::On),
            ("counts", Mixing::Counts),
            ("off", Mixing::Off),
        ]
    }
}

impl Choice for Arch {
    const WHAT: &'static str = "architectures";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("gru", Arch::Gru),
            ("lstm", Arch::Lstm),
            ("transformer", Arch::Transformer),
        ]
    }
}

choice_param!(Mode, Arch, Mixing);

params! {
    /// Parameters of the `lm-codec` task (and of `runner lm-codec`).
    pub struct LmCodecParams {
        /// file, directory (every file in it) or data set name to compress
        pub input: String = "canterbury/alice29.txt".to_string(), required;
        /// pretrained (model trained on `corpus` first), adaptive (a seeded model learns while coding) or dynamic (the pretrained model keeps learning while coding)
        pub mode: Mode = Mode::Pretrained, required;
        /// the model's architecture
        pub arch: Arch = Arch::Gru, required;
        /// hidden width
        pub hidden: usize = 256;
        /// stacked layers
        pub layers: usize = 1;
        /// transformer attention heads
        pub heads: usize = 4;
        /// transformer context window in bytes
        pub window: usize = 128;
        /// chunks coded side by side (more: a faster batched network; fewer: the count models of mixing, or a pretrained model, see longer histories; with `model`, 32 to 64 on 2 cores)
        pub streams: usize = 4;
        /// Adam learning rate of pretraining or of the adaptive updates
        pub learning_rate: f64 = 3e-3;
        /// pretrained: data sets or paths to train on
        pub corpus: Names = Names(vec!["bible".into(), "squad-dev".into()]);
        /// pretrained: optimizer steps
        pub train_steps: usize = 2500;
        /// pretrained: streams per step
        pub batch_size: usize = 32;
        /// pretrained: symbols per stream per step
        pub seq_len: usize = 128;
        /// dynamic: learning rate of the updates while coding
        pub update_learning_rate: f64 = 1e-3;
        /// pretrained: a tokenizer-level model over a byte-level BPE of this many tokens (none: bytes)
        pub tokenizer_vocab: Option<usize> = None;
        /// adaptive and dynamic: symbols per stream between updates
        pub segment: usize = 16;
        /// auto (on with a pretrained model, counts in adaptive mode: the bench's recommendation), on (the network's prediction mixed bit by bit with count models of orders 0-8, word and match models), counts (those models alone: the network never runs) or off (the network alone); with `model`: on (the model's token distribution mixed with token counts of orders 1-3), auto or off (the model alone)
        pub mixing: Mixing = Mixing::Auto;
        /// also run gzip -9, xz -9, zstd -19 and brotli 11 on the input
        pub baselines: bool = true;
        /// code with a pretrained language model instead of a network trained here: a known name (smollm2-135m-instruct), a .gguf file or a Hugging Face checkpoint directory (mode, arch and the network's settings are then not needed)
        pub model: Option<String> = None;
        /// model: positions its key/value cache holds before it is rebuilt from the last `context_keep` tokens
        pub context_window: usize = 1024;
        /// model: tokens of context a rebuilt cache starts from
        pub context_keep: usize = 256;
    }
}

impl LmCodecParams {
    /// The mixer's configuration for these parameters (none with a tokenizer-level model:
    /// the mixer codes bytes).
    pub fn mixing_config(&self) -> Option<MixingConfig> {
        match self.tokenizer_vocab {
            Some(_) => None,
            None => self.mixing.config(self.mode),
        }
    }

    /// The shape of the model, checked.
    pub fn network(&self) -> Result<LmConfig, String> {
        let model = LmConfig {
            arch: self.arch,
            hidden: self.hidden,
            layers: self.layers,
            heads: self.heads,
            window: self.window,
            vocab: crate::models::lm::BYTES,
        };
        model.validate()?;
        Ok(model)
    }

    /// The pretrained model a run with `seed` needs (its artifact identity).
    pub fn artifact(&self, seed: u64) -> Result<LmArtifactConfig, String> {
        Ok(LmArtifactConfig {
            code_version: LM_CODE_VERSION,
            model: self.network()?,
            corpus: self
                .corpus
                .0
                .iter()
                .map(|c| CorpusSource::Texts(c.clone()))
                .collect(),
            train: PretrainConfig {
                steps: self.train_steps.max(1),
                batch_size: self.batch_size.max(1),
                seq_len: self.seq_len.max(1),
                learning_rate: self.learning_rate,
                seed,
            },
            tokenizer_vocab: self.tokenizer_vocab,
            tokenizer_trainer: self
                .tokenizer_vocab
                .map(|_| crate::models::tokenizer::TRAINER_VERSION),
        })
    }

    /// What the coder's updates repeat (adaptive and dynamic modes).
    pub fn updates(&self, seed: u64) -> Option<AdaptiveSettings> {
        let learning_rate = match self.mode {
            Mode::Pretrained => return None,
            Mode::Dynamic => self.update_learning_rate,
            Mode::Adaptive => self.learning_rate,
        };
        Some(AdaptiveSettings {
            seed,
            learning_rate,
            segment: self.segment.max(1),
        })
    }
}

const METRICS: &[MetricDef] = &[
    MetricDef::headline("bpc", "bits per byte", Better::Lower),
    MetricDef::headline("ratio", "compression ratio (×)", Better::Higher),
    MetricDef::headline(
        "compress_bytes_per_s",
        "compression speed (bytes/s)",
        Better::Higher,
    ),
    MetricDef::headline(
        "decompress_bytes_per_s",
        "decompression speed (bytes/s)",
        Better::Higher,
    ),
    MetricDef::detail(
        "bpc_with_model",
        "bits per byte, model included",
        Better::Lower,
    ),
    MetricDef::detail(
        "ratio_with_model",
        "ratio, model included (×)",
        Better::Higher,
    ),
    MetricDef::detail("gzip_9_bpc", "gzip -9 bits per byte", Better::Lower),
    MetricDef::detail("xz_9_bpc", "xz -9 bits per byte", Better::Lower),
    MetricDef::detail("zstd_19_bpc", "zstd -19 bits per byte", Better::Lower),
    MetricDef::detail("brotli_11_bpc", "brotli 11 bits per byte", Better::Lower),
    MetricDef::detail(
        "pretrain_heldout_bpc",
        "pretraining held-out bits per symbol",
        Better::Lower,
    ),
    MetricDef::detail("pretrain_seconds", "pretraining time (s)", Better::Lower),
    MetricDef::detail(
        "compress_model_s",
        "compression: model time (s)",
        Better::Lower,
    ),
    MetricDef::detail(
        "compress_coder_s",
        "compression: coder time (s)",
        Better::Lower,
    ),
    MetricDef::detail(
        "compress_training_s",
        "compression: training time (s)",
        Better::Lower,
    ),
    MetricDef::count("original_bytes", "original bytes"),
    MetricDef::count("compressed_bytes", "compressed bytes"),
    MetricDef::count("model_bytes", "model bytes"),
    MetricDef::count("parameters", "model parameters"),
    MetricDef::count("files", "files"),
    MetricDef::count("vocab", "symbols"),
    MetricDef::count("verified", "round trip verified (0/1)"),
];

/// Keys lm-codec no longer takes.
const RETIRED: crate::task::params::Retired = &[(
    "threads",
    "set [resources] threads instead: it is the thread count of every built-in task (lm-codec records it in each file)",
)];

/// The `lm-codec` task kind.
pub struct LmCodecTask;

impl BuiltinTask for LmCodecTask {
    type Params = LmCodecParams;
    const NAME: &'static str = "lm-codec";
    const SUMMARY: &'static str = "lossless compression with a learned language model (GRU, LSTM, transformer) and a range coder: BPC, ratio, speed, verified round trip";
    const PLACEMENT: Placement = Placement::Burn;
    const RETIRED: crate::task::params::Retired = RETIRED;
    const REQUIRED_UNLESS: crate::task::params::RequiredUnless =
        &[("mode", "model"), ("arch", "model")];

    fn metrics(&self) -> &'static [MetricDef] {
        METRICS
    }

    fn check_params(&self, p: &LmCodecParams) -> Result<(), ParamError> {
        let error = ParamError::new;
        if p.model.is_some() {
            if super::llm_run::mixer_of(p.mixing).is_none() || p.tokenizer_vocab.is_some() {
                let why = "a pretrained language model codes its own tokens: mixing \"on\" (its distribution mixed with token counts), \"auto\" or \"off\" (the model alone), no tokenizer_vocab";
                return Err(error("model", why.into()));
            }
            if p.context_keep == 0 || p.context_keep >= p.context_window {
                return Err(error(
                    "context_keep",
                    "0 < context_keep < context_window".into(),
                ));
            }
            return Ok(());
        }
        if p.tokenizer_vocab.is_some() && p.mode != Mode::Pretrained {
            let why =
                "tokenizer-level models need mode = \"pretrained\" (adaptive mode codes bytes)";
            return Err(error("tokenizer_vocab", why.into()));
        }
        if p.tokenizer_vocab.is_some() && matches!(p.mixing, Mixing::On | Mixing::Counts) {
            let why = "mixing codes bytes bit by bit: with tokenizer_vocab it must be \"off\" or \"auto\"";
            return Err(error("mixing", why.into()));
        }
        p.network().map(|_| ()).map_err(|e| error("hidden", e))
    }

    fn needs_for(&self, p: &LmCodecParams) -> Vec<crate::task::need::Need> {
        let mut needs = vec![crate::task::need::data("input", &p.input)];
        if let Some(m) = &p.model {
            needs.push(crate::task::need::Need::Model {
                key: "model".into(),
                reference: m.clone(),
            });
        }
        needs
    }

    fn artifacts_for(&self, p: &LmCodecParams, seed: u64) -> Vec<ArtifactRequest> {
        if p.model.is_some() {
            return Vec::new();
        }
        match (p.mode, p.artifact(seed)) {
            (Mode::Pretrained | Mode::Dynamic, Ok(c)) => vec![ArtifactRequest::Lm(c)],
            _ => Vec::new(),
        }
    }

    fn run(&self, p: &LmCodecParams, ctx: &ExecContext) -> Result<RunOutput> {
        let files = crate::data::texts::load(&crate::data::texts::TextSource {
            format: crate::data::texts::Format::Files,
            ..crate::data::texts::TextSource::path(crate::data::resolve(&p.input))
        })?;
        if let Some(model) = &p.model {
            let settings = LlmRunSettings {
                model: model.clone(),
                streams: p.streams,
                window: p.context_window,
                keep: p.context_keep,
                baselines: p.baselines,
                mixer: super::llm_run::mixer_of(p.mixing).unwrap_or(0),
            };
            return llm_run::run(&settings, ctx, &files);
        }
        let pretrained = match p.mode {
            Mode::Pretrained | Mode::Dynamic => Some(pretrained(p, ctx)?),
            Mode::Adaptive => None,
        };
        let mut params = Params {
            mode: p.mode,
            model: p.network().map_err(anyhow::Error::msg)?,
            adaptive: p.updates(ctx.seed),
            threads: ctx.threads,
            crlf: false,
            text_crc: None,
            backend: None,
            mixing: p.mixing_config(),
        };
        if let Some(pre) = &pretrained {
            params.model.vocab = pre.model.model.vocab();
        }
        let model_ref = pretrained.as_ref().map(|pre| pre.model.model_ref());
        let coder = Coding {
            params: &params,
            model: model_ref.as_ref(),
            streams: p.streams.max(1),
            baselines: p.baselines,
            ctx,
        };
        let rows = coder.all(&files)?;
        crate::store::atomic::write_json(&ctx.out("lm_codec_results.json"), &rows)?;
        let mut metrics = totals(&rows, pretrained.as_ref().map(|pre| pre.model.file_bytes));
        let model = crate::models::lm::train::init_seeded(&params.model, 0, &ctx.device);
        metrics.insert("parameters".into(), json!(model.parameters()));
        metrics.insert("files".into(), json!(rows.len()));
        metrics.insert("vocab".into(), json!(params.model.vocab));
        let mut artifacts = Vec::new();
        if let Some(pre) = pretrained {
            metrics.extend(pre.metrics);
            artifacts.push(pre.model.artifact.id);
        }
        Ok(RunOutput { metrics, artifacts })
    }
}

/// A pretrained model with its figures.
struct Pretrained {
    model: PretrainedLm,
    metrics: Map<String, Value>,
}

/// Loads (training first if the store lacks it) the run's pretrained model and copies its
/// training curve into the run.
fn pretrained(p: &LmCodecParams, ctx: &ExecContext) -> Result<Pretrained> {
    let store = ArtifactStore::for_workdir(&std::env::current_dir()?);
    let wanted = p.artifact(ctx.seed).map_err(anyhow::Error::msg)?;
    let model = crate::artifacts::lm::load(&store, &wanted, &ctx.device)?;
    let last = model.curve.last();
    let mut metrics = Map::new();
    metrics.insert("model_bytes".into(), json!(model.file_bytes));
    metrics.insert(
        "pretrain_heldout_bpc".into(),
        json!(last.map(|c| c.heldout_bpc)),
    );
    metrics.insert("pretrain_seconds".into(), json!(last.map(|c| c.seconds)));
    let _ = std::fs::copy(
        model.artifact.dir.join("curves.jsonl"),
        ctx.out("curves.jsonl"),
    );
    Ok(Pretrained { model, metrics })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixing_resolves_by_mode_and_refuses_token_models() {
        let adaptive = LmCodecParams {
            mode: Mode::Adaptive,
            ..LmCodecParams::default()
        };
        assert!(
            !adaptive.mixing_config().unwrap().neural,
            "auto: counts alone"
        );
        assert!(LmCodecParams::default().mixing_config().unwrap().neural);
        let tokens = LmCodecParams {
            tokenizer_vocab: Some(300),
            ..LmCodecParams::default()
        };
        assert!(tokens.mixing_config().is_none());
        assert!(LmCodecTask.check_params(&tokens).is_ok());
        let forced = LmCodecParams {
            mixing: Mixing::On,
            ..tokens
        };
        let e = LmCodecTask.check_params(&forced).unwrap_err();
        assert!(format!("{e:?}").contains("mixing"), "{e:?}");
    }
}
