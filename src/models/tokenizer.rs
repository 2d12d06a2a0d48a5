//! Tokenizers trained with the tokenizers crate: BPE or WordPiece with BERT normalization (lower
//! case, accents stripped) and pre-tokenization (whitespace and punctuation) and special tokens
//! [PAD] [UNK] [CLS] [SEP] [MASK]; and byte-level BPE (GPT-2 style, nothing normalised) for
//! tokenizer-level language models. Saved and loaded as standard `tokenizer.json` files.

use std::path::Path;

use anyhow::{anyhow, Result};
use serde::Serialize;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainerBuilder};
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{
    AddedToken, DecoderWrapper, Model, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, Tokenizer, TokenizerImpl, Trainer,
};

/// The subword model of a tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerModel {
    /// Byte-pair encoding.
    Bpe,
    /// WordPiece (BERT).
    WordPiece,
}

/// Special tokens, in id order.
pub const SPECIAL: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

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

/// Trains a BPE or WordPiece tokenizer with BERT normalization on `texts` into `out`.
pub fn train_bert(
    model: TokenizerModel,
    vocab_size: usize,
    min_frequency: u64,
    texts: &[String],
    out: &Path,
) -> Result<()> {
    let special: Vec<AddedToken> = SPECIAL
        .iter()
        .map(|s| AddedToken::from(s.to_string(), true))
        .collect();
    match model {
        TokenizerModel::Bpe => {
            let trainer = BpeTrainerBuilder::new()
                .show_progress(false)
                .vocab_size(vocab_size)
                .min_frequency(min_frequency)
                .special_tokens(special)
                .build();
            let model = BPE::builder()
                .unk_token("[UNK]".into())
                .build()
                .map_err(|e| anyhow!("{e}"))?;
            train_and_save(model, trainer, texts, out)
        }
        TokenizerModel::WordPiece => {
            let trainer = WordPieceTrainerBuilder::new()
                .show_progress(false)
                .vocab_size(vocab_size)
                .min_frequency(min_frequency)
                .special_tokens(special)
                .build();
            train_and_save(WordPiece::default(), trainer, texts, out)
        }
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn damaged_tokenizer_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        let texts = vec!["the cat sat on the mat, the dog sat on the log".to_string(); 4];
        super::train_byte_level(&texts, 300, &path).unwrap();
        let good = std::fs::read(&path).unwrap();
        assert!(super::load(&path).is_ok());
        crate::data::damage::assert_clear_errors(&path, &good, super::load);
    }
}
