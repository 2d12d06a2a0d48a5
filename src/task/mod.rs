//! Task kinds: what one run does. Each kind checks its part of a spec, says where its runs can
//! execute and how to start one as a child process, declares its parameters and metrics, and
//! (for built-in kinds) runs inside that child. The scheduler knows nothing else about them.
//!
//! The machinery is here (the [`Task`] and [`BuiltinTask`] traits, typed [`params`], the
//! preflight, planning a spec, running a built-in kind in its child process); the kinds
//! themselves are in [`kinds`], one file or folder each.

pub mod artifact;
pub mod builtin;
pub mod exec;
pub mod invocation;
pub mod kind;
pub mod kinds;
pub mod need;
pub mod params;
pub mod placeholders;
pub mod planning;
pub mod preflight;
pub mod registry;

pub use builtin::{ExecContext, RunOutput};
pub use invocation::{Invocation, RunContext};
pub use kind::{seed_of, BuiltinTask, Placement, Task};
pub use registry::{for_spec, lookup, registry};
