//! The baseline: the rows that exist when a table is first attached, recorded once as
//! `SNAPSHOT` rows, so the trail alone can tell what a table held at any later time (see
//! [`query::table_as_of`](crate::query::table_as_of)). Taken in batches of key ranges, each
//! its own short transaction holding its rows FOR SHARE: a write to those rows waits for
//! the batch (milliseconds), the batch waits for a write at most the lock timeout, and an
//! interrupted baseline resumes after its last recorded key.

use crate::config::TableRules;
use crate::error::{Error, Result};
use crate::names::QualifiedName;
use crate::schema::attach::table_rule;
use crate::schema::{catalog, event};
use crate::settings::SchemaSettings;
use crate::sql::templates::{
    BaselineBatch, BaselineEstimate, BaselineGrant, BaselineProgress as RecordProgress,
    BaselineRevoke, BaselineSelect, ExprKeyObject, ExprKeyPair, ExprKeyValue, ExprQualifiedColumn,
    SetLockTimeout,
};
use crate::sql::{Sql, SqlQuery};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Rows per batch: a batch of this size records in well under the default lock timeout, so
/// a write waiting for its rows waits that long at most.
pub const BASELINE_BATCH_ROWS: i64 = 5_000;

/// How many times a batch that timed out waiting for a write is tried again.
const LOCK_RETRIES: u32 = 5;

/// Where the baseline of one table stands, reported after each batch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BaselineProgress {
    /// The table.
    pub table: QualifiedName,
    /// SNAPSHOT rows recorded so far (earlier, interrupted runs included).
    pub rows_recorded: u64,
    /// The planner's estimate of the table's rows (0 when never analyzed).
    pub estimated_rows: u64,
    /// Whether the table's baseline is complete.
    pub finished: bool,
}

/// What a baseline run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BaselineReport {
    /// Tables whose baseline this run completed, with the rows recorded by this run.
    pub completed: Vec<(QualifiedName, u64)>,
    /// Tables left out: no primary key (their rows cannot be told apart, so no state can be
    /// rebuilt from them).
    pub keyless: Vec<QualifiedName>,
    /// Tables whose baseline was already complete.
    pub already_done: Vec<QualifiedName>,
    /// How long the run took.
    #[serde(skip)]
    pub elapsed: Duration,
}

impl BaselineReport {
    /// Rows recorded by this run.
    pub fn rows(&self) -> u64 {
        self.completed.iter().map(|(_, rows)| rows).sum()
    }
}

