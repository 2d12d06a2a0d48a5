//! Lossless compression with a pretrained language model (the Llama family, `models::llama`):
//! the input as the model's tokens ([`tokens`]), each token coded by a 64-bit range coder
//! ([`coder`]) under the model's next-token distribution quantized to 32-bit frequencies
//! ([`freqs`]), K streams in lock step (one coder takes the tokens of every stream in the
//! order the loop visits them) with a key/value cache rebuilt over a sliding window
//! ([`driver`]). The decoder runs the same loop with the same shapes and threads, so it computes
//! the encoder's numbers bit for bit; checkpoints of the tables catch a machine that does not.

pub mod coder;
pub mod driver;
pub mod format;
pub mod freqs;
pub mod mixer;
pub mod tokens;

use std::time::Instant;

use anyhow::{bail, Result};
use sha2::{Digest, Sha256};

use coder::{WideDecoder, WideEncoder};
use driver::{Policy, TokenCoder};
use format::{LlmFile, LlmHeader};
use freqs::Freqs;

use crate::models::llama::Pretrained;

/// What a pass produced.
#[derive(Debug, Clone)]
pub struct LlmOutcome {
    /// The file (compression) or the original (decompression).
    pub bytes: Vec<u8>,
    /// Tokens coded.
    pub tokens: usize,
    /// Seconds.
    pub seconds: f64,
    /// Bits the tokens cost under their tables (the ideal size of the streams).
    pub bits: f64,
}

/// SHA-256 over every token's bytes, in id order: the tokenizer's identity.
pub fn tokenizer_sha256(p: &Pretrained) -> String {
    let mut h = Sha256::new();
    for id in 0..p.vocab.tokenizer.get_vocab_size(true) as u32 {
        let b = p.vocab.token_bytes(id);
        h.update((b.len() as u32).to_le_bytes());
        h.update(&b);
    }
    format!("{:x}", h.finalize())
}

/// The start token of every stream: `<|endoftext|>` where the vocabulary has it, else the
/// end-of-sequence token, else 0.
pub fn start_token(p: &Pretrained) -> u32 {
    p.vocab.id("<|endoftext|>").or(p.vocab.eos).unwrap_or(0)
}

/// Bytes coding `streams` streams of `p` under `policy` needs: per stream the logits, its
/// key/value cache over the window and its inputs.
fn memory(p: &Pretrained, policy: &Policy) -> u64 {
    let c = &p.config;
    let cache = 2 * c.blocks * c.kv_heads * c.head_dim * policy.window * 4;
    let per_stream = 8 * c.vocab + cache + 8 * c.feed_forward;
    policy.streams as u64 * per_stream as u64
}

fn check_memory(p: &Pretrained, policy: &Policy) -> Result<()> {
    let need = memory(p, policy);
    let limit = crate::codecs::memory_limit::limit();
    if need > limit {
        return Err(crate::error::bad_input(format!(
            "{} streams with a {}-token window need about {:.2} GiB besides the model, more than the limit of {:.2} GiB (raise it with --max-memory or RUNNER_CODEC_MAX_MEMORY)",
            policy.streams,
            policy.window,
            need as f64 / (1u64 << 30) as f64,
            limit as f64 / (1u64 << 30) as f64
        )));
    }
    Ok(())
}

struct Encoding<'a> {
    chunks: Vec<&'a [u32]>,
    encoder: WideEncoder,
}

impl TokenCoder for Encoding<'_> {
    fn code(&mut self, stream: usize, t: usize, freqs: &Freqs) -> Result<u32> {
        let token = self.chunks[stream][t];
        let (cum, freq) = freqs.interval(token as usize);
        self.encoder.encode(cum, freq);
        Ok(token)
    }
}

/// Tokens of each of `k` chunks of `n` tokens (the first `n % k` one longer; all `k` chunks
/// non-empty when `k ≤ n`): the encoder cuts the input so, the decoder computes the same.
pub fn chunk_lengths(n: usize, k: usize) -> Vec<usize> {
    let k = k.max(1);
    (0..k).map(|i| n / k + usize::from(i < n % k)).collect()
}

