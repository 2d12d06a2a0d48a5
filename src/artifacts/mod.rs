//! The content-addressed artifact store: tokenizers, trained readers, language models, token
//! classifiers.
//! An artifact's id is its kind plus a hash of its own config, so every run, resumed grid and
//! experiment that needs the same artifact shares one copy. It is built once, under a file lock
//! (a second builder waits and then reuses it), in a temporary directory that is renamed into
//! place only when complete.
//!
//! ```text
//! <store>/<kind>-<hash>/artifact.json   kind, config, build time, runner version
//! <store>/<kind>-<hash>/...             the artifact's files
//! <store>/<kind>-<hash>.lock
//! <store>/.build-<kind>-<hash>/       a build in progress (kept to resume after a failure)
//! ```
//! The store is `$RUNNER_ARTIFACTS`, or `runs/artifacts` under the working directory.

pub mod content;
pub mod lm;
pub mod reader;
pub mod request;
pub mod soft_teacher;
pub mod store;
pub mod token_classifier;
pub mod tokenizer;

pub use request::{build, ArtifactRequest};
pub use store::{write_trained, Artifact, ArtifactInfo, ArtifactStore};
