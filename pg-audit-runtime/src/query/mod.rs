//! Reading the audit trail: django-pg-audit's queries in Rust, with typed rows and keyset paging.
//!
//! Two functions read a page of each table, [`audit_log`] and [`api_log`], with a filter
//! whose constructors are the questions users ask ("changes of a table", "history of one
//! record", "changes by a user", "by request", "slow requests", "failed requests", "direct DB
//! writes"); [`api_request`] finds the request behind a request id. Pages are cut by id
//! (`WHERE id < cursor ORDER BY id DESC LIMIT n`), never by OFFSET, so the thousandth page
//! costs what the first does.
//!
//! ```no_run
//! # async fn demo(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
//! use pg_audit_runtime::query::{self, AuditLogFilter};
//! let mut filter = AuditLogFilter::record("public", "orders", "123");
//! loop {
//!     let page = query::audit_log(&pool, "audit", &filter).await?;
//!     for entry in &page.entries {
//!         println!("{} {} by {:?}", entry.updated_at, entry.operation, entry.updated_by);
//!     }
//!     match page.older {
//!         Some(cursor) => filter.before_id = Some(cursor),
//!         None => break,
//!     }
//! }
//! # Ok(()) }
//! ```

mod activity;
mod as_of;
mod filter;
pub(crate) mod json;
mod read;
mod rows;
mod search;
mod time;

#[cfg(test)]
pub(crate) use activity::Count;
pub(crate) use activity::{api_activity, audit_activity, Activity, Bucket, MAX_COUNTED};
pub use as_of::{table_as_of, RowAsOf};
pub use filter::{
    ApiLogFilter, AuditLogFilter, Operation, StatusClass, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};
pub use json::JsonText;
pub use rows::{ApiLogEntry, AuditLogEntry};
pub use search::{search_api_log, search_audit_log, Search, SearchBudget, Searched};
pub use time::{TimeBound, TimeBoundError};

use crate::error::{Error, Result};
use crate::names::check_identifier;
use crate::sql::Sql;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Acquire, Postgres};
use uuid::Uuid;

/// One page of rows, newest first, with the cursors of its neighbours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows, newest (largest id) first.
    pub entries: Vec<T>,
    /// When older rows match: the `before_id` that reads the next page.
    pub older: Option<i64>,
    /// When newer rows may match (this page was reached through a cursor): the `after_id`
    /// that reads the previous page.
    pub newer: Option<i64>,
}

