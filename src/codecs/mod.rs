//! Classical compressors: the algorithms, honest timing, per-response evaluation and
//! per-algorithm statistics. Used by the `codec` task, `runner codec`, and as the baseline
//! rows of learned compressors.

pub mod algorithm;
pub mod evaluate;
pub mod external;
pub mod learned;
pub mod llm;
pub mod memory_limit;
pub mod pool;
pub mod stats;
pub mod timing;

pub use algorithm::{Algorithm, Codec, LevelSpec};
