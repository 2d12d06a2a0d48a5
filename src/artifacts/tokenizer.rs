//! Tokenizer artifacts: a BPE or WordPiece tokenizer trained with the tokenizers crate on the
//! training split's contexts and questions (never the evaluation articles), saved as a standard
//! `tokenizer.json`. BERT normalization (lower case, accents stripped) and pre-tokenization
//! (whitespace and punctuation); special tokens [PAD] [UNK] [CLS] [SEP] [MASK].

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainerBuilder};
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{
    AddedToken, DecoderWrapper, Model, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, Tokenizer, TokenizerImpl, Trainer,
};

use super::{Artifact, ArtifactStore};
use crate::data::qa::{split, SplitSpec};

/// Special tokens, in id order.
pub const SPECIAL: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// What a tokenizer artifact is built from (its identity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenizerConfig {
    /// SQuAD-format data set (name or path).
    pub dataset: String,
    /// The article split whose training side it learns from.
    pub split: SplitSpec,
    /// `bpe` or `wordpiece`.
    pub model: String,
    /// Target vocabulary size.
    pub vocab_size: usize,
    /// Least count of a merge / word piece.
    pub min_frequency: u64,
}

/// The training texts: contexts (once each) and questions of the training articles.
pub fn training_texts(config: &TokenizerConfig) -> Result<Vec<String>> {
    let file = crate::data::squad::load(&crate::data::resolve(&config.dataset))?;
    let parts = split(&file, config.split)?;
    let mut texts: Vec<String> = Vec::new();
    let mut last: Option<&str> = None;
    for ex in &parts.train {
        if last != Some(&*ex.context) {
            texts.push(ex.context.to_string());
            last = Some(&ex.context);
        }
        texts.push(ex.question.clone());
    }
    Ok(texts)
}

fn train_and_save<M, T>(model: M, mut trainer: T, texts: &[String], out: &Path) -> Result<()>
where
    M: Model<Trainer = T> + Serialize + Send + Sync,
    T: Trainer<Model = M> + Sync,
{
    let mut tok: TokenizerImpl<
        M,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    > = TokenizerImpl::new(model);
    tok.with_normalizer(Some(BertNormalizer::default()));
    tok.with_pre_tokenizer(Some(BertPreTokenizer));
    tok.train(&mut trainer, texts.iter())
        .map_err(|e| anyhow!("training the tokenizer: {e}"))?;
    tok.save(out, false)
        .map_err(|e| anyhow!("saving {}: {e}", out.display()))?;
    Ok(())
}

/// Trains a tokenizer into `dir/tokenizer.json`.
pub fn train(config: &TokenizerConfig, dir: &Path) -> Result<()> {
    let texts = training_texts(config)?;
    let special: Vec<AddedToken> = SPECIAL
        .iter()
        .map(|s| AddedToken::from(s.to_string(), true))
        .collect();
    let out = dir.join("tokenizer.json");
    match config.model.as_str() {
        "bpe" => {
            let trainer = BpeTrainerBuilder::new()
                .show_progress(false)
                .vocab_size(config.vocab_size)
                .min_frequency(config.min_frequency)
                .special_tokens(special)
                .build();
            let model = BPE::builder()
                .unk_token("[UNK]".into())
                .build()
                .map_err(|e| anyhow!("{e}"))?;
            train_and_save(model, trainer, &texts, &out)
        }
        "wordpiece" => {
            let trainer = WordPieceTrainerBuilder::new()
                .show_progress(false)
                .vocab_size(config.vocab_size)
                .min_frequency(config.min_frequency)
                .special_tokens(special)
                .build();
            train_and_save(WordPiece::default(), trainer, &texts, &out)
        }
        other => bail!("tokenizer model `{other}`: use bpe or wordpiece"),
    }
}

/// The tokenizer for `config`, trained once and shared through the store.
pub fn get(store: &ArtifactStore, config: &TokenizerConfig) -> Result<(Artifact, Tokenizer)> {
    let value = serde_json::to_value(config)?;
    let artifact = store.get_or_build("tokenizer", &value, |dir| train(config, dir))?;
    let tokenizer = load(&artifact.dir.join("tokenizer.json"))?;
    Ok((artifact, tokenizer))
}

/// Loads any tokenizer.json.
pub fn load(path: &Path) -> Result<Tokenizer> {
    Tokenizer::from_file(path).map_err(|e| anyhow!("cannot load tokenizer {}: {e}", path.display()))
}

/// Trains a byte-level BPE tokenizer (GPT-2 style: every byte has a symbol, nothing is
/// normalised, so decoding reproduces any UTF-8 text exactly) into `out`.
pub fn train_byte_level(texts: &[String], vocab_size: usize, out: &Path) -> Result<()> {
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    let mut trainer = BpeTrainerBuilder::new()
        .show_progress(false)
        .vocab_size(vocab_size)
        .min_frequency(2)
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .build();
    let mut tok: TokenizerImpl<
        BPE,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    > = TokenizerImpl::new(BPE::default());
    tok.with_pre_tokenizer(Some(PreTokenizerWrapper::from(ByteLevel::new(
        false, true, true,
    ))));
    tok.with_decoder(Some(DecoderWrapper::from(ByteLevel::default())));
    tok.train(&mut trainer, texts.iter())
        .map_err(|e| anyhow!("training the tokenizer: {e}"))?;
    tok.save(out, false)
        .map_err(|e| anyhow!("saving {}: {e}", out.display()))?;
    Ok(())
}