/// Which way a page is read, which cursors it was reached by, and the time window asked for.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    before_id: Option<i64>,
    after_id: Option<i64>,
    limit: u32,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl Cursor {
    fn new(
        [before_id, after_id]: [Option<i64>; 2],
        limit: u32,
        [since, until]: [Option<DateTime<Utc>>; 2],
    ) -> Cursor {
        Cursor {
            before_id,
            after_id,
            limit,
            since,
            until,
        }
    }

    /// Paging back towards newer rows reads oldest first from the cursor, then reverses.
    fn reads_upwards(self) -> bool {
        self.after_id.is_some() && self.before_id.is_none()
    }

    /// The ORDER BY clause. Rows come in id order either way; the form only steers the plan.
    ///
    /// Walking the primary key from the newest row finds a window that ended long ago only
    /// after passing every row written since, which the planner cannot foresee (it assumes
    /// the matching rows are spread evenly). When the window is shorter than the time since
    /// its end, and no cursor already starts the walk inside it, `id + 0` hides the id order
    /// from the planner, so it reads the window through the time index and sorts it instead.
    fn order_by(self, now: DateTime<Utc>) -> Sql {
        let window_first = self.before_id.is_none()
            && self.after_id.is_none()
            && match (self.since, self.until) {
                (Some(since), Some(until)) => until > since && until - since < now - until,
                _ => false,
            };
        Sql::fixed(match (window_first, self.reads_upwards()) {
            (false, false) => "id DESC",
            (false, true) => "id ASC",
            (true, false) => "id + 0 DESC",
            (true, true) => "id + 0 ASC",
        })
    }

    /// One row more than the page holds tells whether there is a further page.
    fn fetch_limit(self) -> i64 {
        i64::from(self.limit.clamp(1, MAX_PAGE_SIZE)) + 1
    }

    fn into_page<T>(self, mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> Page<T> {
        let page_size = self.limit.clamp(1, MAX_PAGE_SIZE) as usize;
        let more = rows.len() > page_size;
        rows.truncate(page_size);
        if self.reads_upwards() {
            rows.reverse();
            Page {
                newer: if more { rows.first().map(&id) } else { None },
                older: rows
                    .last()
                    .map(&id)
                    .or(self.after_id.map(|after| after.saturating_add(1))),
                entries: rows,
            }
        } else {
            Page {
                older: if more { rows.last().map(&id) } else { None },
                newer: if self.before_id.is_some() {
                    rows.first()
                        .map(&id)
                        .or(self.before_id.map(|b| b.saturating_sub(1)))
                } else {
                    None
                },
                entries: rows,
            }
        }
    }
}

/// Reads one page of the data audit log (`<audit_schema>.pg_audit_log`), newest first.
///
/// Takes a pool, a connection or a transaction (the read runs in a savepoint of it, with the
/// search_path pinned, and is rolled back: the caller's session is left as it was).
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, request_id: uuid::Uuid) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::query::{audit_log, AuditLogFilter};
/// let changes = audit_log(&pool, "audit", &AuditLogFilter::by_request(request_id)).await?;
/// println!("{} rows changed by {request_id}", changes.entries.len());
/// # Ok(()) }
/// ```
pub async fn audit_log<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &AuditLogFilter,
) -> Result<Page<AuditLogEntry>> {
    check_audit_read(audit_schema, filter)?;
    read::page(conn, audit_schema, filter).await
}

/// Reads one page of the API request log (`<audit_schema>.pg_api_audit_log`), newest first.
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::query::{api_log, ApiLogFilter};
/// for request in api_log(&pool, "audit", &ApiLogFilter::failed()).await?.entries {
///     println!("{:?} {:?} → {:?}", request.http_method, request.api_name, request.response_code);
/// }
/// # Ok(()) }
/// ```
pub async fn api_log<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &ApiLogFilter,
) -> Result<Page<ApiLogEntry>> {
    check_api_read(audit_schema, filter)?;
    read::page(conn, audit_schema, filter).await
}

/// The API request with this request id (the newest, should a client have reused the id),
/// or `None` when it was not logged (GET requests by default, excluded paths).
///
/// ```no_run
/// # async fn demo(pool: sqlx::PgPool, request_id: uuid::Uuid) -> pg_audit_runtime::Result<()> {
/// if let Some(request) = pg_audit_runtime::query::api_request(&pool, "audit", request_id).await? {
///     println!("{:?} answered {:?} in {:?} ms", request.api_name, request.response_code, request.duration_ms);
/// }
/// # Ok(()) }
/// ```
pub async fn api_request<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    request_id: Uuid,
) -> Result<Option<ApiLogEntry>> {
    let filter = ApiLogFilter {
        request_id: Some(request_id),
        limit: 1,
        ..Default::default()
    };
    Ok(api_log(conn, audit_schema, &filter)
        .await?
        .entries
        .into_iter()
        .next())
}

/// The earliest instant a `timestamptz` holds: 4714-11-24 BC (Julian day 0), year -4713 in
/// chrono's astronomical numbering. chrono reaches back further; PostgreSQL would refuse such
/// a bound with "timestamp out of range". (Its latest, 294276 AD, lies beyond chrono's.)
fn earliest_timestamp() -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(-4713, 11, 24)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |at| at.and_utc())
}

