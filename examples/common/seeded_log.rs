//! The seeded audit log: both logs grown in SQL, as they would be by years of traffic,
//! straight into their stored tables (`audit.pg_audit_log_data`, `audit.pg_api_audit_log`)
//! rather than through the view `audit.pg_audit_log`, whose INSTEAD OF trigger costs a
//! PL/pgSQL call per row. The month partitions of the whole range are made first, as
//! maintenance would have made them while the rows came, so that no row lands in a default
//! partition. What the rows hold is said in `seed_changes.sql` and `seed_requests.sql`.

use super::BoxError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Rows per INSERT statement: big enough that a statement's overhead does not count, small
/// enough that progress shows and no transaction holds gigabytes of WAL.
const BATCH_ROWS: i64 = 1_000_000;

/// The logs' tables as `pg_audit_add_partition` names them.
const LOGS: [&str; 2] = ["pg_audit_log_data", "pg_api_audit_log"];

/// What to seed.
#[derive(Debug, Clone)]
pub struct LogShape {
    /// Rows of the data log.
    pub rows: i64,
    /// Requests of the API log: at most `rows / 3`, one per transaction of three rows.
    pub requests: i64,
    /// The time of the first row.
    pub from: DateTime<Utc>,
    /// The time of the last row.
    pub to: DateTime<Utc>,
    /// Changes of the hot record (`public.orders`, id `hot`), spread evenly over the log.
    pub hot_changes: i64,
}

impl LogShape {
    /// A shape the seeding statements can write: every parameter in range.
    pub fn check(&self) -> Result<(), String> {
        if self.rows < 3 {
            return Err(format!("{} rows: the log needs at least 3", self.rows));
        }
        if !(1..=self.rows / 3).contains(&self.requests) {
            return Err(format!(
                "{} requests: between 1 and {} (rows / 3: a request is a transaction of three rows)",
                self.requests,
                self.rows / 3
            ));
        }
        if !(1..=self.rows).contains(&self.hot_changes) {
            return Err(format!(
                "{} changes of the hot record: between 1 and the rows",
                self.hot_changes
            ));
        }
        if self.from >= self.to {
            return Err("the log's first time must come before its last".into());
        }
        Ok(())
    }
}

/// How long each step of the seeding took.
#[derive(Debug, Clone, Copy)]
pub struct SeedTimes {
    /// Making the missing month partitions of both logs.
    pub partitions: Duration,
    /// Writing the rows of both logs.
    pub written: Duration,
    /// `VACUUM (ANALYZE)` of both logs.
    pub vacuumed: Duration,
}

/// Seeds both logs of the migrated database of `pool` (as the superuser) with `shape`,
/// printing progress to stderr.
pub async fn seed(pool: &PgPool, shape: &LogShape) -> Result<SeedTimes, BoxError> {
    shape.check()?;
    let started = Instant::now();
    for log in LOGS {
        add_month_partitions(pool, log, shape).await?;
    }
    let partitions = started.elapsed();

    let started = Instant::now();
    // The statements' $6: every how many rows the hot record changes; the requests.
    for (log, statement, total, sixth) in [
        (
            LOGS[0],
            include_str!("seed_changes.sql"),
            shape.rows,
            shape.rows / shape.hot_changes,
        ),
        (
            LOGS[1],
            include_str!("seed_requests.sql"),
            shape.requests,
            shape.requests,
        ),
    ] {
        let mut first = 1;
        while first <= total {
            let last = (first + BATCH_ROWS - 1).min(total);
            sqlx::query(statement)
                .bind(first)
                .bind(last)
                .bind(shape.rows)
                .bind(shape.from)
                .bind(shape.to)
                .bind(sixth)
                .execute(pool)
                .await?;
            eprintln!(
                "{log}: {last} of {total} rows ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
            first = last + 1;
        }
    }
    let written = started.elapsed();

    // As autovacuum leaves an insert-only table in steady state: hint bits set and pages
    // all-visible, so the index-only reads of the time indexes read no heap, and the
    // planner's statistics current. It also keeps autovacuum from doing it mid-measurement.
    let started = Instant::now();
    for log in LOGS {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM (ANALYZE) audit.{log}")))
            .execute(pool)
            .await?;
        eprintln!(
            "{log}: vacuumed and analyzed ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(SeedTimes {
        partitions,
        written,
        vacuumed: started.elapsed(),
    })
}

/// Makes a partition of `log` for every month (UTC) of the shape's range that none covers
/// yet, the oldest first, as the superuser calls `pg_audit_add_partition`.
async fn add_month_partitions(pool: &PgPool, log: &str, shape: &LogShape) -> Result<(), BoxError> {
    let months: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT m.month_start
         FROM generate_series(0, 12 * (extract(year FROM $3::timestamptz)::int - extract(year FROM $2::timestamptz)::int + 1)) AS s(i)
         CROSS JOIN LATERAL (SELECT audit.pg_audit_month($2::timestamptz, s.i) AS month_start) AS m
         WHERE m.month_start <= $3::timestamptz
           AND NOT EXISTS (
               SELECT 1 FROM audit.pg_audit_partitions() AS p
               WHERE p.log_table = $1 AND NOT p.is_default
                 AND coalesce(p.lower_bound, '-infinity') < audit.pg_audit_month(m.month_start, 1)
                 AND coalesce(p.upper_bound, 'infinity') > m.month_start)
         ORDER BY m.month_start",
    )
    .bind(log)
    .bind(shape.from)
    .bind(shape.to)
    .fetch_all(pool)
    .await?;
    for month in months {
        let partition: String = sqlx::query_scalar(
            "SELECT audit.pg_audit_add_partition($1, $2, audit.pg_audit_month($2, 1), NULL)",
        )
        .bind(log)
        .bind(month)
        .fetch_one(pool)
        .await?;
        eprintln!("{log}: partition {partition} made");
    }
    Ok(())
}

