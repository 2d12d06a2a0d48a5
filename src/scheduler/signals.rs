//! Turns SIGINT, SIGTERM and SIGHUP into dispatcher events.

use std::sync::mpsc::Sender;

use anyhow::Result;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use super::events::Event;

/// Forwards signals until dropped.
pub struct SignalForwarder {
    handle: Handle,
}

impl SignalForwarder {
    /// Starts forwarding signals to `events`.
    pub fn install(events: Sender<Event>) -> Result<SignalForwarder> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let handle = signals.handle();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    if events.send(Event::Signal(sig)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(SignalForwarder { handle })
    }
}

impl Drop for SignalForwarder {
    fn drop(&mut self) {
        self.handle.close();
    }
}
