//! The terminal side of runner: the progress display of launches (a `scheduler::Reporter`),
//! the summary, aligned tables, the dry run and the status table. It decides nothing.

pub mod dry_run;
pub mod reproduce;
pub mod status;
pub mod summary;
pub mod table;
pub mod tasks;
pub mod terminal;