/// What the benchmarks look for in a seeded log: its ends, the hot record, a request.
#[derive(Debug, Clone)]
pub struct Landmarks {
    /// The data log's lowest id.
    pub min_id: i64,
    /// The data log's highest id.
    pub max_id: i64,
    /// The hot record's changes.
    pub hot_changes: i64,
    /// The cursor of the hot record's oldest page of 50 (its 51st-oldest change, or its
    /// middle one when it has fewer).
    pub hot_oldest_page: i64,
    /// The newest request that both logs hold (its API-log row and its changes).
    pub request_id: Uuid,
    /// The time of the data log's oldest row.
    pub oldest: DateTime<Utc>,
}

impl Landmarks {
    /// Reads them from the seeded log of `pool`.
    pub async fn read(pool: &PgPool) -> Result<Landmarks, BoxError> {
        let (min_id, max_id, oldest): (i64, i64, DateTime<Utc>) =
            sqlx::query_as("SELECT min(id), max(id), min(updated_at) FROM audit.pg_audit_log_data")
                .fetch_one(pool)
                .await?;
        let hot_changes: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit.pg_audit_log_data
             WHERE schema_name = 'public' AND table_name = 'orders' AND record_id = 'hot'",
        )
        .fetch_one(pool)
        .await?;
        let hot_oldest_page: i64 = sqlx::query_scalar(
            "SELECT id FROM audit.pg_audit_log_data
             WHERE schema_name = 'public' AND table_name = 'orders' AND record_id = 'hot'
             ORDER BY id OFFSET least(50, $1 / 2) LIMIT 1",
        )
        .bind(hot_changes)
        .fetch_one(pool)
        .await?;
        let request_id: Uuid = sqlx::query_scalar(
            "SELECT a.request_id FROM audit.pg_api_audit_log AS a
             WHERE EXISTS (SELECT 1 FROM audit.pg_audit_log_data AS d WHERE d.request_id = a.request_id)
             ORDER BY a.id DESC LIMIT 1",
        )
        .fetch_one(pool)
        .await?;
        Ok(Landmarks {
            min_id,
            max_id,
            hot_changes,
            hot_oldest_page,
            request_id,
            oldest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(rows: i64, requests: i64, hot_changes: i64) -> LogShape {
        let to = Utc::now();
        LogShape {
            rows,
            requests,
            from: to - chrono::Duration::days(1),
            to,
            hot_changes,
        }
    }

    #[test]
    fn a_log_has_at_most_a_request_per_transaction_of_three_rows() {
        assert!(shape(30, 10, 1).check().is_ok());
        assert!(shape(30, 11, 1).check().unwrap_err().contains("rows / 3"));
        assert!(shape(30, 0, 1).check().is_err());
    }

    #[test]
    fn the_hot_record_changes_at_least_once_and_at_most_every_row() {
        assert!(shape(30, 10, 30).check().is_ok());
        assert!(shape(30, 10, 0).check().is_err());
        assert!(shape(30, 10, 31).check().is_err());
    }
}