/// A time bound PostgreSQL cannot compare with is a mistake in the filter, said as such.
fn check_window(since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Result<()> {
    let earliest = earliest_timestamp();
    for (what, bound) in [("since", since), ("until", until)] {
        if let Some(at) = bound.filter(|at| *at < earliest) {
            return Err(Error::invalid(
                what,
                format!(
                    "{} is before 4714-11-24 BC, the earliest time PostgreSQL can store",
                    at.format("%Y-%m-%d")
                ),
            ));
        }
    }
    Ok(())
}

/// A statement reading `T` rows with sqlx's PostgreSQL arguments.
type RowQuery<T> = sqlx::query::QueryAs<'static, sqlx::Postgres, T, sqlx::postgres::PgArguments>;

/// The record id filter, `$3`, as the log stores a record id: a key too long for the record
/// index is stored as its digest (see the trigger's `expr_record_key`), so a whole key given
/// here still finds its rows.
fn record_key_parameter() -> Sql {
    crate::sql::templates::ExprRecordKey {
        id: &Sql::fixed("$3::text"),
    }
    .render()
}

/// Binds $1–$9 of the statements that read the data audit log with a filter: its
/// conditions, then the window `[since, until)`.
fn bind_audit_filter<T>(
    query: RowQuery<T>,
    filter: &AuditLogFilter,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> RowQuery<T> {
    query
        .bind(filter.schema.clone())
        .bind(filter.table.clone())
        .bind(filter.record_id.clone())
        .bind(filter.request_id)
        .bind(filter.user.clone())
        .bind(filter.operation.map(Operation::as_str))
        .bind(filter.db_user_only)
        .bind(since)
        .bind(until)
}

/// Binds $1–$9 of the statements that read the API log with a filter: its conditions
/// (the status as a half-open range), then the window `[since, until)`.
fn bind_api_filter<T>(
    query: RowQuery<T>,
    filter: &ApiLogFilter,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> RowQuery<T> {
    let (status_low, status_high) = filter.status_range();
    query
        .bind(filter.path.clone())
        .bind(filter.method.as_deref().map(str::to_ascii_uppercase))
        .bind(status_low)
        .bind(status_high)
        .bind(filter.user.clone())
        .bind(filter.min_duration_ms)
        .bind(filter.request_id)
        .bind(since)
        .bind(until)
}

/// What every read of the data audit log checks before it runs.
fn check_audit_read(audit_schema: &str, filter: &AuditLogFilter) -> Result<()> {
    check_identifier(audit_schema, "audit schema")?;
    refuse_nul(&[
        ("schema", &filter.schema),
        ("table", &filter.table),
        ("record id", &filter.record_id),
        ("user", &filter.user),
    ])?;
    check_window(filter.since, filter.until)
}

/// What every read of the API log checks before it runs.
fn check_api_read(audit_schema: &str, filter: &ApiLogFilter) -> Result<()> {
    check_identifier(audit_schema, "audit schema")?;
    refuse_nul(&[
        ("path", &filter.path),
        ("method", &filter.method),
        ("user", &filter.user),
    ])?;
    if let Some(ms) = filter.min_duration_ms.filter(|ms| !ms.is_finite()) {
        return Err(Error::invalid(
            "minimum duration",
            format!("{ms} is not a finite number of milliseconds"),
        ));
    }
    check_window(filter.since, filter.until)
}

/// PostgreSQL text cannot hold NUL, so a filter value with one is a mistake, not a miss.
fn refuse_nul(values: &[(&'static str, &Option<String>)]) -> Result<()> {
    match values
        .iter()
        .find(|(_, value)| value.as_deref().is_some_and(|v| v.contains('\0')))
    {
        Some((what, _)) => Err(Error::invalid(
            what,
            "it contains a NUL character, which no stored value can",
        )),
        None => Ok(()),
    }
}

/// A missing audit table is a setup problem with a known fix; say so.
fn table_error(error: sqlx::Error, audit_schema: &str) -> Error {
    let missing = error
        .as_database_error()
        .is_some_and(|db| matches!(db.code().as_deref(), Some("42P01" | "3F000")));
    if missing {
        Error::invalid(
            "audit schema",
            format!("the audit tables do not exist in schema `{audit_schema}`: run `pg-audit migrate` (or `pg_audit::migrate`) first"),
        )
    } else {
        Error::from(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(before_id: Option<i64>, after_id: Option<i64>, limit: u32) -> Cursor {
        Cursor {
            before_id,
            after_id,
            limit,
            since: None,
            until: None,
        }
    }

    #[test]
    fn a_short_window_long_ago_is_read_window_first_and_anything_else_by_id() {
        let now = Utc::now();
        let hours = |h: i64| Some(now - chrono::Duration::hours(h));
        let window = |since, until, before_id| Cursor {
            before_id,
            after_id: None,
            limit: 50,
            since,
            until,
        };
        assert_eq!(
            window(hours(170), hours(169), None).order_by(now).as_str(),
            "id + 0 DESC"
        );
        assert_eq!(
            window(hours(170), hours(169), Some(9))
                .order_by(now)
                .as_str(),
            "id DESC",
            "a cursor starts inside the window"
        );
        assert_eq!(
            window(hours(3), hours(1), None).order_by(now).as_str(),
            "id DESC",
            "a window reaching to the present"
        );
        assert_eq!(
            window(None, hours(100), None).order_by(now).as_str(),
            "id DESC"
        );
        assert_eq!(
            window(hours(100), None, None).order_by(now).as_str(),
            "id DESC"
        );
        assert_eq!(cursor(None, Some(4), 5).order_by(now).as_str(), "id ASC");
    }

    #[test]
    fn a_first_page_with_one_row_more_links_only_to_older_rows() {
        let page = cursor(None, None, 3).into_page(vec![10, 9, 8, 7], |id| *id);
        assert_eq!(page.entries, [10, 9, 8]);
        assert_eq!((page.older, page.newer), (Some(8), None));
    }

    #[test]
    fn a_last_page_reached_by_cursor_links_only_to_newer_rows() {
        let page = cursor(Some(8), None, 3).into_page(vec![7, 6], |id| *id);
        assert_eq!(page.entries, [7, 6]);
        assert_eq!((page.older, page.newer), (None, Some(7)));
    }

    #[test]
    fn a_page_read_upwards_is_reversed_to_newest_first() {
        let page = cursor(None, Some(5), 2).into_page(vec![6, 7, 8], |id| *id);
        assert_eq!(page.entries, [7, 6]);
        assert_eq!((page.older, page.newer), (Some(6), Some(7)));
        let top = cursor(None, Some(5), 3).into_page(vec![6, 7], |id| *id);
        assert_eq!(
            (top.entries, top.older, top.newer),
            (vec![7, 6], Some(6), None)
        );
    }

    #[test]
    fn cursors_at_the_ends_of_the_id_range_do_not_overflow() {
        let empty = cursor(None, Some(i64::MAX), 5).into_page(Vec::<i64>::new(), |id| *id);
        assert_eq!((empty.older, empty.newer), (Some(i64::MAX), None));
        let empty = cursor(Some(i64::MIN), None, 5).into_page(Vec::<i64>::new(), |id| *id);
        assert_eq!((empty.older, empty.newer), (None, Some(i64::MIN)));
    }

    #[test]
    fn a_time_before_postgresql_can_store_is_refused_with_the_reason() {
        let ancient = chrono::NaiveDate::from_ymd_opt(-5000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
            .and_utc();
        let error = check_window(Some(ancient), None).unwrap_err().to_string();
        assert_eq!(
            error,
            "invalid since: -5000-01-01 is before 4714-11-24 BC, the earliest time PostgreSQL can store"
        );
        assert!(check_window(None, Some(DateTime::<Utc>::MIN_UTC)).is_err());
        assert!(check_window(Some(earliest_timestamp()), Some(DateTime::<Utc>::MAX_UTC)).is_ok());
    }

    #[test]
    fn a_limit_out_of_range_is_brought_into_range() {
        assert_eq!(cursor(None, None, 0).fetch_limit(), 2);
        assert_eq!(
            cursor(None, None, u32::MAX).fetch_limit(),
            i64::from(MAX_PAGE_SIZE) + 1
        );
    }
}
