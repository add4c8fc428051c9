//! Reading rows of either log with its filter: one trait over the two filters, so that the
//! simple page read ([`audit_log`](super::audit_log), [`api_log`](super::api_log)) and the
//! bounded search ([`search`](super::search)) share the statements and their bindings.

use super::{bind_api_filter, bind_audit_filter, record_key_parameter, table_error};
use super::{ApiLogEntry, ApiLogFilter, AuditLogEntry, AuditLogFilter, Cursor, Page};
use crate::error::Result;
use crate::sql::templates::{
    QueryApiLog, QueryAuditLog, SearchSelectedApiLog, SearchSelectedAuditLog,
};
use crate::sql::{Sql, SqlQuery};
use chrono::Utc;
use sqlx::{Acquire, PgConnection, Postgres};

/// A filter of one of the two logs: which table it reads, its cursor, and the read of its
/// rows.
pub(super) trait LogFilter {
    /// The row read.
    type Entry;
    /// The log's table, as the templates name it.
    const TABLE: &'static str;
    /// Its time column.
    const TIME: &'static str;

    /// The filter's cursors, page size and window.
    fn cursor(&self) -> Cursor;

    /// A row's id.
    fn id(entry: &Self::Entry) -> i64;

    /// At most a page (and one row more) of the rows matching the filter's conditions and
    /// window, with ids in `range` (exclusive bounds below and above, `None` for none)
    /// instead of its cursors, in `order_by`; only those with the ids in `selected`, when
    /// given. Run unnamed: planned with the actual values each time, so the unused filters
    /// fold away and the matching index is used (a cached generic plan would scan).
    async fn read(
        &self,
        conn: &mut PgConnection,
        audit_schema: &str,
        range: [Option<i64>; 2],
        order_by: &Sql,
        selected: Option<&[i64]>,
    ) -> Result<Vec<Self::Entry>>;

    /// The ids of at most `limit` rows in the cursors' range that the filter's indexed
    /// conditions select, read through their index in no particular order; `None` when the
    /// filter has no such condition.
    async fn indexed_ids(
        &self,
        conn: &mut PgConnection,
        audit_schema: &str,
        limit: i64,
    ) -> Result<Option<Vec<i64>>>;
}

/// One page with the filter's own cursors, in one pinned read of `conn`.
pub(super) async fn page<'e, F: LogFilter>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &F,
) -> Result<Page<F::Entry>> {
    let cursor = filter.cursor();
    let mut tx = crate::sql::begin_pinned_read(conn).await?;
    let range = [cursor.before_id, cursor.after_id];
    let order_by = cursor.order_by(Utc::now());
    let rows = filter
        .read(&mut tx, audit_schema, range, &order_by, None)
        .await?;
    tx.rollback().await?;
    Ok(cursor.into_page(rows, F::id))
}

impl LogFilter for AuditLogFilter {
    type Entry = AuditLogEntry;
    const TABLE: &'static str = "pg_audit_log";
    const TIME: &'static str = "updated_at";

    fn cursor(&self) -> Cursor {
        Cursor::new(
            [self.before_id, self.after_id],
            self.limit,
            [self.since, self.until],
        )
    }

    fn id(entry: &AuditLogEntry) -> i64 {
        entry.id
    }

    async fn read(
        &self,
        conn: &mut PgConnection,
        audit_schema: &str,
        [below, above]: [Option<i64>; 2],
        order_by: &Sql,
        selected: Option<&[i64]>,
    ) -> Result<Vec<AuditLogEntry>> {
        let rows = QueryAuditLog {
            audit_schema,
            record_key: &record_key_parameter(),
            order_by,
            selected: &only_selected(selected),
        }
        .render()
        .query_as::<AuditLogEntry>()
        .persistent(false);
        let rows = bind_audit_filter(rows, self, self.since, self.until)
            .bind(below)
            .bind(above)
            .bind(self.cursor().fetch_limit());
        let rows = match selected {
            Some(ids) => rows.bind(ids.to_vec()),
            None => rows,
        };
        rows.fetch_all(conn)
            .await
            .map_err(|e| table_error(e, audit_schema))
    }

    async fn indexed_ids(
        &self,
        conn: &mut PgConnection,
        audit_schema: &str,
        limit: i64,
    ) -> Result<Option<Vec<i64>>> {
        let indexed = self.request_id.is_some()
            || self.user.is_some()
            || (self.schema.is_some() && self.table.is_some());
        if !indexed {
            return Ok(None);
        }
        SearchSelectedAuditLog {
            audit_schema,
            record_key: &record_key_parameter(),
        }
        .render()
        .query_scalar()
        .persistent(false)
        .bind(self.schema.clone())
        .bind(self.table.clone())
        .bind(self.record_id.clone())
        .bind(self.request_id)
        .bind(self.user.clone())
        .bind(self.before_id)
        .bind(self.after_id)
        .bind(limit)
        .fetch_all(conn)
        .await
        .map(Some)
        .map_err(|e| table_error(e, audit_schema))
    }
}

impl LogFilter for ApiLogFilter {
    type Entry = ApiLogEntry;
    const TABLE: &'static str = "pg_api_audit_log";
    const TIME: &'static str = "created_at";

    fn cursor(&self) -> Cursor {
        Cursor::new(
            [self.before_id, self.after_id],
            self.limit,
            [self.since, self.until],
        )
    }

    fn id(entry: &ApiLogEntry) -> i64 {
        entry.id
    }

    async fn read(
        &self,
        conn: &mut PgConnection,
        audit_schema: &str,
        [below, above]: [Option<i64>; 2],
        order_by: &Sql,
        selected: Option<&[i64]>,
    ) -> Result<Vec<ApiLogEntry>> {
        let rows = QueryApiLog {
            audit_schema,
            order_by,
            selected: &only_selected(selected),
        }
        .render()
        .query_as::<ApiLogEntry>()
        .persistent(false);
        let rows = bind_api_filter(rows, self, self.since, self.until)
            .bind(below)
            .bind(above)
            .bind(self.cursor().fetch_limit());
        let rows = match selected {
            Some(ids) => rows.bind(ids.to_vec()),
            None => rows,
        };
        rows.fetch_all(conn)
            .await
            .map_err(|e| table_error(e, audit_schema))
    }

    async fn indexed_ids(
        &self,
        conn: &mut PgConnection,
        audit_schema: &str,
        limit: i64,
    ) -> Result<Option<Vec<i64>>> {
        let (status_low, status_high) = self.status_range();
        let indexed = self.path.is_some()
            || self.request_id.is_some()
            || status_low.is_some()
            || status_high.is_some();
        if !indexed {
            return Ok(None);
        }
        SearchSelectedApiLog { audit_schema }
            .render()
            .query_scalar()
            .persistent(false)
            .bind(self.path.clone())
            .bind(self.method.as_deref().map(str::to_ascii_uppercase))
            .bind(status_low)
            .bind(status_high)
            .bind(self.request_id)
            .bind(self.before_id)
            .bind(self.after_id)
            .bind(limit)
            .fetch_all(conn)
            .await
            .map(Some)
            .map_err(|e| table_error(e, audit_schema))
    }
}

/// The condition of the read statements that keeps only the rows an index selected ($13).
fn only_selected(selected: Option<&[i64]>) -> Sql {
    Sql::fixed(match selected {
        Some(_) => "id = ANY($13)",
        None => "TRUE",
    })
}
