//! A page of either log read within a budget, for readers that must answer in time whatever
//! the filter (the viewer's Changes and Requests pages): the same rows, in the same order, as
//! [`audit_log`](super::audit_log) and [`api_log`](super::api_log) read, but a filter that
//! no index serves and that matches little can only make the read stop early and say where,
//! never walk the log.
//!
//! Three shapes, each bounded by its part of the [`SearchBudget`], never by the log:
//!
//! 1. A filter with an indexed condition (data log: request, user, schema and table,
//!    record; API log: path, status, request) whose index selects fewer than
//!    [`SearchBudget::selected`] rows in the cursors' range: those rows, and only those, are
//!    read and filtered.
//! 2. A window with an end: its lowest and highest id, read from the log's (time, id) index
//!    alone (at most [`SearchBudget::window`] entries), bound the walk, so a window long ago
//!    is walked from its own newest row rather than from the newest row of the log.
//! 3. The walk itself, in id order from the cursor: at most [`SearchBudget::rows`] rows.
//!    When it ends before the page is full and before the log (or the window) does, the
//!    page says where it stopped ([`Search::stopped`]) and its cursor continues from there.

use super::read::LogFilter;
use super::rows::Timestamp;
use super::{check_api_read, check_audit_read, table_error};
use super::{ApiLogEntry, ApiLogFilter, AuditLogEntry, AuditLogFilter, Page};
use crate::error::Result;
use crate::sql::templates::{SearchEdge, SearchWindow};
use crate::sql::{Sql, SqlQuery};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Acquire, PgConnection, Postgres};

/// How much one search may read. The defaults keep a page of the viewer within its 50 ms
/// on the development machine (each part 15 ms at most, measured with
/// `examples/bench_viewer.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchBudget {
    /// Rows walked in id order when no index selects the filter's rows.
    pub rows: i64,
    /// Entries of the time index read to find where a window lies in id order.
    pub window: i64,
    /// Rows that an index selects read through it.
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
    /// The search went towards newer rows (from an `after_id`).
    pub towards_newer: bool,
}

/// A page read within a [`SearchBudget`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search<T> {
    /// The rows found, newest first, with the cursors of the neighbouring pages.
    pub page: Page<T>,
    /// `Some` when the search stopped at its budget before it knew the page complete: the
    /// page holds every match up to the edge, and its cursor towards the rows not searched
    /// ([`Page::older`], or [`Page::newer`] when paging towards newer rows) continues there.
    pub stopped: Option<Searched>,
}

/// Reads one page of the data audit log like [`audit_log`](super::audit_log), reading at
/// most what `budget` allows: the rows an index selects, when it selects fewer than
/// [`SearchBudget::selected`]; else a walk in id order of at most [`SearchBudget::rows`] rows,
/// from the newest row of the window when the time index places it within
/// [`SearchBudget::window`] entries. Takes a pool, a connection or
/// a transaction: its statements run in one savepoint of it with the search_path pinned,
/// rolled back when done, as every read of the query API.
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
pub async fn search_audit_log<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &AuditLogFilter,
    budget: SearchBudget,
) -> Result<Search<AuditLogEntry>> {
    check_audit_read(audit_schema, filter)?;
    search(conn, audit_schema, filter, budget).await
}

/// Reads one page of the API log like [`api_log`](super::api_log), reading at most what
/// `budget` allows, as [`search_audit_log`] reads the data log (the indexed conditions here:
/// path, status, request).
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::query::{search_api_log, ApiLogFilter, SearchBudget};
/// let filter = ApiLogFilter::failed();
/// let search = search_api_log(&pool, "audit", &filter, SearchBudget::default()).await?;
/// println!("{} failed requests on this page", search.page.entries.len());
/// # Ok(()) }
/// ```
pub async fn search_api_log<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &ApiLogFilter,
    budget: SearchBudget,
) -> Result<Search<ApiLogEntry>> {
    check_api_read(audit_schema, filter)?;
    search(conn, audit_schema, filter, budget).await
}

/// The ids an index selected, when they are all of them (fewer than the budget).
fn fewer_than(ids: Vec<i64>, budget: i64) -> Option<Vec<i64>> {
    (i64::try_from(ids.len()).unwrap_or(i64::MAX) < budget.max(1)).then_some(ids)
}

/// The search of either log, in one pinned read of `conn`.
async fn search<'e, F: LogFilter>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &F,
    budget: SearchBudget,
) -> Result<Search<F::Entry>> {
    let mut tx = crate::sql::begin_pinned_read(conn).await?;
    let selected = filter
        .indexed_ids(&mut tx, audit_schema, budget.selected.max(1))
        .await?
        .and_then(|ids| fewer_than(ids, budget.selected));
    let found = search_within(&mut tx, audit_schema, filter, budget, selected).await?;
    tx.rollback().await?;
    Ok(found)
}

