//! The memory a learned-codec file needs, estimated from its header before anything is
//! allocated: the decoded symbols, the context mixer (shared tables, each stream's match table
//! and contexts), and the network's per-stream state and distributions. A file that needs more
//! than the limit (2 GiB unless raised: `--max-memory`, or `RUNNER_CODEC_MAX_MEMORY`) is refused
//! with what it asks for, so a crafted header cannot make the decoder abort.

use anyhow::Result;

use super::format::Params;
use crate::models::lm::Arch;

/// Bytes the network takes per stream: its distribution (twice: tensor and copy), its
/// activations and carried state (a transformer's key/value cache over its window), and, when
/// it learns while coding, what backpropagation through a segment keeps.
fn network_per_stream(p: &Params) -> u64 {
    let m = &p.model;
    let state = match m.arch {
        Arch::Transformer => 2 * m.layers * m.window * m.hidden,
        _ => 2 * m.layers * m.hidden,
    };
    let activations = 16 * m.layers * m.hidden;
    let inference = 2 * m.vocab + activations + state;
    let training = p
        .adaptive
        .as_ref()
        .map_or(0, |a| a.segment * (activations + 3 * m.vocab));
    4 * (inference + training) as u64
}

/// Bytes decoding (or encoding) `symbols` symbols in `streams` streams with `p` needs.
pub fn estimate(p: &Params, streams: usize, symbols: usize) -> u64 {
    let output = 9 * symbols as u64;
    let mixer = p.mixing.as_ref().map_or(0, |m| m.memory(streams));
    let uses_network = p.mixing.as_ref().is_none_or(|m| m.neural);
    let network = match uses_network {
        true => streams as u64 * network_per_stream(p),
        false => 0,
    };
    output + mixer + network
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Refuses, before anything is allocated, what needs more memory than the limit.
pub fn check(p: &Params, streams: usize, symbols: usize) -> Result<()> {
    let need = estimate(p, streams, symbols);
    let limit = crate::codecs::memory_limit::limit();
    if need > limit {
        return Err(crate::error::bad_input(format!(
            "coding {symbols} symbols in {streams} streams with these settings needs about {} of memory, more than the limit of {} (raise it with --max-memory or RUNNER_CODEC_MAX_MEMORY)",
            gib(need),
            gib(limit)
        )));
    }
    Ok(())
}
