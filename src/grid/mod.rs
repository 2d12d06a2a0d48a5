//! The grid: a spec expanded into the list of runs, each with its resolved config, id and name.

pub mod config;
pub mod expand;
pub mod identity;
pub mod naming;
pub mod plan;
pub mod rows;

pub use config::RunConfig;
pub use expand::expand;
pub use plan::{Grid, PlannedRun};
