//! Fault points for the crash tests: `RUNNER_FAULT=NAME[:N[:SECONDS]]` makes the launcher kill
//! itself (SIGKILL, as `kill -9` would) the N-th time (default the first) it reaches the point
//! named NAME, between two of its writes, after waiting SECONDS (default 0: at once). Without
//! the variable a point costs one lookup. Points:
//! `after-spawn` (a child started, its status not yet `running`), `before-record` (a child
//! exited, nothing recorded), `after-status` (status.json says completed, the results line not
//! yet written).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static FAULT: OnceLock<Option<(String, usize, f64)>> = OnceLock::new();
static HITS: AtomicUsize = AtomicUsize::new(0);

/// Reached point `name`: dies here if `RUNNER_FAULT` says so.
pub fn point(name: &str) {
    let fault = FAULT.get_or_init(|| {
        let text = std::env::var("RUNNER_FAULT").ok()?;
        let mut parts = text.split(':');
        let point = parts.next()?.to_string();
        let n = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
        let wait = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
        Some((point, n, wait))
    });
    if let Some((point, n, wait)) = fault {
        if point == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *n {
            std::thread::sleep(std::time::Duration::from_secs_f64(*wait));
            // SAFETY: raising a signal on ourselves.
            unsafe {
                libc::raise(libc::SIGKILL);
            }
        }
    }
}
