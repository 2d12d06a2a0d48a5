//! How runner ends: one exit code per outcome, and errors that say which kind of failure they
//! are. The lowest layer: every module may mark an error as bad input or as an environment
//! failure where it knows which; `cli` turns the first kind found in an error's chain into the
//! exit code (README: Exit codes).

/// The process exit code of each way a command can end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every run is complete (or the command did what it was asked).
    Complete,
    /// Some run failed or did not run.
    Incomplete,
    /// Bad input: a spec, an argument, a missing data set or file, an experiment in use.
    BadInput,
    /// The environment failed: an I/O error, a full disk, a cluster command that failed.
    Environment,
    /// Stopped by Ctrl-C (or SIGTERM).
    Interrupted,
}

impl ExitCode {
    /// The number the process exits with.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Complete => 0,
            ExitCode::Incomplete => 1,
            ExitCode::BadInput => 2,
            ExitCode::Environment => 3,
            ExitCode::Interrupted => 130,
        }
    }
}

/// An error whose kind is known where it happens. Display and `source` are those of the error
/// it wraps, so messages read the same; only the exit code is added.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's input is wrong: exit code 2.
    #[error(transparent)]
    BadInput(anyhow::Error),
    /// The machine or the cluster failed: exit code 3.
    #[error(transparent)]
    Environment(anyhow::Error),
}

impl Error {
    /// The exit code of this kind.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::BadInput(_) => ExitCode::BadInput,
            Error::Environment(_) => ExitCode::Environment,
        }
    }
}

/// A bad-input error with this message.
pub fn bad_input(message: impl std::fmt::Display) -> anyhow::Error {
    Error::BadInput(anyhow::anyhow!("{message}")).into()
}

/// An environment error with this message.
pub fn environment(message: impl std::fmt::Display) -> anyhow::Error {
    Error::Environment(anyhow::anyhow!("{message}")).into()
}

/// Marks the error of a result with its kind.
pub trait Classify<T> {
    /// The error is the user's input.
    fn bad_input(self) -> anyhow::Result<T>;
    /// The error is the environment's.
    fn environment(self) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn bad_input(self) -> anyhow::Result<T> {
        self.map_err(|e| Error::BadInput(e.into()).into())
    }

    fn environment(self) -> anyhow::Result<T> {
        self.map_err(|e| Error::Environment(e.into()).into())
    }
}

/// The kind marked on an error's chain, outermost first, if any.
pub fn marked_kind(error: &anyhow::Error) -> Option<ExitCode> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Error>())
        .map(Error::exit_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_kind_survives_context_and_the_message_is_unchanged() {
        let e: anyhow::Result<()> = Err(std::io::Error::other("disk full")).environment();
        let e = e.context("writing status.json").unwrap_err();
        assert_eq!(marked_kind(&e), Some(ExitCode::Environment));
        assert_eq!(format!("{e:#}"), "writing status.json: disk full");
        assert_eq!(
            marked_kind(&bad_input("no such spec")),
            Some(ExitCode::BadInput)
        );
        assert_eq!(marked_kind(&anyhow::anyhow!("plain")), None);
        assert_eq!(ExitCode::Interrupted.code(), 130);
    }
}
