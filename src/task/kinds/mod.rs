//! The built-in task kinds and the external `command` kind, one file or folder each. Shared
//! parameter groups come first: [`split`] (the article split of a QA data set) and the reader's
//! parameters in [`qa_reader`], which later kinds include.

pub mod codec;
pub mod command;
pub mod llm_eval;
pub mod lm_codec;
pub mod prompt_compression;
pub mod qa_reader;
pub mod soft;
pub mod split;
pub mod tokenizer;
pub mod weights;
