//! Tokenizers: BPE or WordPiece with BERT normalization (lower case, accents stripped) and
//! pre-tokenization (whitespace and punctuation) and special tokens [PAD] [UNK] [CLS] [SEP]
//! [MASK]; and byte-level BPE (GPT-2 style, nothing normalised) for tokenizer-level language
//! models. Merges are learned by runner's deterministic learner ([`merges`]): the same texts
//! give the same `tokenizer.json`, byte for byte. Normalising, pre-tokenizing, saving, loading
//! and encoding are the tokenizers crate's, and the files are standard `tokenizer.json`s.

pub mod merges;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, Result};
use serde::Serialize;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{
    AddedToken, DecoderWrapper, Model, NormalizedString, Normalizer, NormalizerWrapper,
    OffsetReferential, OffsetType, PostProcessorWrapper, PreTokenizedString, PreTokenizer,
    PreTokenizerWrapper, Tokenizer, TokenizerImpl,
};

use merges::{learn, Learned, MergeConfig};

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

/// The version of the tokenizer training code: part of a tokenizer artifact's identity.
pub const TRAINER_VERSION: u32 = 2;

/// How often each word occurs in `texts`, words as `normalizer` and `pre_tokenizer` cut them.
fn word_counts(
    texts: &[String],
    normalizer: Option<&dyn Normalizer>,
    pre_tokenizer: &dyn PreTokenizer,
) -> Result<BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    for text in texts {
        let mut normalized = NormalizedString::from(text.as_str());
        if let Some(n) = normalizer {
            n.normalize(&mut normalized)
                .map_err(|e| anyhow!("normalizing the training texts: {e}"))?;
        }
        let mut pre = PreTokenizedString::from(normalized);
        pre_tokenizer
            .pre_tokenize(&mut pre)
            .map_err(|e| anyhow!("pre-tokenizing the training texts: {e}"))?;
        for (word, _, _) in pre.get_splits(OffsetReferential::Original, OffsetType::Byte) {
            *counts.entry(word.to_string()).or_default() += 1;
        }
    }
    Ok(counts)
}

/// The learned vocabulary as the tokenizers crate's map (ids as learned).
fn vocab_map(learned: &Learned) -> Vocab {
    learned
        .vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect()
}

/// Saves a tokenizer (the special tokens registered as such).
fn save<M: Model + Serialize>(
    mut tok: TokenizerImpl<
        M,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    >,
    special: &[&str],
    out: &Path,
) -> Result<()> {
    let special: Vec<AddedToken> = special
        .iter()
        .map(|s| AddedToken::from(s.to_string(), true))
        .collect();
    tok.add_special_tokens(&special);
    tok.save(out, false)
        .map_err(|e| anyhow!("saving {}: {e}", out.display()))
}

