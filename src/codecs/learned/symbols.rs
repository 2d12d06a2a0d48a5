//! What the model codes: the input's bytes, or the ids a byte-level BPE tokenizer gives the
//! input's text. Tokenization must reproduce the text exactly; it is checked before coding.

use anyhow::{bail, Result};
use tokenizers::Tokenizer;

/// The symbols of `data`: its bytes, or its token ids.
pub fn encode(data: &[u8], tokenizer: Option<&Tokenizer>) -> Result<Vec<u32>> {
    let Some(tokenizer) = tokenizer else {
        return Ok(data.iter().map(|&b| u32::from(b)).collect());
    };
    let Ok(text) = std::str::from_utf8(data) else {
        bail!("a tokenizer-level model codes UTF-8 text, and this input is not valid UTF-8");
    };
    let ids = tokenizer
        .encode(text, false)
        .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?
        .get_ids()
        .to_vec();
    if decode(&ids, Some(tokenizer))? != data {
        bail!(
            "the tokenizer does not reproduce this text exactly, so it cannot code it losslessly"
        );
    }
    Ok(ids)
}

/// The bytes of symbols made by [`encode`].
pub fn decode(symbols: &[u32], tokenizer: Option<&Tokenizer>) -> Result<Vec<u8>> {
    match tokenizer {
        None => Ok(symbols.iter().map(|&s| s as u8).collect()),
        Some(t) => Ok(t
            .decode(symbols, false)
            .map_err(|e| anyhow::anyhow!("detokenizing: {e}"))?
            .into_bytes()),
    }
}

/// CRC-32 of symbols: of the bytes for byte symbols, of little-endian u32 ids otherwise.
pub fn crc(symbols: &[u32], bytes: bool) -> u32 {
    let mut h = crc32fast::Hasher::new();
    if bytes {
        let b: Vec<u8> = symbols.iter().map(|&s| s as u8).collect();
        h.update(&b);
    } else {
        for s in symbols {
            h.update(&s.to_le_bytes());
        }
    }
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_tokens_reproduce_text_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        let texts: Vec<String> = (0..50)
            .map(|i| format!("In the beginning  was the word {i}.\n\tAnd the word was café."))
            .collect();
        crate::models::tokenizer::train_byte_level(&texts, 300, &path).unwrap();
        let tokenizer = crate::models::tokenizer::load(&path).unwrap();
        let text = "  Leading spaces, tabs\t, émojis 🦀, CRLF\r\n and  double  spaces. ".as_bytes();
        let ids = encode(text, Some(&tokenizer)).unwrap();
        assert!(ids.len() < text.len(), "merges shorten the text");
        assert_eq!(decode(&ids, Some(&tokenizer)).unwrap(), text);
        let err = encode(&[0x66, 0xff, 0x66], Some(&tokenizer)).unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
        assert_eq!(
            decode(&encode(b"\xff\x00", None).unwrap(), None).unwrap(),
            b"\xff\x00"
        );
    }
}
