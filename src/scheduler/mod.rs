//! The local scheduler: slots on this machine's devices, a dispatcher loop, one child process
//! per run (executor), signals turned into events.

pub mod devices;
pub mod dispatcher;
pub mod events;
pub mod executor;
pub mod signals;

pub use devices::Slot;
pub use dispatcher::Dispatcher;
