//! Schedulers: how a launch reaches its runs. [`launch`] prepares every launch the same way
//! (lock, reconcile, recover, repair, artifact units) and hands the rest to a backend: the
//! local one ([`local`]: slots on this machine's devices, the [`dispatcher`] loop, one child
//! process per run through the [`executor`], signals turned into events) or Slurm ([`slurm`],
//! which reuses the dispatcher per array task). What happens is told to a [`reporter::Reporter`].

pub mod attempt;
pub mod devices;
pub mod dispatcher;
pub mod events;
pub mod executor;
pub mod faults;
pub mod launch;
pub mod local;
pub mod processes;
pub mod recovery;
pub mod reporter;
pub mod reproduce;
pub mod signals;
pub mod slurm;
pub mod status;
pub mod supervisor;
pub mod tracker;

pub use devices::Slot;
pub use dispatcher::Dispatcher;
pub use launch::{Backend, Outcome};
pub use reporter::Reporter;
