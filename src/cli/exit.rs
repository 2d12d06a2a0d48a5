//! From errors to exit codes (README: Exit codes): the kind marked on the error's chain
//! (`error::Error`), else a spec error is bad input, an I/O error is the environment's (a
//! missing file, or bytes that cannot be what they should be, are bad input), and anything
//! else is bad input. Errors print as one message with their causes, never a backtrace.

use std::path::Path;

use crate::error::{marked_kind, ExitCode};

/// The exit code of an error that ended a command.
pub fn classify(error: &anyhow::Error) -> ExitCode {
    if let Some(code) = marked_kind(error) {
        return code;
    }
    for cause in error.chain() {
        if cause.downcast_ref::<crate::spec::SpecError>().is_some() {
            return ExitCode::BadInput;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData => {
                    ExitCode::BadInput
                }
                _ => ExitCode::Environment,
            };
        }
    }
    ExitCode::BadInput
}

/// Prints the error and returns its exit code.
pub fn report_error(error: &anyhow::Error) -> ExitCode {
    match error.downcast_ref::<crate::spec::SpecError>() {
        Some(spec_error) => eprintln!("error: {spec_error}"),
        None => eprintln!("error: {error:#}"),
    }
    classify(error)
}

/// `runner exec`: one run of a built-in task in its own process. A failure ends the run with
/// exit code 1 and one readable line in stderr.log (a bug's panic message and where it happened,
/// not a backtrace whose tail hides the cause).
pub fn exec(task: &str, run_dir: &Path) -> i32 {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error in runner: {info}")
    }));
    let code = match crate::task::exec::exec(task, run_dir) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    // The exit is recorded before the process ends, so a launcher that dies now still finds
    // the run finished (or failed) at its next launch.
    let status = std::os::unix::process::ExitStatusExt::from_raw(code << 8);
    if let Err(e) = crate::store::exit_record::write(run_dir, &status) {
        eprintln!("error: {e:#}");
    }
    code
}
