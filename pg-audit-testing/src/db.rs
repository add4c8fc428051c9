//! A fresh PostgreSQL database per test, made on the server of `DATABASE_URL` (default in
//! `.cargo/config.toml`) and dropped when the test ends.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

/// The longest name a test database gets: PostgreSQL's 63 bytes, less room for a suffix
/// a test adds to name a role after its database (`<db>_ro`).
const NAME_BYTES: usize = 56;
/// Hex digits of the hash that keeps names unique across tests, processes and calls.
const HASH_DIGITS: usize = 12;
const PREFIX: &str = "pgat_";

/// The server every test talks to: `DATABASE_URL`, or the local default.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is dropped (`WITH (FORCE)`) with this value.
pub struct TestDb {
    /// Its name: `pgat_`, the tail of the test's path, and a hash unique to this call.
    pub name: String,
    /// Connection options pointing at it (superuser, as in `DATABASE_URL`).
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

/// A database name for the test at `path` (`crate::module::function`): readable (the end
/// of the path, which names the test) and unique (a hash of the whole path, the process and
/// a per-process counter, so parallel tests, repeated calls in one test and other test
/// processes on the same server never meet), within [`NAME_BYTES`].
fn database_name(path: &str) -> String {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let mut hasher = DefaultHasher::new();
    (
        path,
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed),
    )
        .hash(&mut hasher);
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        .hash(&mut hasher);
    let hash = format!("{:016x}", hasher.finish());
    let readable: Vec<char> = path
        .replace("::", "_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let room = NAME_BYTES - PREFIX.len() - 1 - HASH_DIGITS;
    let tail: String = readable[readable.len().saturating_sub(room)..]
        .iter()
        .collect();
    format!("{PREFIX}{tail}_{}", &hash[..HASH_DIGITS])
}

impl TestDb {
    /// Creates a fresh, empty database for the test at `path` (its module path and function
    /// name; [`fresh_db!`](crate::fresh_db) passes it). Panics, saying how to start one, when
    /// no server answers.
    pub async fn new(path: &str) -> TestDb {
        TestDb::create(path, None).await
    }

    /// Like [`TestDb::new`], with another server encoding (`SQL_ASCII`, `LATIN1`, …; from
    /// `template0`, collation `C`). [`fresh_db!`](crate::fresh_db)`(encoding = "LATIN1")`
    /// passes it.
    pub async fn with_encoding(path: &str, encoding: &str) -> TestDb {
        TestDb::create(path, Some(encoding)).await
    }

    async fn create(path: &str, encoding: Option<&str>) -> TestDb {
        let name = match encoding {
            Some(encoding) => database_name(&format!("{path}_{}", encoding.to_lowercase())),
            None => database_name(path),
        };
        let with = encoding.map_or(String::new(), |e| {
            format!(" ENCODING '{e}' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
        });
        let mut admin = admin_connection().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\"{with}"
        )))
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

impl TestDb {
    /// Drops the database, then `role`: roles belong to the whole cluster, so a test that
    /// creates one removes it once its database (and with it the role's grants) is gone.
    pub async fn drop_with_role(self, role: &str) {
        self.drop_with_roles(&[role]).await;
    }

    /// Drops the database, then each of `roles` (see [`TestDb::drop_with_role`]).
    pub async fn drop_with_roles(self, roles: &[&str]) {
        drop(self);
        let mut admin = admin_connection().await;
        for role in roles {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP ROLE IF EXISTS \"{}\"",
                role.replace('"', "\"\"")
            )))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot drop role {role}: {e}"));
        }
        admin.close().await.ok();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_postgresql_and_keep_the_test_name() {
        let long = "viewer_pages::every_changes_filter_selects_exactly_its_rows_and_then_some";
        let name = database_name(long);
        assert!(name.len() <= NAME_BYTES && NAME_BYTES + 3 <= 63, "{name}");
        assert!(name.starts_with("pgat_"), "{name}");
        assert!(name.contains("exactly_its_rows_and_then_some"), "{name}");
        let short = database_name("a::b");
        assert!(short.starts_with("pgat_a_b_"), "{short}");
        assert_eq!(short.len(), "pgat_a_b_".len() + HASH_DIGITS, "{short}");
    }

    #[test]
    fn two_calls_for_one_test_get_two_databases() {
        assert_ne!(database_name("t::same"), database_name("t::same"));
    }

    #[test]
    fn the_macro_names_the_calling_function() {
        fn here() {}
        assert_eq!(
            crate::__function_path(here),
            "pg_audit_testing::db::tests::the_macro_names_the_calling_function"
        );
    }

    #[tokio::test]
    async fn the_macro_names_the_calling_async_test_too() {
        fn here() {}
        assert_eq!(
            crate::__function_path(here),
            "pg_audit_testing::db::tests::the_macro_names_the_calling_async_test_too"
        );
    }
}
