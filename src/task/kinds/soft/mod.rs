//! The `soft-compression` task kind: its parameters, the task as runner sees it, and one run.

pub mod params;
pub mod run;
pub mod task;

pub use params::{Method, Packing, SoftParams};
pub use task::SoftCompressionTask;
