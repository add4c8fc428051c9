//! A table as it was at a time, rebuilt from the trail: the baseline's SNAPSHOT rows and
//! every change recorded since.

use super::{refuse_nul, table_error, JsonText};
use crate::error::{Error, Result};
use crate::names::check_identifier;
use crate::sql::templates::{QueryAsOf, QueryAsOfCheck};
use crate::sql::SqlQuery;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Acquire, Postgres};

/// One row of a table as it was at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RowAsOf {
    /// Its record id (the key as text; a composite key as a JSON array).
    pub record_id: String,
    /// The row as the trail holds it (masked columns masked).
    pub row_data: Option<JsonText>,
    /// When the change (or the baseline snapshot) that left it so was written.
    pub changed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Check {
    baseline_finished: Option<DateTime<Utc>>,
    partition_truncated: bool,
}

/// The rows of `schema.table` as they were at `at` (or the one row of `record_id`), in
/// record id order, rebuilt from the trail. Needs the table's baseline (`pg-audit attach
/// --baseline`) to have finished by `at`: before, rows that were never changed are unknown,
/// and that is an error, as is a TRUNCATE of one of its partitions by then. The table must
/// exist (its key is read from the catalog, to follow UPDATEs that changed a key); changes
/// made under an earlier name are not followed.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::query::table_as_of;
/// let at = chrono::Utc::now() - chrono::Duration::hours(1);
/// for row in table_as_of(&pool, "audit", "public", "orders", at, None).await? {
///     println!("{} {:?}", row.record_id, row.row_data);
/// }
/// # Ok(()) }
/// ```
pub async fn table_as_of<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    schema: &str,
    table: &str,
    at: DateTime<Utc>,
    record_id: Option<&str>,
) -> Result<Vec<RowAsOf>> {
    check_identifier(audit_schema, "audit schema")?;
    check_identifier(schema, "schema name")?;
    check_identifier(table, "table name")?;
    refuse_nul(&[("record id", &record_id.map(str::to_string))])?;
    let mut tx = crate::sql::begin_pinned_read(conn).await?;
    let check: Check = QueryAsOfCheck { audit_schema }
        .render()
        .query_as()
        .bind(schema)
        .bind(table)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| table_error(e, audit_schema))?;
    let table_name = format!("{schema}.{table}");
    match check.baseline_finished {
        None => {
            return Err(Error::invalid(
                "as-of time",
                format!("{table_name} has no finished baseline, so rows never changed since it was attached are unknown: run `pg-audit attach --baseline`"),
            ))
        }
        Some(finished) if finished > at => {
            return Err(Error::invalid(
                "as-of time",
                format!("{at} is before the baseline of {table_name} finished ({finished}); ask for a later time"),
            ))
        }
        Some(_) => {}
    }
    if check.partition_truncated {
        return Err(Error::invalid(
            "as-of time",
            format!("a partition of {table_name} was truncated by {at}, and the trail does not say which rows it held"),
        ));
    }
    let shape = crate::schema::catalog::load_tables(&mut tx, &[schema.to_string()], audit_schema)
        .await?
        .into_iter()
        .find(|t| t.name.name == table)
        .ok_or_else(|| {
            Error::invalid(
                "as-of time",
                format!("{table_name} does not exist now, and its key is read from the catalog"),
            )
        })?;
    let rows = QueryAsOf {
        audit_schema,
        old_record_id: &crate::schema::trigger::record_id_over(&shape, "l.old_data"),
        record_key: &crate::sql::templates::ExprRecordKey {
            id: &crate::sql::Sql::fixed("$4::text"),
        }
        .render(),
    }
    .render()
    .query_as::<RowAsOf>()
    .persistent(false)
    .bind(schema)
    .bind(table)
    .bind(at)
    .bind(record_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| table_error(e, audit_schema))?;
    tx.rollback().await?;
    Ok(rows)
}
