//! Schedulers: the local one (slots on this machine's devices, a dispatcher loop, one child
//! process per run, signals turned into events) and the Slurm backend, which reuses it per run.

pub mod devices;
pub mod dispatcher;
pub mod events;
pub mod executor;
pub mod signals;
pub mod slurm;

pub use devices::Slot;
pub use dispatcher::Dispatcher;
