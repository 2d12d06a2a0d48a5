//! Events the dispatcher reacts to: a child exited, a signal arrived.

use std::process::ExitStatus;
use std::time::Instant;

/// Something that happened while a grid runs.
#[derive(Debug)]
pub enum Event {
    /// The child in `slot` exited (or waiting on it failed).
    Exited {
        /// Slot index.
        slot: usize,
        /// Its exit status.
        status: std::io::Result<ExitStatus>,
        /// When the exit was seen.
        at: Instant,
    },
    /// SIGINT, SIGTERM or SIGHUP reached the launcher.
    Signal(i32),
}