/// Trains a BPE or WordPiece tokenizer with BERT normalization on `texts` into `out`.
pub fn train_bert(
    model: TokenizerModel,
    vocab_size: usize,
    min_frequency: u64,
    texts: &[String],
    out: &Path,
) -> Result<()> {
    let counts = word_counts(texts, Some(&BertNormalizer::default()), &BertPreTokenizer)?;
    let prefix = (model == TokenizerModel::WordPiece).then_some("##");
    let learned = learn(
        &counts,
        &MergeConfig {
            vocab_size,
            min_frequency,
            continuing_prefix: prefix,
            special: &SPECIAL,
            initial_alphabet: &[],
        },
    );
    match model {
        TokenizerModel::Bpe => {
            let bpe = BPE::builder()
                .vocab_and_merges(vocab_map(&learned), learned.merges.clone())
                .unk_token("[UNK]".into())
                .build()
                .map_err(|e| anyhow!("building the BPE model: {e}"))?;
            let mut tok = TokenizerImpl::new(bpe);
            tok.with_normalizer(Some(BertNormalizer::default()));
            tok.with_pre_tokenizer(Some(BertPreTokenizer));
            save(tok, &SPECIAL, out)
        }
        TokenizerModel::WordPiece => {
            let wordpiece = WordPiece::builder()
                .vocab(vocab_map(&learned))
                .unk_token("[UNK]".into())
                .continuing_subword_prefix("##".into())
                .build()
                .map_err(|e| anyhow!("building the WordPiece model: {e}"))?;
            let mut tok = TokenizerImpl::new(wordpiece);
            tok.with_normalizer(Some(BertNormalizer::default()));
            tok.with_pre_tokenizer(Some(BertPreTokenizer));
            save(tok, &SPECIAL, out)
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
    let byte_level = ByteLevel::new(false, true, true);
    let counts = word_counts(texts, None, &byte_level)?;
    let mut alphabet: Vec<char> = ByteLevel::alphabet().into_iter().collect();
    alphabet.sort_unstable();
    let learned = learn(
        &counts,
        &MergeConfig {
            vocab_size,
            min_frequency: 2,
            continuing_prefix: None,
            special: &[],
            initial_alphabet: &alphabet,
        },
    );
    let bpe = BPE::builder()
        .vocab_and_merges(vocab_map(&learned), learned.merges)
        .build()
        .map_err(|e| anyhow!("building the BPE model: {e}"))?;
    let mut tok = TokenizerImpl::new(bpe);
    tok.with_pre_tokenizer(Some(PreTokenizerWrapper::from(byte_level)));
    tok.with_decoder(Some(DecoderWrapper::from(ByteLevel::default())));
    save(tok, &[], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts() -> Vec<String> {
        let base = [
            "The cat sat on the mat, the dog sat on the log.",
            "Where did the cat sit? On the mat, said the dog.",
            "Naïve résumé: accents are stripped, UPPER case lowered.",
        ];
        (0..20).map(|i| format!("{} {i}", base[i % 3])).collect()
    }

    #[test]
    fn damaged_tokenizer_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        train_byte_level(&texts(), 300, &path).unwrap();
        let good = std::fs::read(&path).unwrap();
        assert!(load(&path).is_ok());
        crate::data::damage::assert_clear_errors(&path, &good, load);
    }

    /// Each kind trained twice gives the same file, which the crate loads and encodes with.
    #[test]
    fn every_kind_trains_to_the_same_bytes_twice_and_encodes() {
        let dir = tempfile::tempdir().unwrap();
        let texts = texts();
        type Train<'a> = Box<dyn Fn(&Path) -> Result<()> + 'a>;
        let kinds: Vec<(&str, Train<'_>)> = vec![
            (
                "bpe",
                Box::new(|p| train_bert(TokenizerModel::Bpe, 80, 2, &texts, p)),
            ),
            (
                "wordpiece",
                Box::new(|p| train_bert(TokenizerModel::WordPiece, 80, 2, &texts, p)),
            ),
            ("byte", Box::new(|p| train_byte_level(&texts, 300, p))),
        ];
        for (name, train) in kinds {
            let (a, b) = (
                dir.path().join(format!("{name}-a")),
                dir.path().join(format!("{name}-b")),
            );
            train(&a).unwrap();
            train(&b).unwrap();
            assert_eq!(
                std::fs::read(&a).unwrap(),
                std::fs::read(&b).unwrap(),
                "{name}"
            );
            let tok = load(&a).unwrap();
            let enc = tok.encode("the cat sat on the mat", false).unwrap();
            assert!(!enc.get_ids().is_empty(), "{name}");
            assert!(enc.get_ids().len() < 22, "{name}: merges are used");
            if name == "byte" {
                let text = "Ünïcode ✓ survives";
                let ids = tok.encode(text, false).unwrap().get_ids().to_vec();
                assert_eq!(tok.decode(&ids, false).unwrap(), text);
            } else {
                assert!(tok.get_vocab(false).len() >= 60, "{name}");
                assert_eq!(tok.token_to_id("[PAD]"), Some(0), "{name}");
                let enc = tok.encode("Naïve CAT", false).unwrap();
                assert_eq!(
                    enc.get_tokens()[0].chars().next(),
                    Some('n'),
                    "{name}: normalised"
                );
            }
        }
    }
}
