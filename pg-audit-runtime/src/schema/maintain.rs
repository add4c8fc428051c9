//! Partition maintenance of both logs: partitions made ahead of time, and retention by
//! whole partitions. Run by every migrate, by the [`Audit`](crate::Audit) handle in the
//! background, and by `pg-audit maintain` (for deployments that run it from cron).

use crate::error::{Error, Result};
use crate::settings::SchemaSettings;
use crate::sql::templates::{CreatePartitions, DropPartitions, LogPartitions, SetLockTimeout};
use crate::sql::SqlQuery;
use crate::text_table::TextTable;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::fmt;
use std::time::Duration;

/// The most months partitions can be made ahead (the SQL function refuses more).
pub const MAX_PARTITIONS_AHEAD: u32 = 36;

/// What one maintenance run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MaintainReport {
    /// Partitions made (ahead, or for rows that had landed in a default partition).
    pub partitions_created: Vec<String>,
    /// Partitions dropped by retention, oldest first.
    pub partitions_dropped: Vec<String>,
    /// Partitions old enough to drop whose lock was not had within the lock timeout: the
    /// next run drops them.
    pub partitions_kept: Vec<String>,
    /// Data-log rows removed with the dropped partitions.
    pub audit_rows_removed: i64,
    /// API-log rows removed with the dropped partitions.
    pub api_rows_removed: i64,
}

/// One partition of a log, as [`partitions`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct LogPartition {
    /// `pg_audit_log_data` (the data log's rows, read through the view `pg_audit_log`) or
    /// `pg_api_audit_log`.
    pub log_table: String,
    /// The partition's table, in the audit schema.
    pub partition_name: String,
    /// First time it holds (inclusive); `None`: all time before its upper bound, or the
    /// default partition.
    pub lower_bound: Option<DateTime<Utc>>,
    /// First time it no longer holds; `None` for the default partition.
    pub upper_bound: Option<DateTime<Utc>>,
    /// The default partition, which takes rows of a month without a partition of its own
    /// until maintenance moves them to one.
    pub is_default: bool,
    /// The planner's estimate of its rows (0 before it was first analyzed).
    pub estimated_rows: i64,
}

/// Runs the maintenance the settings declare: makes sure both logs have partitions up to
/// [`SchemaSettings::partitions_ahead`] months ahead, then, with a
/// [`SchemaSettings::retention`], drops the partitions whose rows are all older than it,
/// one per transaction so audited writes wait at most the lock timeout for each. Each run
/// that changed something is recorded in the log itself.
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::{maintain, SchemaSettings};
/// use std::time::Duration;
/// let settings = SchemaSettings { retention: Some(Duration::from_secs(400 * 86_400)), ..Default::default() };
/// let report = maintain(&pool, &settings).await?;
/// println!("dropped {:?}", report.partitions_dropped);
/// # Ok(()) }
/// ```
pub async fn maintain(pool: &PgPool, settings: &SchemaSettings) -> Result<MaintainReport> {
    settings.validate()?;
    let mut report = MaintainReport::default();
    let mut tx = crate::sql::begin_pinned(pool).await?;
    bound_lock_waits(&mut tx, settings).await?;
    report.partitions_created = create_partitions(&mut tx, settings).await?;
    tx.commit().await?;
    let Some(retention) = settings.retention else {
        return Ok(report);
    };
    let cutoff = retention_cutoff(retention)?;
    loop {
        let mut tx = crate::sql::begin_pinned(pool).await?;
        bound_lock_waits(&mut tx, settings).await?;
        let run: serde_json::Value = DropPartitions {
            schema: &settings.audit_schema,
        }
        .render()
        .query_scalar()
        .bind(cutoff)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let dropped = names(&run["partitions_dropped"]);
        let kept = names(&run["partitions_kept"]);
        report.audit_rows_removed += run["audit_rows_removed"].as_i64().unwrap_or(0);
        report.api_rows_removed += run["api_rows_removed"].as_i64().unwrap_or(0);
        let done = dropped.is_empty();
        report.partitions_dropped.extend(dropped);
        report.partitions_kept.extend(kept);
        // A partition kept (its lock not had in time) ends the run: it is the oldest left,
        // and the next run tries it again.
        if done {
            return Ok(report);
        }
    }
}

