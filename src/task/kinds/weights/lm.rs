//! The byte-level language model as a subject of weight compression: the GRU that prompt
//! compression scores tokens with, trained on the training articles' contexts. Its quality is
//! bits per character on the held-out articles' contexts (each context once, as the corpus
//! joins them), cut into blocks for the paired interval; the evaluation also codes the
//! evaluation text with the lm-codec in pretrained mode, with the compressed model and with
//! the original, checks the round trip, and counts the file with the model it needs.

use std::path::Path;

use anyhow::{bail, Result};
use burn::module::Module;
use burn::tensor::Device;
use serde_json::json;

use super::subject::{frequencies, restored, score_with, Evaluation, Part, Quality, Subject};
use crate::artifacts::lm::{CorpusSource, LmArtifactConfig, PretrainedLm};
use crate::artifacts::ArtifactStore;
use crate::codecs::learned::format::Params;
use crate::codecs::learned::mode::Mode;
use crate::codecs::learned::{self, ModelRef};
use crate::data::qa::split_by_article;
use crate::models::lm::train::symbol_bits;
use crate::models::lm::{LanguageModel, LmConfig};
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::{compress_with, Compressed, RowImportance};

/// Symbols per block of a stream (the items of the paired interval).
const BLOCK: usize = 512;

/// Streams the lm-codec codes side by side.
const CODEC_STREAMS: usize = 16;

/// The trained language model and the held-out text of its split, in two parts.
pub struct LmSubject {
    lm: PretrainedLm,
    config: LmConfig,
    validation: Vec<u8>,
    evaluation: Vec<u8>,
    device: Device,
    corpus: Vec<CorpusSource>,
    importance: Vec<RowImportance>,
}

/// The distinct contexts of `examples`, each followed by a newline.
fn text_of(examples: &[crate::data::qa::QaExample]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut last: Option<&str> = None;
    for ex in examples {
        if last != Some(&*ex.context) {
            out.extend_from_slice(ex.context.as_bytes());
            out.push(b'\n');
            last = Some(&ex.context);
        }
    }
    out
}

impl LmSubject {
    /// The model `config` of `store` (trained first if missing); its held-out text is the
    /// contexts of its split's held-out articles, the first `validation_articles` of them for
    /// validation.
    pub fn from_artifact(
        store: &ArtifactStore,
        config: &LmArtifactConfig,
        validation_articles: usize,
        device: &Device,
    ) -> Result<Self> {
        let [CorpusSource::SplitTrain { dataset, split }] = config.corpus.as_slice() else {
            bail!(
                "this language model was trained on {:?}, not on one split's training articles: \
                 it has no held-out articles to measure on",
                config
                    .corpus
                    .iter()
                    .map(CorpusSource::stored)
                    .collect::<Vec<_>>()
            );
        };
        if config.tokenizer_vocab.is_some() {
            bail!("weight compression measures byte-level language models");
        }
        let file = crate::data::squad::load(&crate::data::resolve(dataset))?;
        let parts = crate::data::qa::split(&file, *split)?;
        let (validation, evaluation) =
            split_by_article(parts.eval, |ex| ex.article, validation_articles)?;
        let lm = crate::artifacts::lm::load(store, config, device)?;
        Ok(LmSubject {
            lm,
            config: config.model_config(crate::models::lm::BYTES),
            validation: text_of(&validation),
            evaluation: text_of(&evaluation),
            device: device.clone(),
            corpus: config.corpus.clone(),
            importance: Vec::new(),
        })
    }

    fn text(&self, part: Part) -> &[u8] {
        match part {
            Part::Validation => &self.validation,
            Part::Evaluation => &self.evaluation,
        }
    }

    /// Bits per block of `part` under `model` (weights: the block's characters).
    fn quality(&self, model: &LanguageModel, part: Part) -> Result<Quality> {
        let symbols: Vec<u32> = self.text(part).iter().map(|&b| u32::from(b)).collect();
        let scored = symbol_bits(model, &self.config, &symbols, &self.device);
        let (mut items, mut weights) = (Vec::new(), Vec::new());
        for stream in scored.per_stream() {
            for block in stream.chunks(BLOCK) {
                items.push(block.iter().sum::<f64>());
                weights.push(block.len() as f64);
            }
        }
        let quality = Quality {
            items,
            weights,
            lower_is_better: true,
        };
        if !quality.value().is_finite() {
            bail!("the language model's bits per character are not a number");
        }
        Ok(quality)
    }

