//! A page of the data audit log read within a budget, for readers that must answer in time
//! whatever the filter (the viewer's Changes page): the same rows, in the same order, as
//! [`audit_log`](super::audit_log) reads, but a filter that no index serves and that
//! matches little can only make the read stop early and say where, never walk the log.
//!
//! Three shapes, each bounded by its part of the [`SearchBudget`], never by the log:
//!
//! 1. A filter with an indexed condition (request, user, schema and table, record) whose
//!    index selects fewer than [`SearchBudget::selected`] rows in the cursors' range: those
//!    rows, and only those, are read and filtered.
//! 2. A window with an end: its lowest and highest id, read from the time index (at most
//!    [`SearchBudget::window`] entries), bound the walk below, so a window long ago is
//!    walked from its own newest row rather than from the newest row of the log.
//! 3. The walk itself, in id order from the cursor: at most [`SearchBudget::rows`] rows.
//!    When it ends before the page is full and before the log (or the window) does, the
//!    page says where it stopped ([`Search::stopped`]) and its cursor continues from there.

use super::rows::Timestamp;
use super::{check_audit_read, read_audit_rows, table_error, AuditLogEntry, AuditLogFilter};
use super::{Cursor, Page};
use crate::error::Result;
use crate::sql::templates::{SearchEdgeAuditLog, SearchSelectedAuditLog, SearchWindowAuditLog};
use crate::sql::{Sql, SqlQuery};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// How much one [`search_audit_log`] may read. The defaults keep a page of the viewer
/// within its 50 ms on the development machine (about 15 ms for each part at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchBudget {
    /// Rows walked in id order when no index selects the filter's rows.
    pub rows: i64,
    /// Entries of the time index read to find where a window lies in id order.
    pub window: i64,
    /// Rows that an index selects (request, user, table, record) read through it.
    pub selected: i64,
}

impl Default for SearchBudget {
    fn default() -> SearchBudget {
        SearchBudget {
            rows: 20_000,
            window: 100_000,
            selected: 20_000,
        }
    }
}

/// Where a search stopped before the end of the log: every row between the page's start
/// and [`edge_id`](Self::edge_id) (included) was searched, none beyond it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Searched {
    /// Rows searched.
    pub rows: i64,
    /// The last id searched.
    pub edge_id: i64,
    /// When the row at the edge was written.
    pub edge_time: DateTime<Utc>,
}

/// A page read within a [`SearchBudget`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The rows found, newest first, with the cursors of the neighbouring pages.
    pub page: Page<AuditLogEntry>,
    /// `Some` when the search stopped at its budget before filling the page: the page holds
    /// every match up to the edge, and its cursor towards the rows not searched
    /// ([`Page::older`], or [`Page::newer`] when paging towards newer rows) continues there.
    pub stopped: Option<Searched>,
}

