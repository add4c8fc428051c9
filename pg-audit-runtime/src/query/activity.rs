//! Activity over a time window, counted in SQL for the viewer's charts: how many matching
//! rows of either log fall in each hour or day, split by operation or status class.
//!
//! The count reads at most [`MAX_COUNTED`] rows of the window, newest first, so a chart
//! costs the same on a log of any size; [`Activity::oldest`] and [`Activity::complete`] say
//! how far back it reached.

use super::{
    bind_api_filter, bind_audit_filter, check_api_read, check_audit_read, table_error,
    ApiLogFilter, AuditLogFilter, Cursor,
};
use crate::error::Result;
use crate::sql::templates::{ActivityApiLog, ActivityAuditLog};
use crate::sql::{Sql, SqlQuery};
use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::{Acquire, Postgres};

/// The most rows one chart reads (newest first). About 15 ms of reading on the
/// development machine; a window holding more is counted back as far as these reach.
pub(crate) const MAX_COUNTED: i64 = 20_000;

/// How wide one bar of a chart is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    /// Hours for a window of up to two days, days beyond.
    pub(crate) fn for_window(since: DateTime<Utc>, until: DateTime<Utc>) -> Bucket {
        if until - since <= Duration::hours(48) {
            Bucket::Hour
        } else {
            Bucket::Day
        }
    }

    pub(crate) fn seconds(self) -> i64 {
        match self {
            Bucket::Hour => 3_600,
            Bucket::Day => 86_400,
        }
    }

    pub(crate) fn width(self) -> Duration {
        Duration::seconds(self.seconds())
    }

    /// The start of the bucket holding `at` (whole UTC hours and days, as the SQL bins).
    pub(crate) fn start_of(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let seconds = at.timestamp().div_euclid(self.seconds()) * self.seconds();
        Utc.timestamp_opt(seconds, 0).single().unwrap_or(at)
    }

    /// "hour" or "day".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }
}

/// One count: rows of one series (an operation, a status class) in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Count {
    pub(crate) bucket: DateTime<Utc>,
    pub(crate) series: String,
    pub(crate) rows: i64,
}

/// What a chart shows: the counts, and how far back they reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Activity {
    pub(crate) since: DateTime<Utc>,
    pub(crate) until: DateTime<Utc>,
    pub(crate) bucket: Bucket,
    pub(crate) counts: Vec<Count>,
    /// Rows counted: read and matching the filters.
    pub(crate) counted: i64,
    /// Rows read.
    pub(crate) examined: i64,
    /// The time of the oldest row read.
    pub(crate) oldest: Option<DateTime<Utc>>,
}

impl Activity {
    /// Every row of the window that the filters could match was read (fewer than
    /// [`MAX_COUNTED`]).
    pub(crate) fn complete(&self) -> bool {
        self.examined < MAX_COUNTED
    }

    fn from_rows(
        rows: Vec<ActivityRow>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        bucket: Bucket,
    ) -> Activity {
        let mut activity = Activity {
            since,
            until,
            bucket,
            counts: Vec::new(),
            counted: 0,
            examined: 0,
            oldest: None,
        };
        for row in rows {
            match (row.bucket, row.series) {
                (Some(start), Some(series)) if row.n > 0 => activity.counts.push(Count {
                    bucket: start,
                    series,
                    rows: row.n,
                }),
                (Some(_), Some(_)) => {}
                // The grouping set () row: everything read.
                _ => {
                    activity.counted = row.n;
                    activity.examined = row.examined;
                    activity.oldest = row.oldest;
                }
            }
        }
        activity
            .counts
            .sort_by(|a, b| (a.bucket, &a.series).cmp(&(b.bucket, &b.series)));
        activity
    }
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    bucket: Option<DateTime<Utc>>,
    series: Option<String>,
    n: i64,
    examined: i64,
    oldest: Option<DateTime<Utc>>,
}

/// The window's changes per bucket and operation, under the filter's other conditions (its
/// cursors and limit are not used). A filter by request, record (with its table) or user
/// has an index that selects the rows to read; other filters pick among the newest rows of
/// the window.
pub(crate) async fn audit_activity<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &AuditLogFilter,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Activity> {
    check_audit_read(audit_schema, filter)?;
    let bucket = Bucket::for_window(since, until);
    let indexed = filter.request_id.is_some()
        || filter.user.is_some()
        || (filter.record_id.is_some() && filter.schema.is_some() && filter.table.is_some());
    // The rows an index selects come in id order, steered as the list pages are; the newest
    // rows of a window come from the time index, which stops after the budget wherever
    // the window lies.
    let order_by = if indexed {
        Cursor::new([None, None], 1, [Some(since), Some(until)]).order_by(Utc::now())
    } else {
        Sql::fixed("updated_at DESC")
    };
    let rows = ActivityAuditLog {
        audit_schema,
        record_key: &super::record_key_parameter(),
        order_by: &order_by,
    }
    .render()
    .query_as::<ActivityRow>()
    .persistent(false);
    let mut tx = crate::sql::begin_pinned_read(conn).await?;
    let rows = bind_audit_filter(rows, filter, Some(since), Some(until))
        .bind(MAX_COUNTED)
        .bind(bucket.seconds())
        .bind(indexed)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| table_error(e, audit_schema))?;
    tx.rollback().await?;
    Ok(Activity::from_rows(rows, since, until, bucket))
}

/// The window's API requests per bucket and status class, under the filter's other
/// conditions, which pick among the newest requests of the window.
pub(crate) async fn api_activity<'e>(
    conn: impl Acquire<'e, Database = Postgres>,
    audit_schema: &str,
    filter: &ApiLogFilter,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Activity> {
    check_api_read(audit_schema, filter)?;
    let bucket = Bucket::for_window(since, until);
    let rows = ActivityApiLog { audit_schema }
        .render()
        .query_as::<ActivityRow>()
        .persistent(false);
    let mut tx = crate::sql::begin_pinned_read(conn).await?;
    let rows = bind_api_filter(rows, filter, Some(since), Some(until))
        .bind(MAX_COUNTED)
        .bind(bucket.seconds())
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| table_error(e, audit_schema))?;
    tx.rollback().await?;
    Ok(Activity::from_rows(rows, since, until, bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn two_days_are_counted_by_the_hour_and_longer_windows_by_the_day() {
        let since = at("2026-01-01T00:00:00Z");
        assert_eq!(
            Bucket::for_window(since, since + Duration::hours(48)),
            Bucket::Hour
        );
        assert_eq!(
            Bucket::for_window(since, since + Duration::hours(49)),
            Bucket::Day
        );
    }

    #[test]
    fn buckets_start_at_whole_utc_hours_and_days() {
        let t = at("2026-03-04T05:06:07Z");
        assert_eq!(Bucket::Hour.start_of(t), at("2026-03-04T05:00:00Z"));
        assert_eq!(Bucket::Day.start_of(t), at("2026-03-04T00:00:00Z"));
        assert_eq!(
            Bucket::Hour.start_of(at("1969-12-31T23:30:00Z")),
            at("1969-12-31T23:00:00Z")
        );
    }
}
