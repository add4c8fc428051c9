//! The command's own errors: what the runtime reports, plus the problems only a command
//! line has (no database named, a file that cannot be written).

use std::path::PathBuf;

/// Why `pg-audit` stopped; printed as one line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// What the runtime reported (connection, privileges, invalid names, …).
    #[error(transparent)]
    Runtime(#[from] pg_audit_runtime::Error),
    /// The verb needs a database and none was named.
    #[error("no database: set DATABASE_URL or pass --database-url")]
    NoDatabase,
    /// `status --check` found auditing not as declared (the report above says what).
    #[error("auditing is not as declared (status --check)")]
    NotAsDeclared,
    /// Writing exported SQL files failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    /// The process exit status: 3 for `status --check` finding something, so monitoring can
    /// tell it from the command failing (1).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::NotAsDeclared => 3,
            _ => 1,
        }
    }
}

/// The result of the command's functions.
pub(crate) type CliResult<T> = Result<T, CliError>;