/// Reads one page of the data audit log like [`audit_log`](super::audit_log), reading at
/// most what `budget` allows (see the [module](self) for how).
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::query::{search_audit_log, AuditLogFilter, Operation, SearchBudget};
/// let mut filter = AuditLogFilter::table("public", "orders").operation(Operation::Delete);
/// let search = search_audit_log(&pool, "audit", &filter, SearchBudget::default()).await?;
/// if let Some(stopped) = &search.stopped {
///     println!("searched {} rows back to {}", stopped.rows, stopped.edge_time);
///     filter.before_id = search.page.older; // search on from there
/// }
/// # Ok(()) }
/// ```
pub async fn search_audit_log(
    pool: &PgPool,
    audit_schema: &str,
    filter: &AuditLogFilter,
    budget: SearchBudget,
) -> Result<Search> {
    check_audit_read(audit_schema, filter)?;
    let cursor = Cursor::new(
        [filter.before_id, filter.after_id],
        filter.limit,
        [filter.since, filter.until],
    );
    let order_by = Sql::fixed(if cursor.reads_upwards() {
        "id ASC"
    } else {
        "id DESC"
    });
    let (mut below, mut above) = (filter.before_id, filter.after_id);

    if let Some(selected) = selected_ids(pool, audit_schema, filter, budget.selected).await? {
        let rows = read_audit_rows(
            pool,
            audit_schema,
            filter,
            [below, above],
            &order_by,
            Some(&selected),
            cursor.fetch_limit(),
        )
        .await?;
        return Ok(Search {
            page: cursor.into_page(rows, |row| row.id),
            stopped: None,
        });
    }

    if let Some(until) = filter.until {
        let bounds = SearchWindowAuditLog { audit_schema }
            .render()
            .query_as::<WindowBounds>()
            .persistent(false)
            .bind(filter.since)
            .bind(until)
            .bind(below)
            .bind(above)
            .bind(budget.window.max(1))
            .fetch_one(pool)
            .await
            .map_err(|e| table_error(e, audit_schema))?;
        if bounds.rows < budget.window.max(1) {
            match (bounds.lowest, bounds.highest) {
                (Some(lowest), Some(highest)) => {
                    below = Some(below.map_or(highest, |b| b.min(highest)).saturating_add(1));
                    above = Some(above.map_or(lowest, |a| a.max(lowest)).saturating_sub(1));
                }
                // Nothing of the window lies in the cursors' range.
                _ => {
                    return Ok(Search {
                        page: cursor.into_page(Vec::new(), |row: &AuditLogEntry| row.id),
                        stopped: None,
                    })
                }
            }
        }
    }

    let edge = SearchEdgeAuditLog {
        audit_schema,
        order_by: &order_by,
    }
    .render()
    .query_as::<Edge>()
    .persistent(false)
    .bind(below)
    .bind(above)
    .bind(budget.rows.max(1))
    .fetch_optional(pool)
    .await
    .map_err(|e| table_error(e, audit_schema))?;
    let range = match (&edge, cursor.reads_upwards()) {
        (Some(edge), false) => [below, Some(edge.id.saturating_sub(1))],
        (Some(edge), true) => [Some(edge.id.saturating_add(1)), above],
        (None, _) => [below, above],
    };
    let rows = read_audit_rows(
        pool,
        audit_schema,
        filter,
        range,
        &order_by,
        None,
        cursor.fetch_limit(),
    )
    .await?;
    let full = rows.len() as i64 >= cursor.fetch_limit();
    let mut page = cursor.into_page(rows, |row| row.id);
    let stopped = match edge {
        Some(edge) if !full => {
            if cursor.reads_upwards() {
                page.newer = Some(edge.id);
            } else {
                page.older = Some(edge.id);
            }
            Some(Searched {
                rows: budget.rows.max(1),
                edge_id: edge.id,
                edge_time: edge.updated_at.0,
            })
        }
        _ => None,
    };
    Ok(Search { page, stopped })
}

/// The ids the filter's indexed conditions select in the cursors' range, when it has such
/// a condition and they are fewer than `budget`.
async fn selected_ids(
    pool: &PgPool,
    audit_schema: &str,
    filter: &AuditLogFilter,
    budget: i64,
) -> Result<Option<Vec<i64>>> {
    let indexed = filter.request_id.is_some()
        || filter.user.is_some()
        || (filter.schema.is_some() && filter.table.is_some());
    if !indexed {
        return Ok(None);
    }
    let budget = budget.max(1);
    let ids: Vec<i64> = SearchSelectedAuditLog { audit_schema }
        .render()
        .query_scalar()
        .persistent(false)
        .bind(filter.schema.clone())
        .bind(filter.table.clone())
        .bind(filter.record_id.clone())
        .bind(filter.request_id)
        .bind(filter.user.clone())
        .bind(filter.before_id)
        .bind(filter.after_id)
        .bind(budget)
        .fetch_all(pool)
        .await
        .map_err(|e| table_error(e, audit_schema))?;
    Ok((i64::try_from(ids.len()).unwrap_or(i64::MAX) < budget).then_some(ids))
}

#[derive(sqlx::FromRow)]
struct WindowBounds {
    lowest: Option<i64>,
    highest: Option<i64>,
    rows: i64,
}

#[derive(sqlx::FromRow)]
struct Edge {
    id: i64,
    updated_at: Timestamp,
}
