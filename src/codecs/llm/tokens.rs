//! Any byte sequence as a pretrained model's tokens, and back. Valid UTF-8 is tokenized by the
//! model's own tokenizer; every byte outside it (invalid UTF-8, a character cut at the end) is
//! its byte-level token, which a byte-level BPE always has. The tokens' bytes give back the
//! input exactly, which is checked before anything is coded.

use anyhow::{bail, Context, Result};

use crate::models::llama::vocab::byte_char;
use crate::models::llama::Vocab;

/// The tokens of `bytes`.
pub fn tokenize(vocab: &Vocab, bytes: &[u8]) -> Result<Vec<u32>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    for chunk in bytes.utf8_chunks() {
        if !chunk.valid().is_empty() {
            out.extend(vocab.encode_plain(chunk.valid())?);
        }
        for &b in chunk.invalid() {
            let id = vocab.id(&byte_char(b).to_string()).with_context(|| {
                format!("the vocabulary has no token for byte {b:#04x}: it is not a byte-level BPE")
            })?;
            out.push(id);
        }
    }
    if vocab.decode_bytes(&out) != bytes {
        bail!("the model's tokens do not give back the input's bytes exactly: it cannot code this input");
    }
    Ok(out)
}
