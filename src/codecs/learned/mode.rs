//! The coding mode of a learned-codec file: where its model comes from.

use serde::{Deserialize, Serialize};

/// Whether the model comes with the decoder or learns while coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A pretrained model the decoder must be given (its hash is checked).
    Pretrained,
    /// A seeded model trained while coding; nothing else is needed to decode.
    Adaptive,
    /// The pretrained model, trained further while coding (the decoder needs the model).
    Dynamic,
}
