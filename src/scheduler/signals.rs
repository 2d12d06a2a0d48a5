//! Turns SIGINT, SIGTERM and SIGHUP into dispatcher events. The handlers are installed once
//! per process and never removed (a handler whose reader is gone would end the process with
//! SIGPIPE); each dispatcher registers its channel while it runs, and a signal that arrives
//! between two dispatchers (artifact builds, then runs) reaches the next one.

use std::sync::mpsc::Sender;
use std::sync::{Mutex, OnceLock};

use anyhow::Result;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::events::Event;

/// Where signals go: the running dispatcher's channel, or signals waiting for the next one.
#[derive(Default)]
struct Route {
    to: Option<Sender<Event>>,
    pending: Vec<i32>,
}

static ROUTE: Mutex<Route> = Mutex::new(Route {
    to: None,
    pending: Vec::new(),
});
static INSTALLED: OnceLock<std::io::Result<()>> = OnceLock::new();

fn route() -> std::sync::MutexGuard<'static, Route> {
    ROUTE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the handlers and the thread that routes signals (once per process).
fn install_once() -> Result<()> {
    let installed = INSTALLED.get_or_init(|| {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    let mut r = route();
                    let delivered =
                        r.to.as_ref()
                            .is_some_and(|tx| tx.send(Event::Signal(sig)).is_ok());
                    if !delivered {
                        r.pending.push(sig);
                    }
                }
            })?;
        Ok(())
    });
    match installed {
        Ok(()) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot install the signal handlers: {e}")),
    }
}

/// Forwards signals to one dispatcher until dropped.
pub struct SignalForwarder;

impl SignalForwarder {
    /// Starts forwarding signals to `events` (and at once those that arrived while no
    /// dispatcher listened).
    pub fn install(events: Sender<Event>) -> Result<SignalForwarder> {
        install_once()?;
        let mut r = route();
        for sig in std::mem::take(&mut r.pending) {
            let _ = events.send(Event::Signal(sig));
        }
        r.to = Some(events);
        Ok(SignalForwarder)
    }
}

impl Drop for SignalForwarder {
    fn drop(&mut self) {
        route().to = None;
    }
}
