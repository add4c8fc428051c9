//! Connecting from a URL with errors that name the server but never the password.

use crate::error::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::time::Duration;

/// Opens a small pool on `url` (`postgres://user@host:port/db`). An unreachable server or a
/// bad URL is an [`Error::Unreachable`] (or [`Error::ConnectionRefused`]) naming host, port and database, never the password.
///
/// ```no_run
/// # async fn run() -> pg_audit_runtime::Result<()> {
/// let pool = pg_audit_runtime::connect("postgres://postgres@127.0.0.1:5432/postgres").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<PgPool> {
    connect_with(url, false).await
}

/// Like [`connect`], for a tool that runs only pg-audit's own statements (the `pg-audit`
/// command): every session of the pool has its search_path pinned to `pg_catalog,
/// pg_temp`, so no function or operator in a schema the database's users can write to
/// stands in for the catalog's, whatever the role's default search_path says.
///
/// ```no_run
/// # async fn run() -> pg_audit_runtime::Result<()> {
/// let pool = pg_audit_runtime::connect_pinned("postgres://postgres@127.0.0.1:5432/postgres").await?;
/// # Ok(()) }
/// ```
pub async fn connect_pinned(url: &str) -> Result<PgPool> {
    connect_with(url, true).await
}

async fn connect_with(url: &str, pinned: bool) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url).map_err(|e| Error::Unreachable {
        target: "the given database URL".into(),
        reason: format!(
            "it is not a valid PostgreSQL URL ({})",
            redact(&e.to_string(), url)
        ),
    })?;
    let options = if pinned {
        options.options([("search_path", "pg_catalog, pg_temp")])
    } else {
        options
    };
    let target = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or(options.get_username())
    );
    let unreachable = |e: sqlx::Error| match e {
        sqlx::Error::Database(db) => Error::ConnectionRefused {
            target: target.clone(),
            reason: redact(db.message(), url),
        },
        other => Error::Unreachable {
            target: target.clone(),
            reason: redact(&other.to_string(), url),
        },
    };
    // One direct connection first: a pool would only report that it timed out, while this
    // says why (refused, unknown host, authentication failed, no such database).
    let probe = tokio::time::timeout(
        Duration::from_secs(10),
        PgConnection::connect_with(&options),
    )
    .await
    .map_err(|_| Error::Unreachable {
        target: target.clone(),
        reason: "no answer within 10 seconds".into(),
    })?
    .map_err(unreachable)?;
    probe.close().await.ok();
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(unreachable)
}

/// Removes the URL's password from a message that might quote it.
fn redact(message: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(creds, _)| creds.split_once(':'))
        .map(|(_, p)| p);
    match password {
        Some(p) if !p.is_empty() => message.replace(p, "***"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_appears_in_a_message() {
        assert_eq!(
            redact(
                "failed for postgres://u:s3cret@h/db",
                "postgres://u:s3cret@h/db"
            ),
            "failed for postgres://u:***@h/db"
        );
    }
}
