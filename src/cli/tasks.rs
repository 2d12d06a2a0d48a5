//! `runner tasks [KIND]`: the task kinds runner knows; for one kind, where it runs, its
//! parameters (type, default, doc) and its metrics, from the kind's own declarations.

use anyhow::Result;

use crate::error::{bad_input, ExitCode};

/// Arguments of `runner tasks`.
#[derive(clap::Args, Debug)]
pub struct TasksArgs {
    /// A task kind: show its parameters and metrics.
    pub kind: Option<String>,
    /// With KIND: print the parameters as a Markdown table (as on its page in docs/tasks/).
    #[arg(long, requires = "kind")]
    pub markdown: bool,
}

/// `runner tasks`.
pub fn tasks(args: TasksArgs) -> Result<ExitCode> {
    let Some(kind) = args.kind else {
        for t in crate::task::registry()
            .into_iter()
            .filter(|t| t.name() != "artifact")
        {
            println!("{:<20} {}", t.name(), t.summary());
        }
        return Ok(ExitCode::Complete);
    };
    let task = crate::task::lookup(&kind)
        .filter(|t| t.name() != "artifact")
        .ok_or_else(|| {
            let names: Vec<&str> = crate::task::registry()
                .iter()
                .map(|t| t.name())
                .filter(|n| *n != "artifact")
                .collect();
            bad_input(format!(
                "unknown task kind `{kind}`; {}",
                crate::spec::suggest::help_for(&kind, &names, "task kinds")
            ))
        })?;
    if args.markdown {
        print!("{}", crate::console::tasks::markdown(task));
    } else {
        print!("{}", crate::console::tasks::describe(task));
    }
    Ok(ExitCode::Complete)
}