impl fmt::Display for MaintainReport {
    /// One line per partition made, dropped or kept, or one saying nothing was to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut table = TextTable::new(0);
        for name in &self.partitions_created {
            table.row(["created", name.as_str()]);
        }
        for name in &self.partitions_dropped {
            table.row(["dropped", name.as_str()]);
        }
        for name in &self.partitions_kept {
            table.row([
                "kept",
                name.as_str(),
                "its lock was not had within the lock timeout; the next run drops it",
            ]);
        }
        if !self.partitions_dropped.is_empty() {
            table.row([
                "removed".to_string(),
                format!(
                    "{} audit rows, {} API-log rows (recorded in the log)",
                    self.audit_rows_removed, self.api_rows_removed
                ),
            ]);
        }
        if self.partitions_created.is_empty()
            && self.partitions_dropped.is_empty()
            && self.partitions_kept.is_empty()
        {
            table.row(["nothing to do"]);
        }
        write!(f, "{table}")
    }
}

/// Both logs' partitions as a text table: log, partition, from, until, estimated rows.
pub fn partition_table(partitions: &[LogPartition]) -> TextTable {
    let time = |at: &Option<DateTime<Utc>>, open: &str| {
        at.map_or_else(
            || open.to_string(),
            |at| at.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
    };
    let mut table = TextTable::new(0);
    table.row(["log", "partition", "from", "until", "rows (estimate)"]);
    for p in partitions {
        let (from, until) = if p.is_default {
            ("default".to_string(), "default".to_string())
        } else {
            (
                time(&p.lower_bound, "all before"),
                time(&p.upper_bound, "-"),
            )
        };
        table.row([
            p.log_table.clone(),
            p.partition_name.clone(),
            from,
            until,
            p.estimated_rows.to_string(),
        ]);
    }
    table
}

/// Both logs' partitions, oldest first (each log's default partition last).
pub async fn partitions(pool: &PgPool, settings: &SchemaSettings) -> Result<Vec<LogPartition>> {
    settings.validate()?;
    let mut tx = crate::sql::begin_pinned(pool).await?;
    let rows = LogPartitions {
        schema: &settings.audit_schema,
    }
    .render()
    .query_as::<LogPartition>()
    .bind(&settings.audit_schema)
    .fetch_all(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok(rows)
}

/// Makes the partitions up to `partitions_ahead` months ahead (and those the default
/// partitions' rows need), in the caller's transaction; migrate runs it after attach.
pub(crate) async fn create_partitions(
    conn: &mut PgConnection,
    settings: &SchemaSettings,
) -> Result<Vec<String>> {
    if settings.partitions_ahead > MAX_PARTITIONS_AHEAD {
        return Err(Error::Invalid {
            what: "partitions_ahead",
            reason: format!(
                "{} months; partitions are made at most {MAX_PARTITIONS_AHEAD} months ahead",
                settings.partitions_ahead
            ),
        });
    }
    let created: Vec<String> = CreatePartitions {
        schema: &settings.audit_schema,
    }
    .render()
    .query_scalar()
    .bind(i32::try_from(settings.partitions_ahead).unwrap_or(i32::MAX))
    .fetch_one(conn)
    .await?;
    Ok(created)
}

async fn bound_lock_waits(conn: &mut PgConnection, settings: &SchemaSettings) -> Result<()> {
    SetLockTimeout
        .render()
        .query()
        .bind(format!("{}ms", settings.lock_timeout.as_millis().max(1)))
        .execute(conn)
        .await?;
    Ok(())
}

/// The time before which retention drops partitions: now minus the retention period.
fn retention_cutoff(retention: Duration) -> Result<DateTime<Utc>> {
    let period = chrono::Duration::from_std(retention)
        .ok()
        .filter(|period| *period > chrono::Duration::zero())
        .ok_or_else(|| Error::Invalid {
            what: "retention",
            reason: format!("{retention:?} is not a period of time"),
        })?;
    Utc::now()
        .checked_sub_signed(period)
        .ok_or_else(|| Error::Invalid {
            what: "retention",
            reason: format!("{retention:?} reaches before the calendar's start"),
        })
}

fn names(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|name| name.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retention_is_a_positive_period_within_the_calendar() {
        assert!(retention_cutoff(Duration::from_secs(400 * 86_400)).is_ok());
        assert!(retention_cutoff(Duration::ZERO).is_err());
        assert!(retention_cutoff(Duration::from_secs(u64::MAX)).is_err());
    }
}
