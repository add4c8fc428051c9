//! What to look for in the audit tables: one filter per table, every condition optional,
//! with a keyset cursor for paging.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Rows per page when a filter does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The most rows one call returns; larger limits are lowered to this.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The kind of change an audit row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    /// A row was inserted.
    Insert,
    /// A row was updated.
    Update,
    /// A row was deleted.
    Delete,
    /// The table was truncated.
    Truncate,
    /// A change of an audited table's or the audit schema's definition (the DDL trail), or
    /// a run of pg-audit's own (attach, migrate, maintain).
    Ddl,
    /// A row as it existed when its table was first attached (a baseline).
    Snapshot,
}

impl Operation {
    /// Every operation, in the order a user reads them.
    pub const ALL: [Operation; 6] = [
        Operation::Insert,
        Operation::Update,
        Operation::Delete,
        Operation::Truncate,
        Operation::Ddl,
        Operation::Snapshot,
    ];

    /// The name stored in the `operation` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Insert => "INSERT",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Truncate => "TRUNCATE",
            Operation::Ddl => "DDL",
            Operation::Snapshot => "SNAPSHOT",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operation {
    type Err = crate::error::Error;

    /// Parses an operation name, in any case.
    ///
    /// ```
    /// use pg_audit_runtime::query::Operation;
    /// assert_eq!("delete".parse::<Operation>().unwrap(), Operation::Delete);
    /// assert_eq!("ddl".parse::<Operation>().unwrap(), Operation::Ddl);
    /// assert!("MERGE".parse::<Operation>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                crate::error::Error::invalid(
                    "operation",
                    "expected one of INSERT, UPDATE, DELETE, TRUNCATE, DDL, SNAPSHOT",
                )
            })
    }
}

/// A class of HTTP status codes: `2xx`, `4xx`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusClass {
    /// 100–199.
    #[serde(rename = "1xx")]
    Informational,
    /// 200–299.
    #[serde(rename = "2xx")]
    Success,
    /// 300–399.
    #[serde(rename = "3xx")]
    Redirection,
    /// 400–499.
    #[serde(rename = "4xx")]
    ClientError,
    /// 500–599.
    #[serde(rename = "5xx")]
    ServerError,
}

impl StatusClass {
    /// Every class, in order.
    pub const ALL: [StatusClass; 5] = [
        StatusClass::Informational,
        StatusClass::Success,
        StatusClass::Redirection,
        StatusClass::ClientError,
        StatusClass::ServerError,
    ];

    /// How it is written: `"2xx"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusClass::Informational => "1xx",
            StatusClass::Success => "2xx",
            StatusClass::Redirection => "3xx",
            StatusClass::ClientError => "4xx",
            StatusClass::ServerError => "5xx",
        }
    }

    /// The status codes of the class, as the half-open range `[start, end)`.
    pub fn range(self) -> (i32, i32) {
        let start = match self {
            StatusClass::Informational => 100,
            StatusClass::Success => 200,
            StatusClass::Redirection => 300,
            StatusClass::ClientError => 400,
            StatusClass::ServerError => 500,
        };
        (start, start + 100)
    }
}

impl fmt::Display for StatusClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StatusClass {
    type Err = crate::error::Error;

    /// Parses `2xx` (or `2XX`, or just `2`).
    ///
    /// ```
    /// use pg_audit_runtime::query::StatusClass;
    /// assert_eq!("5xx".parse::<StatusClass>().unwrap(), StatusClass::ServerError);
    /// assert!("6xx".parse::<StatusClass>().is_err());
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        StatusClass::ALL
            .into_iter()
            .find(|class| class.as_str().eq_ignore_ascii_case(text) || class.as_str()[..1] == *text)
            .ok_or_else(|| {
                crate::error::Error::invalid(
                    "status class",
                    "expected one of 1xx, 2xx, 3xx, 4xx, 5xx",
                )
            })
    }
}

