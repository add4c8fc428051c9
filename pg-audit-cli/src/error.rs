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

/// The result of the command's functions.
pub(crate) type CliResult<T> = Result<T, CliError>;
