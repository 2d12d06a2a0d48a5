//! `[tracking]`: where runs are shown while a grid runs besides the terminal.
//!
//! ```toml
//! [tracking]
//! tensorboard = true    # default: event files under <experiment>/tensorboard/, one run each
//! ```

use serde::{Deserialize, Serialize};

use super::node::{Node, NodeKind};
use super::source::SpecError;

/// Keys of `[tracking]`.
const KEYS: &[&str] = &["tensorboard"];

/// The section, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// Write TensorBoard event files while runs train (default on).
    pub tensorboard: bool,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking { tensorboard: true }
    }
}

impl Tracking {
    /// Parses the section; an absent section gives the defaults.
    pub fn parse(node: Option<&Node>) -> Result<Tracking, SpecError> {
        let mut t = Tracking::default();
        let Some(node) = node else { return Ok(t) };
        let table = node.as_table("tracking")?;
        table.deny_unknown("tracking", KEYS)?;
        if let Some(v) = table.get("tensorboard") {
            t.tensorboard = match v.kind {
                NodeKind::Bool(b) => b,
                _ => return Err(v.wrong_type("tracking.tensorboard", "true or false")),
            };
        }
        Ok(t)
    }
}
