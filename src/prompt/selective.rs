//! Selective context: a token's self-information −log₂ p(token | prefix) under a causal
//! language model, here the byte-level model of `models::lm` (the token's bits are the sum of
//! its bytes' bits; whitespace between tokens counts for neither). Token level: the most
//! informative tokens are kept.

use super::compressed::{keep_top, tokens, Compressed};
use crate::models::lm::LanguageModel;

/// Bits of every whitespace-separated token of `text` under `model` (recurrent models: the
/// whole text in one pass).
pub fn self_information(model: &LanguageModel, text: &str) -> Vec<f64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Vec::new();
    }
    let mut inputs = vec![model.bos()];
    inputs.extend(bytes[..bytes.len() - 1].iter().map(|&b| usize::from(b)));
    let targets: Vec<usize> = bytes.iter().map(|&b| usize::from(b)).collect();
    let (byte_bits, _) = model.bits(&inputs, &targets, 1, None, &crate::models::device_of(model));
    let n = bytes.len();
    let bits = |i: usize| byte_bits[i];
    // Walk the tokens in order, summing their bytes' bits.
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let mut sum = 0.0;
        while i < n && !bytes[i].is_ascii_whitespace() {
            sum += bits(i);
            i += 1;
        }
        out.push(sum);
    }
    out
}

/// Keeps the most informative tokens.
pub fn selective_context(model: &LanguageModel, text: &str, ratio: f64) -> Compressed {
    let toks = tokens(text);
    let mut scores = self_information(model, text);
    // Unicode whitespace that is not ASCII can split tokens differently: fall back to order.
    if scores.len() != toks.len() {
        scores = (0..toks.len()).map(|i| -(i as f64)).collect();
    }
    keep_top(&toks, &scores, ratio)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::lm::Arch;

    #[test]
    fn every_token_gets_its_bytes_bits() {
        let _alone = crate::models::draws_alone();
        let config = crate::models::lm::test_config(Arch::Gru, 8);
        let model =
            crate::models::lm::train::init_seeded(&config, 1, &crate::models::device::cpu());
        let text = "ab  cde\nf";
        let bits = self_information(&model, text);
        assert_eq!(bits.len(), 3);
        // An untrained model gives about 8 bits per byte.
        for (b, len) in bits.iter().zip([2.0, 3.0, 1.0]) {
            assert!((b / len - 8.0).abs() < 1.0, "{bits:?}");
        }
        let c = selective_context(&model, text, 0.34);
        assert_eq!(c.kept, 1);
        assert_eq!(c.text, "cde", "the longest token carries the most bits");
    }
}