/// Which data audit rows to read. Every condition is optional and they combine with AND;
/// rows come newest first, at most [`limit`](Self::limit) of them.
///
/// The constructors are django-pg-audit's queries:
///
/// ```
/// use pg_audit_runtime::query::{AuditLogFilter, Operation};
/// let orders = AuditLogFilter::table("public", "orders");                   // changes of a table
/// let who_deleted = AuditLogFilter::record("public", "orders", "123")       // history of a record
///     .operation(Operation::Delete);
/// let by_alice = AuditLogFilter::by_user("alice");                          // changes by a user
/// let direct = AuditLogFilter::db_writes();                                  // writes outside the app
/// assert!(direct.db_user_only && who_deleted.record_id.is_some());
/// # let _ = (orders, by_alice);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditLogFilter {
    /// Only rows of tables in this schema.
    pub schema: Option<String>,
    /// Only rows of tables with this name.
    pub table: Option<String>,
    /// Only rows of the record with this key (as stored in `record_id`).
    pub record_id: Option<String>,
    /// Only rows written by this request.
    pub request_id: Option<Uuid>,
    /// Only rows written on behalf of this application user (`updated_by`).
    pub user: Option<String>,
    /// Only rows of this operation.
    pub operation: Option<Operation>,
    /// Only writes made without application context (psql, migrations, cron jobs).
    pub db_user_only: bool,
    /// Only rows written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only rows written before this time.
    pub until: Option<DateTime<Utc>>,
    /// Keyset cursor: only rows older than this id (a [`Page::older`](super::Page::older)).
    pub before_id: Option<i64>,
    /// Keyset cursor: only rows newer than this id (a [`Page::newer`](super::Page::newer)).
    pub after_id: Option<i64>,
    /// Rows per page, 1 to [`MAX_PAGE_SIZE`].
    pub limit: u32,
}

impl Default for AuditLogFilter {
    fn default() -> Self {
        AuditLogFilter {
            schema: None,
            table: None,
            record_id: None,
            request_id: None,
            user: None,
            operation: None,
            db_user_only: false,
            since: None,
            until: None,
            before_id: None,
            after_id: None,
            limit: DEFAULT_PAGE_SIZE,
        }
    }
}

impl AuditLogFilter {
    /// Every change of one table.
    pub fn table(schema: impl Into<String>, table: impl Into<String>) -> Self {
        AuditLogFilter {
            schema: Some(schema.into()),
            table: Some(table.into()),
            ..Default::default()
        }
    }

    /// The history of one record: every change of the row with this key.
    pub fn record(
        schema: impl Into<String>,
        table: impl Into<String>,
        record_id: impl Into<String>,
    ) -> Self {
        AuditLogFilter {
            record_id: Some(record_id.into()),
            ..AuditLogFilter::table(schema, table)
        }
    }

    /// Every change made on behalf of one application user.
    pub fn by_user(user: impl Into<String>) -> Self {
        AuditLogFilter {
            user: Some(user.into()),
            ..Default::default()
        }
    }

    /// Every change made by one request.
    pub fn by_request(request_id: Uuid) -> Self {
        AuditLogFilter {
            request_id: Some(request_id),
            ..Default::default()
        }
    }

    /// Every write made outside the application (no request context).
    pub fn db_writes() -> Self {
        AuditLogFilter {
            db_user_only: true,
            ..Default::default()
        }
    }

