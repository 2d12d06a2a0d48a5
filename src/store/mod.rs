//! The run store: everything an experiment writes under `runs/<experiment>/`.
//!
//! ```text
//! runs/<experiment>/
//!   spec.toml          the spec as launched (extends merged)
//!   experiment.json    name, task, resources, working directory, versions
//!   plan.json          every run of the grid with its resolved config
//!   results.jsonl      one line per completed run
//!   runs/<id>/         config.json status.json stdout.log stderr.log metrics.json
//!   by-name/<name>     link to runs/<id>
//! ```

pub mod atomic;
pub mod exit_record;
pub mod experiment_dir;
pub mod lock;
pub mod meta;
pub mod provenance;
pub mod reconcile;
pub mod results;
pub mod run_status;

pub use experiment_dir::{read_json, ExperimentDir, Observed};
pub use meta::ExperimentMeta;
pub use run_status::{RunState, RunStatus};
