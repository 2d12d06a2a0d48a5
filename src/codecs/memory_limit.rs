//! The most memory a learned codec may take (2 GiB unless raised: `--max-memory`, or
//! `RUNNER_CODEC_MAX_MEMORY`): what a file asks for is estimated from its header and refused
//! above it, so a crafted header cannot make a decoder abort.

use std::sync::atomic::{AtomicU64, Ordering};

/// The limit when none is set.
pub const DEFAULT_LIMIT: u64 = 2 << 30;

/// The limit set for this process (0: not set).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// Sets the limit for this process.
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The limit: the one set, else `RUNNER_CODEC_MAX_MEMORY` (bytes, or with K/M/G), else 2 GiB.
pub fn limit() -> u64 {
    match LIMIT.load(Ordering::Relaxed) {
        0 => std::env::var("RUNNER_CODEC_MAX_MEMORY")
            .ok()
            .and_then(|v| parse_size(&v))
            .unwrap_or(DEFAULT_LIMIT),
        set => set,
    }
}

/// A size such as `4G`, `512M`, `64K` or a number of bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches(['B', 'I'])
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}