#[derive(sqlx::FromRow)]
struct BaselineRow {
    schema_name: String,
    table_name: String,
    last_key: Option<serde_json::Value>,
    rows_recorded: i64,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Records the baseline of every audited table of the declared schemas that has none yet
/// (or an unfinished one), calling `progress` after each batch. Tables must be attached
/// first: the batches rely on the triggers to record every write made meanwhile.
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::{baseline, SchemaSettings, TableRules, Tables};
/// let rules = TableRules::from_tables(&Tables::PUBLIC)?;
/// let report = baseline(&pool, &SchemaSettings::default(), &rules, |p| {
///     eprintln!("{}: {} rows", p.table, p.rows_recorded);
/// })
/// .await?;
/// println!("{} rows recorded", report.rows());
/// # Ok(()) }
/// ```
pub async fn baseline(
    pool: &PgPool,
    settings: &SchemaSettings,
    rules: &TableRules,
    mut progress: impl FnMut(&BaselineProgress),
) -> Result<BaselineReport> {
    settings.validate()?;
    let started = Instant::now();
    let audit_schema = settings.audit_schema.as_str();
    let mut conn = crate::sql::begin_pinned(pool).await?;
    catalog::require_migrated(&mut conn, audit_schema).await?;
    if !event::available(&mut conn, audit_schema).await? {
        return Err(Error::invalid(
            "baseline",
            "the audit schema predates migration 6: run `pg-audit migrate` first",
        ));
    }
    let tables = catalog::load_tables(&mut conn, &rules.schemas_or_public(), audit_schema).await?;
    let present = catalog::load_triggers(&mut conn, audit_schema).await?;
    let begun: Vec<BaselineRow> = BaselineSelect {
        schema: audit_schema,
    }
    .render()
    .query_as()
    .fetch_all(&mut *conn)
    .await?;
    conn.rollback().await?;

    let mut report = BaselineReport::default();
    for table in &tables {
        if !present.iter().any(|t| t.table == table.name) {
            continue; // not audited: nothing would record its writes meanwhile
        }
        if table.key_columns.is_empty() {
            report.keyless.push(table.name.clone());
            continue;
        }
        let earlier = begun
            .iter()
            .find(|b| b.schema_name == table.name.schema && b.table_name == table.name.name);
        if earlier.is_some_and(|b| b.finished_at.is_some()) {
            report.already_done.push(table.name.clone());
            continue;
        }
        let rule = table_rule(table, rules, settings)?;
        let (data, record_id) = crate::schema::trigger::row_expressions(table, &rule);
        let batch = batch_sql(audit_schema, table, &data, &record_id);
        let estimated_rows: i64 = BaselineEstimate
            .render()
            .query_scalar()
            .bind(&table.name.schema)
            .bind(&table.name.name)
            .fetch_one(pool)
            .await?;
        let mut last_key = earlier.and_then(|b| b.last_key.clone());
        let mut state = BaselineProgress {
            table: table.name.clone(),
            rows_recorded: earlier.map_or(0, |b| b.rows_recorded.max(0) as u64),
            estimated_rows: estimated_rows.max(0) as u64,
            finished: false,
        };
        let mut this_run = 0u64;
        while !state.finished {
            let (recorded, next_key) =
                run_batch(pool, settings, table, &batch, last_key.as_ref()).await?;
            this_run += recorded;
            state.rows_recorded += recorded;
            state.finished = (recorded as i64) < BASELINE_BATCH_ROWS;
            if next_key.is_some() {
                last_key = next_key;
            }
            progress(&state);
        }
        report.completed.push((table.name.clone(), this_run));
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The batch statement of one table, its key columns qualified by each row source.
fn batch_sql(audit_schema: &str, table: &catalog::TableInfo, data: &Sql, record_id: &Sql) -> Sql {
    let over = |alias: &'static str| {
        Sql::join(
            table.key_columns.iter().map(|column| {
                ExprQualifiedColumn {
                    alias: &Sql::fixed(alias),
                    column,
                }
                .render()
            }),
            ", ",
        )
    };
    let pairs = table.key_columns.iter().map(|column| {
        ExprKeyPair {
            name: column,
            value: &ExprKeyValue {
                value: &Sql::fixed("r.j"),
                column,
            }
            .render(),
        }
        .render()
    });
    BaselineBatch {
        schema: audit_schema,
        table_schema: &table.name.schema,
        table_name: &table.name.name,
        key_t: &over("t"),
        key_s: &over("s"),
        key_k: &over("k"),
        data,
        record_id,
        last_key: &ExprKeyObject {
            pairs: &Sql::join(pairs, ", "),
        }
        .render(),
    }
    .render()
}

/// Runs one batch in its own transaction, trying again when it timed out waiting for a
/// write: the rows recorded and the batch's last key.
async fn run_batch(
    pool: &PgPool,
    settings: &SchemaSettings,
    table: &catalog::TableInfo,
    batch: &Sql,
    last_key: Option<&serde_json::Value>,
) -> Result<(u64, Option<serde_json::Value>)> {
    let mut attempt = 0;
    loop {
        match try_batch(pool, settings, table, batch, last_key).await {
            Err(Error::LockTimeout(_)) if attempt < LOCK_RETRIES => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}

async fn try_batch(
    pool: &PgPool,
    settings: &SchemaSettings,
    table: &catalog::TableInfo,
    batch: &Sql,
    last_key: Option<&serde_json::Value>,
) -> Result<(u64, Option<serde_json::Value>)> {
    let audit_schema = settings.audit_schema.as_str();
    let role = settings.writer_role();
    let (table_schema, table_name) = (table.name.schema.as_str(), table.name.name.as_str());
    let mut tx = crate::sql::begin_pinned(pool).await?;
    // No migration lock: the application's writes go on meanwhile.
    SetLockTimeout
        .render()
        .query()
        .bind(format!("{}ms", settings.lock_timeout.as_millis().max(1)))
        .execute(&mut *tx)
        .await?;
    BaselineGrant {
        table_schema,
        table_name,
        role: &role,
    }
    .render()
    .execute(&mut *tx)
    .await?;
    let (recorded, next_key): (i64, Option<serde_json::Value>) = batch
        .clone()
        .query_as()
        .bind(table_schema)
        .bind(table_name)
        .bind(BASELINE_BATCH_ROWS)
        .bind(last_key)
        .fetch_one(&mut *tx)
        .await?;
    BaselineRevoke {
        table_schema,
        table_name,
        role: &role,
    }
    .render()
    .execute(&mut *tx)
    .await?;
    RecordProgress {
        schema: audit_schema,
    }
    .render()
    .query()
    .bind(table_schema)
    .bind(table_name)
    .bind(&next_key)
    .bind(recorded)
    .bind(recorded < BASELINE_BATCH_ROWS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((recorded.max(0) as u64, next_key))
}