/// Ids of selected rows read per statement. The log is partitioned by time, not id, so every
/// partition is planned and probed with each id it is given: all 20,000 a budget allows took
/// 100 ms to plan and as long to run on a 20M-row log of 17 partitions. A page is read from
/// the selected ids nearest its cursor, a chunk at a time, until it is full.
const SELECTED_CHUNK: usize = 500;

/// The page (and one row more) among the rows with the `selected` ids in `range`, reading
/// the ids in page order a chunk at a time and stopping once the page is full: each chunk's
/// rows all come before the next chunk's.
async fn read_selected<F: LogFilter>(
    conn: &mut PgConnection,
    audit_schema: &str,
    filter: &F,
    [below, above]: [Option<i64>; 2],
    (order_by, upwards): (&Sql, bool),
    mut ids: Vec<i64>,
) -> Result<Vec<F::Entry>> {
    ids.retain(|id| below.is_none_or(|b| *id < b) && above.is_none_or(|a| *id > a));
    ids.sort_unstable();
    ids.dedup();
    if !upwards {
        ids.reverse();
    }
    let wanted = usize::try_from(filter.cursor().fetch_limit()).unwrap_or(usize::MAX);
    let mut rows = Vec::new();
    for chunk in ids.chunks(SELECTED_CHUNK) {
        let found = filter
            .read(conn, audit_schema, [below, above], order_by, Some(chunk))
            .await?;
        rows.extend(found);
        if rows.len() >= wanted {
            rows.truncate(wanted);
            break;
        }
    }
    Ok(rows)
}

/// The search on a connection whose search_path is pinned; `selected` holds the ids an index
/// selected, when they are all of them.
async fn search_within<F: LogFilter>(
    conn: &mut PgConnection,
    audit_schema: &str,
    filter: &F,
    budget: SearchBudget,
    selected: Option<Vec<i64>>,
) -> Result<Search<F::Entry>> {
    let cursor = filter.cursor();
    let upwards = cursor.reads_upwards();
    let order_by = || Sql::fixed(if upwards { "id ASC" } else { "id DESC" });
    let (mut below, mut above) = (cursor.before_id, cursor.after_id);
    if let Some(ids) = selected {
        let range = [below, above];
        let rows = read_selected(
            conn,
            audit_schema,
            filter,
            range,
            (&order_by(), upwards),
            ids,
        )
        .await?;
        return Ok(Search {
            page: cursor.into_page(rows, F::id),
            stopped: None,
        });
    }

    if let Some(until) = cursor.until {
        let window = budget.window.max(1);
        let bounds = SearchWindow {
            audit_schema,
            log: F::TABLE,
            time: F::TIME,
        }
        .render()
        .query_as::<WindowBounds>()
        .persistent(false)
        .bind(cursor.since)
        .bind(until)
        .bind(below)
        .bind(above)
        .bind(window)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| table_error(e, audit_schema))?;
        if bounds.rows < window {
            match (bounds.lowest, bounds.highest) {
                (Some(lowest), Some(highest)) => {
                    below = Some(below.map_or(highest, |b| b.min(highest)).saturating_add(1));
                    above = Some(above.map_or(lowest, |a| a.max(lowest)).saturating_sub(1));
                }
                // No row of the window lies in the cursors' range.
                _ => {
                    return Ok(Search {
                        page: cursor.into_page(Vec::new(), F::id),
                        stopped: None,
                    })
                }
            }
        }
    }

    let rows_budget = budget.rows.max(1);
    let edge = SearchEdge {
        audit_schema,
        log: F::TABLE,
        time: F::TIME,
        order_by: &order_by(),
    }
    .render()
    .query_as::<Edge>()
    .persistent(false)
    .bind(below)
    .bind(above)
    .bind(rows_budget)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| table_error(e, audit_schema))?;
    let range = match (&edge, upwards) {
        (Some(edge), false) => [below, Some(edge.id.saturating_sub(1))],
        (Some(edge), true) => [Some(edge.id.saturating_add(1)), above],
        (None, _) => [below, above],
    };
    let rows = filter
        .read(conn, audit_schema, range, &order_by(), None)
        .await?;
    let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= cursor.fetch_limit();
    let mut page = cursor.into_page(rows, F::id);
    let stopped = match edge {
        Some(edge) if !full => {
            if upwards {
                page.newer = Some(edge.id);
            } else {
                page.older = Some(edge.id);
            }
            Some(Searched {
                rows: rows_budget,
                edge_id: edge.id,
                edge_time: edge.at.0,
                towards_newer: upwards,
            })
        }
        _ => None,
    };
    Ok(Search { page, stopped })
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
    at: Timestamp,
}
