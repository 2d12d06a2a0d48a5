//! Both directions of the pretrained-model codec run this one loop, so the decoder computes
//! exactly the encoder's numbers: K streams advance in lock step, one token each per step, a
//! forward of shape [K, 1] against the key/value cache (finished streams feed the start token).
//! When the cache holds `window` positions it is rebuilt, in one forward of shape [K, keep], from
//! each stream's last `keep` inputs: every token is predicted from at least `keep` tokens of
//! context once its stream has them. Every `CHECK_EVERY` steps a hash of stream 0's table is
//! kept: the encoder records them, the decoder compares, so a decoder that computes different
//! numbers stops there with a clear error instead of decoding garbage.

use anyhow::{bail, Result};
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::freqs::Freqs;
use super::mixer::TokenMixer;
use crate::models::llama::cache::KvCache;
use crate::models::llama::Llama;

/// The newest mixer this build knows.
pub const MIXERS: u8 = 1;

/// Steps between two numerics checkpoints.
pub const CHECK_EVERY: usize = 512;

/// How long contexts are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Streams coded side by side.
    pub streams: usize,
    /// Positions the cache holds before it is rebuilt.
    pub window: usize,
    /// Inputs a rebuilt cache starts from.
    pub keep: usize,
    /// The token each stream starts from.
    pub start: u32,
    /// The mixer of the model's distribution with token counts (`mixer`): 0 none, 1 mixer 1.
    /// Files without it have none.
    #[serde(default)]
    pub mixer: u8,
}

impl Policy {
    /// Checks the policy.
    pub fn validate(&self, context: usize) -> Result<()> {
        if self.streams == 0
            || self.streams > 4096
            || self.keep == 0
            || self.keep >= self.window
            || self.window > context
            || self.mixer > MIXERS
        {
            bail!(
                "streams {} (1 to 4096), window {} and keep {} (0 < keep < window ≤ the model's context {context}), mixer {} (0 to {MIXERS})",
                self.streams,
                self.window,
                self.keep,
                self.mixer
            );
        }
        Ok(())
    }
}

/// What codes a step's token of each stream: given the stream, its position and the table,
/// the token (known to the encoder, decoded by the decoder).
pub trait TokenCoder {
    /// The token of `stream` at position `t` under `freqs`.
    fn code(&mut self, stream: usize, t: usize, freqs: &Freqs) -> Result<u32>;
}

/// The bits spent and the numerics checkpoints of a pass.
#[derive(Debug, Clone, Default)]
pub struct Pass {
    /// Hashes of stream 0's table every `CHECK_EVERY` steps.
    pub checkpoints: Vec<[u8; 8]>,
    /// Bits the coded tokens cost under their tables.
    pub bits: f64,
}

fn hash(freqs: &Freqs) -> [u8; 8] {
    let mut h = Sha256::new();
    for c in freqs.cum.iter().step_by(97) {
        h.update(c.to_le_bytes());
    }
    let mut out = [0u8; 8];
    out.copy_from_slice(&h.finalize()[..8]);
    out
}

fn row(model: &Llama, ids: &[u32], k: usize) -> Tensor<2, Int> {
    let data: Vec<i64> = ids.iter().map(|&t| t as i64).collect();
    Tensor::from_data(TensorData::new(data, [k, ids.len() / k]), &model.device())
}

/// Runs streams of `lengths` tokens through `model` under `policy`, coding each with `coder`;
/// `expected` (decoding) holds the encoder's checkpoints.
pub fn run(
    model: &Llama,
    lengths: &[usize],
    policy: Policy,
    coder: &mut dyn TokenCoder,
    expected: Option<&[[u8; 8]]>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Pass> {
    let k = lengths.len();
    let steps = lengths.iter().copied().max().unwrap_or(0);
    let mut inputs: Vec<Vec<u32>> = vec![vec![policy.start]; k];
    let mut cache = KvCache::with_capacity(policy.window);
    let mut freqs = Freqs::default();
    let mut mixer = (policy.mixer > 0).then(TokenMixer::default);
    let mut pass = Pass::default();
    for t in 0..steps {
        let last: Vec<u32> = inputs
            .iter()
            .map(|i| *i.last().unwrap_or(&policy.start))
            .collect();
        let hidden = model.forward(row(model, &last, k), &mut cache);
        let d = hidden.dims()[2];
        let logits: Vec<f32> = model
            .logits(hidden.reshape([k, d]))
            .into_data()
            .try_to_vec()
            .map_err(|e| anyhow::anyhow!("reading logits: {e:?}"))?;
        let vocab = logits.len() / k;
        for s in 0..k {
            let next = if t < lengths[s] {
                let scores = &logits[s * vocab..(s + 1) * vocab];
                match &mut mixer {
                    Some(m) => {
                        freqs.model(scores);
                        m.mix(&inputs[s], &mut freqs);
                    }
                    None => freqs.fill(scores),
                }
                if s == 0 && t % CHECK_EVERY == 0 {
                    check(&mut pass, hash(&freqs), expected, t)?;
                }
                let token = coder.code(s, t, &freqs)?;
                pass.bits += freqs.bits(token as usize);
                if let Some(m) = &mut mixer {
                    let p = freqs.model_probability(scores, token as usize);
                    m.learn(&inputs[s], token, p);
                }
                token
            } else {
                policy.start
            };
            inputs[s].push(next);
        }
        if cache.len() == policy.window && t + 1 < steps {
            cache.reset();
            let kept: Vec<u32> = inputs
                .iter()
                .flat_map(|i| i[i.len() - policy.keep..].iter().copied())
                .collect();
            // The last input is fed by the next step: rebuild from the ones before it.
            let before: Vec<u32> = kept
                .chunks(policy.keep)
                .flat_map(|c| c[..c.len() - 1].iter().copied())
                .collect();
            model.forward(row(model, &before, k), &mut cache);
        }
        if t % 16 == 0 {
            progress(t, steps);
        }
    }
    progress(steps, steps);
    Ok(pass)
}

/// Records (encoding) or compares (decoding) a checkpoint.
fn check(pass: &mut Pass, h: [u8; 8], expected: Option<&[[u8; 8]]>, t: usize) -> Result<()> {
    if let Some(e) = expected {
        if e.get(pass.checkpoints.len()) != Some(&h) {
            bail!(
                "this machine computes different probabilities from the model than the one that compressed the file (numerics checkpoint at token {t} of stream 1): decompress with the same runner build, backend and threads on a CPU of the same instruction-set level"
            );
        }
    }
    pass.checkpoints.push(h);
    Ok(())
}