/// Compresses `data` with `p`: `policy.streams` chunks of its tokens side by side.
pub fn compress(
    data: &[u8],
    p: &Pretrained,
    policy: Policy,
    threads: usize,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<LlmOutcome> {
    let started = Instant::now();
    policy.validate(p.config.context)?;
    check_memory(p, &policy)?;
    let ids = tokens::tokenize(&p.vocab, data)?;
    let k = policy.streams.min(ids.len()).max(1);
    let policy = Policy {
        streams: k,
        ..policy
    };
    let lengths = chunk_lengths(ids.len(), k);
    let mut chunks = Vec::with_capacity(k);
    let mut rest = &ids[..];
    for &n in &lengths {
        let (chunk, after) = rest.split_at(n);
        chunks.push(chunk);
        rest = after;
    }
    let mut coder = Encoding {
        encoder: WideEncoder::default(),
        chunks,
    };
    let pass = crate::codecs::pool::in_pool(threads, || {
        driver::run(&p.model, &lengths, policy, &mut coder, None, progress)
    })?;
    let file = LlmFile {
        header: LlmHeader {
            model_sha256: p.sha256.clone(),
            tokenizer_sha256: tokenizer_sha256(p),
            vocab: p.config.vocab,
            policy,
            threads,
            backend: crate::models::device::backend_of(&p.model.device())
                .name()
                .to_string(),
        },
        checkpoints: pass.checkpoints,
        original_len: data.len(),
        crc: crc32fast::hash(data),
        tokens: ids.len(),
    };
    Ok(LlmOutcome {
        bytes: format::write(&file, &coder.encoder.finish())?,
        tokens: ids.len(),
        seconds: started.elapsed().as_secs_f64(),
        bits: pass.bits,
    })
}

struct Decoding<'a> {
    decoder: WideDecoder<'a>,
    chunks: Vec<Vec<u32>>,
}

impl TokenCoder for Decoding<'_> {
    fn code(&mut self, stream: usize, _t: usize, freqs: &Freqs) -> Result<u32> {
        let d = &mut self.decoder;
        let token = freqs.find(d.target());
        let (cum, freq) = freqs.interval(token);
        d.consume(cum, freq);
        if d.overran() {
            return Err(crate::error::bad_input(
                "corrupted file: the coded bytes run out before the tokens (a damaged stream, or a header that claims more tokens than it holds)",
            ));
        }
        self.chunks[stream].push(token as u32);
        Ok(token as u32)
    }
}

/// The identity checks of a file against the model given.
fn same_model(file: &LlmFile, p: &Pretrained) -> Result<()> {
    let h = &file.header;
    if h.model_sha256 != p.sha256 {
        bail!(
            "this file was compressed with another model (SHA-256 {}); the model given is {} ({})",
            h.model_sha256,
            p.sha256,
            p.path.display()
        );
    }
    if !tokenizer_sha256(p).starts_with(&h.tokenizer_sha256) || h.vocab != p.config.vocab {
        bail!("this file was compressed with another tokenizer than the model's");
    }
    let here = crate::models::device::backend_of(&p.model.device()).name();
    if h.backend != here {
        bail!("this file was coded on the {} backend and must be decoded there (this decoder computes on {here}; RUNNER_DEVICE selects the device)", h.backend);
    }
    Ok(())
}

/// Decompresses a file written by [`compress`] with the same model.
pub fn decompress(
    file: &[u8],
    p: &Pretrained,
    progress: impl FnMut(usize, usize) + Send,
) -> Result<LlmOutcome> {
    let started = Instant::now();
    let (parsed, coded) = format::read(file)?;
    same_model(&parsed, p)?;
    let policy = parsed.header.policy;
    policy
        .validate(p.config.context)
        .map_err(crate::error::bad_input)?;
    check_memory(p, &policy)?;
    let lengths = chunk_lengths(parsed.tokens, policy.streams);
    let mut coder = Decoding {
        decoder: WideDecoder::new(coded),
        chunks: lengths.iter().map(|&n| Vec::with_capacity(n)).collect(),
    };
    let expected = parsed.checkpoints.clone();
    let pass = crate::codecs::pool::in_pool(parsed.header.threads, || {
        driver::run(
            &p.model,
            &lengths,
            policy,
            &mut coder,
            Some(&expected),
            progress,
        )
    })?;
    let out: Vec<u8> = coder
        .chunks
        .iter()
        .flat_map(|ids| p.vocab.decode_bytes(ids))
        .collect();
    if out.len() != parsed.original_len || crc32fast::hash(&out) != parsed.crc {
        return Err(crate::error::bad_input(
            "the decoded bytes do not match the recorded length and checksum: the file is corrupted",
        ));
    }
    Ok(LlmOutcome {
        tokens: parsed.tokens,
        bytes: out,
        seconds: started.elapsed().as_secs_f64(),
        bits: pass.bits,
    })
}

#[cfg(test)]
mod tests;
