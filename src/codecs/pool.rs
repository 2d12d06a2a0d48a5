//! The thread pool a codec computes in: a fixed number of threads, recorded in the file, so
//! the decoder's kernels split the work (and round) as the encoder's did.

use anyhow::{Context, Result};

/// Runs `f` in a pool of `threads` threads (burn's CPU kernels use the pool they run in).
pub fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .context("cannot start the coding threads")?
        .install(f)
}

/// The machine's cores (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
