//! The Slurm backend: the same spec, run store, resume and report as the local scheduler, with
//! runs handed to a real Slurm as job arrays (`--backend slurm`). See [`submit`] for what is
//! written, [`array_task`] for what runs on the nodes, [`backend`] for what launch, resume,
//! status and cancel do, and [`cluster`] for the Slurm commands.

pub mod array_task;
pub mod backend;
pub mod cluster;
pub mod submit;

pub use submit::SlurmOptions;
