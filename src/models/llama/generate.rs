//! Greedy generation with a key/value cache: the prompt in one forward, then one token at a
//! time against the cache until a stop token or the length limit.

use burn::tensor::{Int, Tensor, TensorData};

use super::cache::KvCache;
use super::model::Llama;

/// The ids of `tokens` as a [1, len] tensor on the model's device.
pub fn row(model: &Llama, tokens: &[u32]) -> Tensor<2, Int> {
    let ids: Vec<i64> = tokens.iter().map(|&t| t as i64).collect();
    Tensor::from_data(TensorData::new(ids, [1, tokens.len()]), &model.device())
}

/// The most likely next token after the last position of `hidden` [1, len, d].
fn next_token(model: &Llama, hidden: Tensor<3>) -> u32 {
    let [_, l, d] = hidden.dims();
    let last = hidden.slice([0..1, l - 1..l, 0..d]).reshape([1, d]);
    let best = model.logits(last).argmax(1).into_data();
    let id = best.iter::<i64>().next().unwrap_or(0);
    id as u32
}

/// Up to `max_new` tokens greedily generated after `prompt` (non-empty), stopping after the
/// first of `stop` (which is not returned).
pub fn greedy(model: &Llama, prompt: &[u32], max_new: usize, stop: &[u32]) -> Vec<u32> {
    let mut cache = KvCache::new();
    let mut out = Vec::new();
    if prompt.is_empty() || max_new == 0 {
        return out;
    }
    let mut next = next_token(model, model.forward(row(model, prompt), &mut cache));
    while !stop.contains(&next) {
        out.push(next);
        if out.len() == max_new {
            break;
        }
        next = next_token(model, model.forward(row(model, &[next]), &mut cache));
    }
    out
}

/// The same generation recomputing the whole sequence at every step, without a cache (the
/// tests' reference for the cache).
pub fn greedy_uncached(model: &Llama, prompt: &[u32], max_new: usize, stop: &[u32]) -> Vec<u32> {
    let mut seq = prompt.to_vec();
    let mut out = Vec::new();
    while out.len() < max_new && !prompt.is_empty() {
        let next = next_token(model, model.forward(row(model, &seq), &mut KvCache::none()));
        if stop.contains(&next) {
            break;
        }
        out.push(next);
        seq.push(next);
    }
    out
}
