//! The one error type of the runtime crate.

/// Everything that can go wrong in pg-audit, with a message that tells the user what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PostgreSQL could not be reached at all.
    #[error("cannot connect to PostgreSQL at {target}: {reason}. Is the server running? Start it (on Debian: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or set DATABASE_URL")]
    Unreachable {
        /// Host, port and database, never the password.
        target: String,
        /// What the driver said.
        reason: String,
    },
    /// The server answered but refused the connection (unknown database or role, bad
    /// password, too many connections).
    #[error("PostgreSQL at {target} refused the connection: {reason}")]
    ConnectionRefused {
        /// Host, port and database, never the password.
        target: String,
        /// What the server said.
        reason: String,
    },
    /// The connected role lacks a privilege pg-audit needs.
    #[error("permission denied: {0}")]
    Privilege(String),
    /// A table named in the configuration or on the command line does not exist.
    #[error("unknown table {0}: no such table in the audited schemas")]
    UnknownTable(String),
    /// A name, context value or setting that cannot be used.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was invalid (`"table name"`, `"request id"`, …).
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The audit schema has not been migrated: its audit tables do not exist.
    #[error(
        "invalid audit schema: {schema}.pg_audit_log does not exist: run `pg-audit migrate` first"
    )]
    NotMigrated {
        /// The audit schema that was looked in.
        schema: String,
    },
    /// A lock could not be taken within the configured lock timeout.
    #[error("timed out waiting for a lock on {0}: a long-running transaction holds it; retry when it ends or raise the lock timeout")]
    LockTimeout(String),
    /// The database holds migrations newer than this version of pg-audit knows.
    #[error("the audit schema is at migration {found}, newer than this pg-audit knows ({known}); upgrade pg-audit")]
    UnknownMigration {
        /// Highest version applied in the database.
        found: i32,
        /// Highest version this build knows.
        known: i32,
    },
    /// Any other database error.
    #[error("database error: {}", describe(.0))]
    Database(#[source] sqlx::Error),
}

/// The server's own message when there is one (without the driver's source-line noise),
/// with its hint, which often says what to do.
fn describe(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(db) => with_hint(db),
        None => error.to_string(),
    }
}

fn with_hint(db: &dyn sqlx::error::DatabaseError) -> String {
    let hint = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.hint());
    match hint {
        Some(hint) => format!("{} ({hint})", db.message()),
        None => db.message().to_string(),
    }
}

impl Error {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        if let Some(db) = error.as_database_error() {
            match db.code().as_deref() {
                Some("42501") => return Error::Privilege(with_hint(db)),
                Some("55P03") => return Error::LockTimeout(db.message().to_string()),
                _ => {}
            }
        }
        Error::Database(error)
    }
}

/// The result type of pg-audit's fallible functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;