    /// Only rows of this operation.
    pub fn operation(mut self, operation: Operation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// Only rows written at or after `since` and before `until`.
    pub fn between(mut self, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Self {
        self.since = since;
        self.until = until;
        self
    }

    /// Only rows older than this id (the next page after one whose [`older`](super::Page::older) it is).
    pub fn before(mut self, id: i64) -> Self {
        self.before_id = Some(id);
        self
    }

    /// Only rows newer than this id (the page before one whose [`newer`](super::Page::newer) it is).
    pub fn after(mut self, id: i64) -> Self {
        self.after_id = Some(id);
        self
    }

    /// At most this many rows (1 to [`MAX_PAGE_SIZE`]).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
}

/// Which API requests to read. Every condition is optional and they combine with AND; rows
/// come newest first, at most [`limit`](Self::limit) of them.
///
/// ```
/// use pg_audit_runtime::query::{ApiLogFilter, StatusClass};
/// let slow = ApiLogFilter::slower_than(500.0);        // slow requests
/// let failed = ApiLogFilter::failed();                // status ≥ 400
/// let server_errors = ApiLogFilter { status_class: Some(StatusClass::ServerError), ..Default::default() };
/// assert_eq!(failed.min_status, Some(400));
/// # let _ = (slow, server_errors);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiLogFilter {
    /// Only requests with this API name (route path), exactly.
    pub path: Option<String>,
    /// Only requests with this HTTP method (compared in upper case).
    pub method: Option<String>,
    /// Only responses of this status class.
    pub status_class: Option<StatusClass>,
    /// Only responses with at least this status.
    pub min_status: Option<u16>,
    /// Only requests of this application user.
    pub user: Option<String>,
    /// Only requests that took at least this many milliseconds.
    pub min_duration_ms: Option<f64>,
    /// Only requests with this request id.
    pub request_id: Option<Uuid>,
    /// Only requests that arrived at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only requests that arrived before this time.
    pub until: Option<DateTime<Utc>>,
    /// Keyset cursor: only rows older than this id.
    pub before_id: Option<i64>,
    /// Keyset cursor: only rows newer than this id.
    pub after_id: Option<i64>,
    /// Rows per page, 1 to [`MAX_PAGE_SIZE`].
    pub limit: u32,
}

impl Default for ApiLogFilter {
    fn default() -> Self {
        ApiLogFilter {
            path: None,
            method: None,
            status_class: None,
            min_status: None,
            user: None,
            min_duration_ms: None,
            request_id: None,
            since: None,
            until: None,
            before_id: None,
            after_id: None,
            limit: DEFAULT_PAGE_SIZE,
        }
    }
}

impl ApiLogFilter {
    /// Requests that took at least `ms` milliseconds.
    pub fn slower_than(ms: f64) -> Self {
        ApiLogFilter {
            min_duration_ms: Some(ms),
            ..Default::default()
        }
    }

    /// Requests answered with a status of 400 or more.
    pub fn failed() -> Self {
        ApiLogFilter {
            min_status: Some(400),
            ..Default::default()
        }
    }

    /// Requests of one application user.
    pub fn by_user(user: impl Into<String>) -> Self {
        ApiLogFilter {
            user: Some(user.into()),
            ..Default::default()
        }
    }

    /// Only requests older than this id.
    pub fn before(mut self, id: i64) -> Self {
        self.before_id = Some(id);
        self
    }

    /// Only requests newer than this id.
    pub fn after(mut self, id: i64) -> Self {
        self.after_id = Some(id);
        self
    }

    /// At most this many rows (1 to [`MAX_PAGE_SIZE`]).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// The status condition as the half-open range `[low, high)`, either end open.
    pub(crate) fn status_range(&self) -> (Option<i32>, Option<i32>) {
        let (class_low, class_high) = match self.status_class {
            Some(class) => {
                let (low, high) = class.range();
                (Some(low), Some(high))
            }
            None => (None, None),
        };
        let low = match (class_low, self.min_status.map(i32::from)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        (low, class_high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_class_and_a_minimum_status_narrow_to_their_intersection() {
        let filter = ApiLogFilter {
            status_class: Some(StatusClass::ClientError),
            min_status: Some(404),
            ..Default::default()
        };
        assert_eq!(filter.status_range(), (Some(404), Some(500)));
        assert_eq!(ApiLogFilter::failed().status_range(), (Some(400), None));
        assert_eq!(ApiLogFilter::default().status_range(), (None, None));
    }

    #[test]
    fn operations_and_status_classes_round_trip_through_their_names() {
        for op in Operation::ALL {
            assert_eq!(op.as_str().parse::<Operation>().unwrap(), op);
        }
        for class in StatusClass::ALL {
            assert_eq!(class.as_str().parse::<StatusClass>().unwrap(), class);
        }
        assert_eq!(
            "4".parse::<StatusClass>().unwrap(),
            StatusClass::ClientError
        );
        assert!("".parse::<StatusClass>().is_err());
        assert!("4xxx".parse::<StatusClass>().is_err());
    }
}