    /// The evaluation text coded by the lm-codec (pretrained mode) with `model`, whose file
    /// hashes to `hash`: the coded bytes, after checking that they decode to the text.
    fn coded(&self, model: &LanguageModel, hash: [u8; 16]) -> Result<usize> {
        let params = Params {
            mode: Mode::Pretrained,
            model: self.config.clone(),
            adaptive: None,
            threads: 1,
            crlf: false,
            text_crc: None,
            backend: None,
            mixing: None,
        };
        let reference = ModelRef {
            model,
            hash,
            tokenizer: None,
        };
        let data = &self.evaluation;
        let coded = learned::compress(
            data,
            &params,
            Some(&reference),
            CODEC_STREAMS,
            &self.device,
            |_, _| {},
        )?;
        let back = learned::decompress(&coded.bytes, Some(&reference), &self.device, |_, _| {})?;
        if back.bytes != *data {
            bail!("the lm-codec's round trip with this model did not give the text back");
        }
        Ok(coded.bytes.len())
    }
}

impl Subject for LmSubject {
    fn measure(&self) -> &'static str {
        "bpc"
    }

    fn artifact(&self) -> &str {
        &self.lm.artifact.id
    }

    fn parameters(&self) -> usize {
        self.lm.model.num_params()
    }

    fn sizes(&self) -> (usize, usize) {
        (self.validation.len(), self.evaluation.len())
    }

    fn compress(&self, method: Method, seed: u64, codec: &Codec) -> Result<Compressed> {
        let describe =
            json!({"kind": "lm", "artifact": self.lm.artifact.id, "config": self.config});
        compress_with(
            &self.lm.model,
            &describe,
            method,
            seed,
            codec,
            &self.importance,
        )
    }

    /// Byte counts of the training corpus (the row after the bytes, the start symbol, counts
    /// once per training stream: it is rare).
    fn weigh_rows(&mut self) -> Result<()> {
        let (train, _) = crate::artifacts::lm::corpus(&self.corpus)?;
        let rows = crate::models::lm::BYTES + 1;
        let ids = train.iter().map(|&b| usize::from(b));
        self.importance = vec![frequencies("embed.weight", rows, ids)];
        Ok(())
    }

    fn score(&self, bytes: Option<&[u8]>, part: Part, codec: &Codec) -> Result<Quality> {
        score_with(&self.lm.model, bytes, codec, |m| self.quality(m, part))
    }

    fn evaluate(
        &self,
        bytes: &[u8],
        what: &str,
        codec: &Codec,
        _out: Option<&Path>,
    ) -> Result<Evaluation> {
        let (model, decompress_seconds) = restored(&self.lm.model, bytes, what, codec)?;
        let quality = self.quality(&model, Part::Evaluation)?;
        let original = self.quality(&self.lm.model, Part::Evaluation)?;
        let (bpc, obpc) = (quality.value(), original.value());
        let coded = self.coded(&model, learned::file_hash(bytes))?;
        let coded_original = self.coded(&self.lm.model, self.lm.hash)?;
        let chars = self.evaluation.len() as f64;
        let total = coded + bytes.len();
        let total_original = coded_original + self.lm.file_bytes as usize;
        let metrics = json!({
            "codec_input_bytes": self.evaluation.len(),
            "codec_bytes": coded, "original_codec_bytes": coded_original,
            "codec_total_bytes": total, "original_codec_total_bytes": total_original,
            "codec_bpc": 8.0 * coded as f64 / chars,
            "codec_total_bpc": 8.0 * total as f64 / chars,
            "original_codec_total_bpc": 8.0 * total_original as f64 / chars,
        });
        Ok(Evaluation {
            summary: format!(
                "{bpc:.4} bpc against {obpc:.4}; lm-codec file + model {total} bytes against {total_original}"
            ),
            quality,
            original,
            decompress_seconds,
            metrics: crate::task::builtin::object(metrics),
        })
    }
}
