//! Running SQL: every statement comes from a template of the `pg-audit-sql` crate, rendered
//! through its typed struct with each value quoted by its placeholder's kind, so no code here
//! concatenates a name into SQL. This module is the one place where rendered text becomes a
//! query ([`SqlQuery`]).

pub(crate) use pg_audit_sql::{templates, Sql};

use sqlx::postgres::{PgArguments, PgExecutor, PgRow};
use sqlx::{Acquire, AssertSqlSafe, PgPool, Postgres, Transaction};

/// Begins a transaction on `pool` whose search_path is pinned to `pg_catalog, pg_temp`: every
/// schema-lifecycle entry point runs in one, so the catalog queries and the generated DDL
/// resolve nothing from the caller's schemas.
pub(crate) async fn begin_pinned(
    pool: &PgPool,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    templates::PinSearchPath.render().execute(&mut *tx).await?;
    Ok(tx)
}

/// Begins a read of pg-audit's on `conn` — a pool, a connection, or the caller's own
/// transaction, inside which it is a savepoint — with the search_path pinned as in
/// [`begin_pinned`]. Pinning needs a transaction-local setting, and a read changes nothing,
/// so the caller rolls it back when done: the caller's session keeps its own search_path.
pub(crate) async fn begin_pinned_read<'a>(
    conn: impl Acquire<'a, Database = Postgres>,
) -> Result<Transaction<'a, Postgres>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    templates::PinSearchPath.render().execute(&mut *tx).await?;
    Ok(tx)
}

/// Turns rendered SQL into sqlx queries.
pub(crate) trait SqlQuery {
    /// A prepared query over this text, to bind parameters to (`$1`, `$2`, …).
    fn query(self) -> sqlx::query::Query<'static, Postgres, PgArguments>;

    /// A prepared query whose rows map to `T`.
    fn query_as<T>(self) -> sqlx::query::QueryAs<'static, Postgres, T, PgArguments>
    where
        T: for<'r> sqlx::FromRow<'r, PgRow>;

    /// A prepared query returning one scalar `T`.
    fn query_scalar<T>(self) -> sqlx::query::QueryScalar<'static, Postgres, T, PgArguments>
    where
        (T,): for<'r> sqlx::FromRow<'r, PgRow>;

    /// Runs the text, which may hold several statements, with the simple query protocol.
    fn execute<'e, E>(
        self,
        executor: E,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e
    where
        E: PgExecutor<'e> + 'e;
}

impl SqlQuery for Sql {
    fn query(self) -> sqlx::query::Query<'static, Postgres, PgArguments> {
        sqlx::query(AssertSqlSafe(self.into_string()))
    }

    fn query_as<T>(self) -> sqlx::query::QueryAs<'static, Postgres, T, PgArguments>
    where
        T: for<'r> sqlx::FromRow<'r, PgRow>,
    {
        sqlx::query_as(AssertSqlSafe(self.into_string()))
    }

    fn query_scalar<T>(self) -> sqlx::query::QueryScalar<'static, Postgres, T, PgArguments>
    where
        (T,): for<'r> sqlx::FromRow<'r, PgRow>,
    {
        sqlx::query_scalar(AssertSqlSafe(self.into_string()))
    }

    fn execute<'e, E>(
        self,
        executor: E,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e
    where
        E: PgExecutor<'e> + 'e,
    {
        let text = self.into_string();
        async move {
            sqlx::raw_sql(AssertSqlSafe(text))
                .execute(executor)
                .await
                .map(|_| ())
        }
    }
}
