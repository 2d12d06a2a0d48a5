//! The `weight-compression` task kind: its parameters, the models it compresses (subjects: the
//! reader, the byte-level LM, the token classifier, the soft-compression teacher), the ladder
//! its strategies walk, and the task.

pub mod classifier;
pub mod ladder;
pub mod lm;
pub mod one_model;
pub mod params;
pub mod reader;
pub mod subject;
pub mod task;
pub mod teacher;

pub use params::{method_of, MethodKind, WeightParams};
pub use task::WeightCompressionTask;
