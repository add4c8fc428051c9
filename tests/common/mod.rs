//! Shared by the integration tests: a fresh PostgreSQL database per test, made from
//! `DATABASE_URL` (default in `.cargo/config.toml`) and dropped when the test ends.
#![allow(dead_code)] // each test binary uses its own part of this module

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

/// The server every test talks to.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test.
pub struct TestDb {
    /// Its name.
    pub name: String,
    /// Connection options pointing at it (superuser, as in DATABASE_URL).
    pub options: PgConnectOptions,
    /// A pool on it.
    pub pool: PgPool,
}

async fn admin_connection() -> PgConnection {
    let url = database_url();
    match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(error) => panic!(
            "PostgreSQL is not reachable at DATABASE_URL ({}): {error}.\n\
             These tests need a running server: start it with\n  \
             pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or point DATABASE_URL at one.",
            redact(&url)
        ),
    }
}

fn redact(url: &str) -> String {
    match url.split_once('@') {
        Some((head, tail)) => match head.rsplit_once(':') {
            Some((user, _)) if user.contains("//") && !user.ends_with('/') => {
                format!("{user}:***@{tail}")
            }
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl TestDb {
    /// Creates a fresh, empty database named after the test.
    pub async fn new(label: &str) -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let clean: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let mut name = format!("pgat_{clean}");
        name.truncate(40);
        let name = format!("{name}_{unique}");
        let mut admin = admin_connection().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        admin.close().await.ok();
        let options = PgConnectOptions::from_str(&database_url())
            .expect("DATABASE_URL is a valid URL")
            .database(&name);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
            .expect("connect to test db");
        TestDb {
            name,
            options,
            pool,
        }
    }

    /// The URL of this database (for child processes such as the `pg-audit` command).
    pub fn url(&self) -> String {
        let base = database_url();
        let (prefix, _) = base
            .rsplit_once('/')
            .expect("DATABASE_URL has a database part");
        format!("{prefix}/{}", self.name)
    }

    /// A new single connection, optionally as another role.
    pub async fn connect_as(&self, role: Option<&str>) -> PgConnection {
        let mut options = self.options.clone();
        if let Some(role) = role {
            options = options.username(role);
        }
        options.connect().await.expect("connect to test db")
    }

    /// Runs SQL (several statements allowed) and panics with the statement on error.
    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // The test's runtime may be the thread blocked here, so the pool cannot be closed
        // gracefully: a private runtime on its own thread drops the database WITH (FORCE),
        // which ends the pool's sessions server-side.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async move {
                let mut admin = PgConnection::connect(&database_url()).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .ok()
            })
        })
        .join();
    }
}
