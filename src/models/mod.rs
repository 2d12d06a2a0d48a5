//! Models: non-neural reference readers now; burn models (reader, language models) as they come.

pub mod baselines;
pub mod reader;
pub mod words;
