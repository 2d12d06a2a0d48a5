//! A checkpoint's tokenizer: from a GGUF file's own vocabulary, merges and pre-tokenizer name
//! (a byte-level BPE, `tokenizer.ggml.model = "gpt2"`), or a Hugging Face tokenizer.json. Text is
//! tokenized as plain text (special tokens in it are ordinary characters, as llama.cpp does
//! without `parse_special`); prompts place special tokens by id.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

use crate::models::gguf::Gguf;

/// GGUF's token type of control tokens (`<|im_start|>`, `<|endoftext|>`).
const CONTROL: i64 = 3;

/// A tokenizer and the special tokens a prompt needs.
#[derive(Clone)]
pub struct Vocab {
    /// The tokenizer.
    pub tokenizer: Tokenizer,
    /// End of sequence (generation stops there).
    pub eos: Option<u32>,
    /// Beginning of sequence, when the model wants one first.
    pub bos: Option<u32>,
    /// The chat template (Jinja text) the checkpoint carries, if any.
    pub chat_template: Option<String>,
}

impl std::fmt::Debug for Vocab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vocab({} tokens)", self.tokenizer.get_vocab_size(true))
    }
}

/// The pre-tokenizers of the GGUF `tokenizer.ggml.pre` names runner knows.
fn pre_tokenizer(name: &str) -> Result<Sequence> {
    let byte_level = ByteLevel::new(false, true, true);
    Ok(match name {
        // llama.cpp: every digit alone, then GPT-2's pattern.
        "smollm" | "starcoder" | "refact" | "codeshell" => Sequence::new(vec![Digits::new(true).into(), byte_level.into()]),
        "gpt2" | "default" | "mpt" | "olmo" => Sequence::new(vec![byte_level.into()]),
        other => bail!("pre-tokenizer `{other}` (runner knows smollm, starcoder, refact, codeshell, gpt2, default, mpt, olmo)"),
    })
}

impl Vocab {
    /// The tokenizer a GGUF file describes.
    pub fn from_gguf(g: &Gguf) -> Result<Vocab> {
        Self::build_from_gguf(g).with_context(|| format!("{}: tokenizer", g.path.display()))
    }

    fn build_from_gguf(g: &Gguf) -> Result<Vocab> {
        let text = |key: &str| g.get(key).and_then(|v| v.as_str());
        let model = text("tokenizer.ggml.model").context("no tokenizer.ggml.model")?;
        if model != "gpt2" {
            bail!("tokenizer model `{model}` (runner reads byte-level BPE, `gpt2`)");
        }
        let list = |key: &str| {
            g.get(key)
                .and_then(|v| v.as_array())
                .with_context(|| format!("no {key}"))
        };
        let tokens: Vec<&str> = list("tokenizer.ggml.tokens")?
            .iter()
            .map(|t| t.as_str().unwrap_or(""))
            .collect();
        let merges: Vec<(String, String)> = list("tokenizer.ggml.merges")?
            .iter()
            .map(|m| {
                let m = m.as_str().unwrap_or("");
                let (a, b) = m
                    .split_once(' ')
                    .with_context(|| format!("merge `{m}` is not two tokens"))?;
                Ok((a.to_string(), b.to_string()))
            })
            .collect::<Result<_>>()?;
        let vocab: tokenizers::models::bpe::Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| anyhow!("building the BPE: {e}"))?;
        let mut tokenizer = Tokenizer::new(bpe);
        tokenizer.with_pre_tokenizer(Some(pre_tokenizer(
            text("tokenizer.ggml.pre").unwrap_or("default"),
        )?));
        tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
        let types = g
            .get("tokenizer.ggml.token_type")
            .and_then(|v| v.as_array());
        let control: Vec<AddedToken> = types
            .map(|t| {
                t.iter()
                    .enumerate()
                    .filter(|(_, k)| k.as_f64() == Some(CONTROL as f64))
                    .map(|(i, _)| AddedToken::from(tokens[i].to_string(), true))
                    .collect()
            })
            .unwrap_or_default();
        tokenizer.add_special_tokens(&control);
        tokenizer.set_encode_special_tokens(true);
        let id = |key: &str| g.get(key).and_then(|v| v.as_u64()).map(|v| v as u32);
        let add_bos = g
            .get("tokenizer.ggml.add_bos_token")
            .map(|v| matches!(v, crate::models::gguf::MetaValue::Bool(true)));
        Ok(Vocab {
            tokenizer,
            eos: id("tokenizer.ggml.eos_token_id"),
            bos: id("tokenizer.ggml.bos_token_id").filter(|_| add_bos == Some(true)),
            chat_template: text("tokenizer.chat_template").map(str::to_string),
        })
    }

    /// The tokenizer of a Hugging Face checkpoint directory (tokenizer.json, and the chat
    /// template and end token of tokenizer_config.json when it has them).
    pub fn from_hf_dir(dir: &Path) -> Result<Vocab> {
        let path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        tokenizer.set_encode_special_tokens(true);
        let config: serde_json::Value = std::fs::read_to_string(dir.join("tokenizer_config.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let token = |key: &str| config[key].as_str().and_then(|t| tokenizer.token_to_id(t));
        Ok(Vocab {
            eos: token("eos_token"),
            bos: token("bos_token").filter(|_| config["add_bos_token"].as_bool() == Some(true)),
            chat_template: config["chat_template"].as_str().map(str::to_string),
            tokenizer,
        })
    }

    /// The token ids of `text` as plain text (a BOS first when the model wants one).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .bos
            .into_iter()
            .chain(self.encode_plain(text)?)
            .collect())
    }

    /// The token ids of `text` as plain text, nothing added.
    pub fn encode_plain(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode_fast(text, false)
            .map_err(|e| anyhow!("tokenizing: {e}"))?;
        Ok(enc.get_ids().to_vec())
    }

    /// The bytes of tokens (a byte-level BPE gives back any byte sequence, valid UTF-8 or not).
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        ids.iter().flat_map(|&id| self.token_bytes(id)).collect()
    }

    /// The bytes of one token (special tokens: their text).
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let Some(piece) = self.tokenizer.id_to_token(id) else {
            return Vec::new();
        };
        if self
            .tokenizer
            .get_added_vocabulary()
            .is_special_token(&piece)
        {
            return piece.into_bytes();
        }
        piece.chars().map(|c| byte_of(c).unwrap_or(b'?')).collect()
    }

    /// The id of a token's text (`<|im_start|>`), if the vocabulary has it.
    pub fn id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }
}

/// The GPT-2 byte-level characters of the 256 bytes: printable bytes stand for themselves,
/// the others (in byte order) take the characters from U+0100 on.
fn byte_chars() -> &'static [char; 256] {
    static TABLE: std::sync::OnceLock<[char; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let direct = |b: u32| {
            (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b)
        };
        let mut shifted = 256;
        std::array::from_fn(|b| {
            let b = b as u32;
            let c = if direct(b) {
                b
            } else {
                shifted += 1;
                shifted - 1
            };
            char::from_u32(c).unwrap_or('?')
        })
    })
}

/// The byte-level character of byte `b`.
pub fn byte_char(b: u8) -> char {
    byte_chars()[b as usize]
}

/// The byte a byte-level character stands for.
fn byte_of(c: char) -> Option<u8> {
    static INVERSE: std::sync::OnceLock<HashMap<char, u8>> = std::sync::OnceLock::new();
    let inverse = INVERSE.get_or_init(|| {
        byte_chars()
            .iter()
            .enumerate()
            .map(|(b, &c)| (c, b as u8))
            .collect()
    });
    inverse.get(&c).copied()
}
