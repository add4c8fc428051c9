//! Benchmark of the audit log at scale: grows the data log to 20,000,000 rows over the last
//! twelve months and the API log to 2,000,000 requests, generated in SQL straight into
//! their month partitions (`common/seeded_log.rs`, not through the triggers), and measures
//! on it:
//!
//! - the disk both logs take, and each index's bytes per audited row;
//! - reads through the query API on the big log: a record's history, a user's changes, a
//!   request's changes, a request by id (median and max of 25 interleaved runs; target
//!   ≤ 5 ms);
//! - every viewer page (`common/viewer_pages.rs`; target ≤ 50 ms);
//! - single-row audited INSERT throughput with the big log ÷ with an empty one: two
//!   databases with the same audited table, autocommit INSERTs for 10 s a run after a
//!   CHECKPOINT, interleaved rounds, the median of per-round ratios (target ≥ 0.9); with
//!   the server's `synchronous_commit`, then again with it off, where the WAL flush's swings
//!   on a shared disk no longer drown what the trigger and the log's indexes cost;
//! - retention dropping the oldest month's partition
//!   (`audit.pg_audit_drop_partitions(cutoff, 1)` under a 1 s lock timeout, one call a
//!   partition; target ≤ 1 s) and the longest wait of a concurrent single-row audited
//!   writer meanwhile, against its median before.
//!
//! ```text
//! cargo run --release --example bench_scale [-- --rows 20000000 --requests 2000000 --rounds 5 --keep --reuse]
//! ```
//!
//! It creates two databases on the server of `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, a superuser): `pg_audit_bench_scale_big`
//! and `pg_audit_bench_scale_empty`, and drops them at the end unless `--keep`. With
//! `--reuse`, a big database kept by an earlier run whose seeding finished with at least
//! `--rows` rows and `--requests` requests is measured again instead of seeded anew (the
//! seeding figures printed are that run's; its oldest month may be gone, dropped by that
//! run). The 20,000,000-row logs take 12 GB of disk, and about ten minutes to seed on a
//! 2-core machine.

#[path = "common/mod.rs"]
mod common;

use chrono::{DateTime, Months, Utc};
use common::seeded_log::{self, Landmarks, LogShape, SeedTimes};
use common::{median, percentile, viewer_pages, BoxError};
use pg_audit::query::{self, AuditLogFilter};
use pg_audit::SchemaSettings;
use pg_audit_testing::public_rules;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection, PgPool};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIG: &str = "pg_audit_bench_scale_big";
const EMPTY: &str = "pg_audit_bench_scale_empty";

/// The audited table both databases write, and its single-row INSERT.
const ITEMS: &str = "CREATE TABLE bench_items (id bigserial PRIMARY KEY, name text, qty int, price numeric, note text, updated_at timestamptz)";
const INSERT_ITEM: &str = "INSERT INTO bench_items (name, qty, price, note, updated_at) VALUES ('widget', 3, 9.99, 'bench', now())";

/// Changes of the hot record in the big log.
const HOT_CHANGES: i64 = 100;
/// The length of one throughput run.
const RUN: Duration = Duration::from_secs(10);
/// Runs of each read, and rounds of the viewer's pages (after two uncounted ones).
const READ_RUNS: usize = 25;
/// The targets.
const WRITE_RATIO_TARGET: f64 = 0.9;
const READ_TARGET_MS: f64 = 5.0;
const DROP_TARGET_MS: f64 = 1000.0;

#[derive(Debug, PartialEq)]
struct Options {
    rows: i64,
    requests: i64,
    rounds: usize,
    keep: bool,
    reuse: bool,
}

fn options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        rows: 20_000_000,
        requests: 2_000_000,
        rounds: 5,
        keep: false,
        reuse: false,
    };
    let usage = "use --rows N, --requests N, --rounds N, --keep, --reuse";
    while let Some(arg) = args.next() {
        let mut number = |what: &str| {
            args.next()
                .and_then(|v| v.replace('_', "").parse::<i64>().ok())
                .ok_or(format!("{what} takes a number"))
        };
        match arg.as_str() {
            "--rows" => options.rows = number("--rows")?,
            "--requests" => options.requests = number("--requests")?,
            "--rounds" => {
                options.rounds = usize::try_from(number("--rounds")?)
                    .map_err(|_| "--rounds takes a positive number")?
            }
            "--keep" => options.keep = true,
            "--reuse" => options.reuse = true,
            other => return Err(format!("unknown argument {other}; {usage}")),
        }
    }
    if options.rows < 10_000 {
        return Err("--rows must be at least 10000".into());
    }
    if options.rounds < 3 {
        return Err("--rounds must be at least 3 (a median of ratios needs them)".into());
    }
    Ok(options)
}

/// A pool on `database` of the server of `url`.
async fn connect(url: &str, database: &str) -> Result<PgPool, BoxError> {
    let options = PgConnectOptions::from_str(url)?
        .database(database)
        .disable_statement_logging();
    Ok(PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?)
}

async fn exec(conn: &mut PgConnection, sql: String) -> Result<(), BoxError> {
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(conn).await?;
    Ok(())
}

/// A new database holding the audited table, migrated (which attaches it).
async fn fresh_database(
    admin: &mut PgConnection,
    url: &str,
    database: &str,
) -> Result<PgPool, BoxError> {
    exec(
        admin,
        format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
    )
    .await?;
    exec(admin, format!("CREATE DATABASE {database}")).await?;
    let pool = connect(url, database).await?;
    sqlx::raw_sql(ITEMS).execute(&pool).await?;
    pg_audit::migrate(&pool, &SchemaSettings::default(), &public_rules()).await?;
    Ok(pool)
}

/// The big database, seeded (or, with `--reuse`, as an earlier run seeded it), the times
/// its seeding took, and whether it was reused.
async fn big_database(
    admin: &mut PgConnection,
    url: &str,
    options: &Options,
) -> Result<(PgPool, SeedTimes, bool), BoxError> {
    if options.reuse {
        if let Some(times) = seeded_before(admin, options).await? {
            eprintln!("{BIG}: reused");
            return Ok((connect(url, BIG).await?, times, true));
        }
        eprintln!("{BIG}: nothing to reuse, seeding it");
    }
    let pool = fresh_database(admin, url, BIG).await?;
    let now = Utc::now();
    let shape = LogShape {
        rows: options.rows,
        requests: options.requests,
        from: now
            .checked_sub_months(Months::new(12))
            .ok_or("twelve months ago is out of range")?,
        to: now,
        hot_changes: HOT_CHANGES,
    };
    let times = seeded_log::seed(&pool, &shape).await?;
    // What was seeded, said on the database itself for a later `--reuse`.
    let seeded = serde_json::json!({
        "rows": shape.rows, "requests": shape.requests,
        "partitions_s": times.partitions.as_secs_f64(),
        "written_s": times.written.as_secs_f64(),
        "vacuumed_s": times.vacuumed.as_secs_f64(),
    });
    exec(
        admin,
        format!(
            "COMMENT ON DATABASE {BIG} IS '{}'",
            seeded.to_string().replace('\'', "''")
        ),
    )
    .await?;
    Ok((pool, times, false))
}

/// The seeding times of a big database an earlier run finished seeding with at least the
/// rows and requests asked for; `None` when there is none.
async fn seeded_before(
    admin: &mut PgConnection,
    options: &Options,
) -> Result<Option<SeedTimes>, BoxError> {
    let comment: Option<Option<String>> = sqlx::query_scalar(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
    )
    .bind(BIG)
    .fetch_optional(&mut *admin)
    .await?;
    let Some(seeded) = comment
        .flatten()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    else {
        return Ok(None);
    };
    let enough = seeded["rows"].as_i64() >= Some(options.rows)
        && seeded["requests"].as_i64() >= Some(options.requests);
    let seconds = |key: &str| Duration::from_secs_f64(seeded[key].as_f64().unwrap_or(0.0));
    Ok(enough.then(|| SeedTimes {
        partitions: seconds("partitions_s"),
        written: seconds("written_s"),
        vacuumed: seconds("vacuumed_s"),
    }))
}

/// The disk one log takes, summed over its partitions.
struct LogSize {
    log: &'static str,
    partitions: i64,
    rows: i64,
    /// Heap, TOAST, free space and visibility maps.
    table: i64,
    total: i64,
    /// Each index of the log with its bytes over all partitions, largest first.
    indexes: Vec<(String, i64)>,
}

async fn log_size(pool: &PgPool, log: &'static str) -> Result<LogSize, BoxError> {
    let relation = format!("audit.{log}");
    let (partitions, table, total): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE t.isleaf),
                coalesce(sum(pg_table_size(t.relid)), 0)::bigint,
                coalesce(sum(pg_total_relation_size(t.relid)), 0)::bigint
         FROM pg_partition_tree($1::regclass) AS t",
    )
    .bind(&relation)
    .fetch_one(pool)
    .await?;
    let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {relation}")))
        .fetch_one(pool)
        .await?;
    // A partition's index made from one of the log's belongs to it (pg_inherits); those
    // pg_audit_add_partition gives each partition (on id, say) have no parent and are
    // named by their columns.
    let indexes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT coalesce(parent.relname::text,
                         'each partition''s own ' || regexp_replace(pg_get_indexdef(x.indexrelid), '^.* USING \\w+ ', '')),
                sum(pg_relation_size(x.indexrelid))::bigint
         FROM pg_partition_tree($1::regclass) AS t
         JOIN pg_index AS x ON x.indrelid = t.relid
         LEFT JOIN pg_inherits AS h ON h.inhrelid = x.indexrelid
         LEFT JOIN pg_class AS parent ON parent.oid = h.inhparent
         WHERE t.isleaf
         GROUP BY 1
         ORDER BY 2 DESC",
    )
    .bind(&relation)
    .fetch_all(pool)
    .await?;
    Ok(LogSize {
        log,
        partitions,
        rows,
        table,
        total,
        indexes,
    })
}

fn megabytes(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn per_row(bytes: i64, rows: i64) -> String {
    format!("{:.1}", bytes as f64 / rows.max(1) as f64)
}

/// The databases of the throughput comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Log {
    Empty,
    Big,
}

/// Which database a round measures first: the order alternates (empty, big), (big,
/// empty), … so neither always runs second, on a machine the other left warmed.
fn round_order(round: usize) -> [Log; 2] {
    if round.is_multiple_of(2) {
        [Log::Empty, Log::Big]
    } else {
        [Log::Big, Log::Empty]
    }
}

/// Single-row autocommit INSERTs into the audited table for [`RUN`], after a
/// CHECKPOINT; rows per second.
async fn inserts_per_second(conn: &mut PgConnection) -> Result<f64, BoxError> {
    sqlx::raw_sql("CHECKPOINT").execute(&mut *conn).await?;
    let started = Instant::now();
    let mut rows = 0u64;
    while started.elapsed() < RUN {
        sqlx::query(INSERT_ITEM).execute(&mut *conn).await?;
        rows += 1;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

/// One round of the throughput comparison: rows per second on each database.
struct WriteRound {
    first: Log,
    empty: f64,
    big: f64,
}

/// The commit modes compared: as the server is set (a commit returns after its WAL flush,
/// whose time on a shared disk swings widely), and without waiting for the flush (what
/// the trigger and the log's indexes cost, which is where a big log could differ).
const COMMIT_MODES: [(&str, &str); 2] = [
    ("on", "synchronous_commit = on (the server's setting)"),
    ("off", "synchronous_commit = off"),
];

/// A connection to `database` whose commits are `synchronous_commit = mode`.
async fn committing(url: &str, database: &str, mode: &str) -> Result<PgConnection, BoxError> {
    let mut conn = PgConnectOptions::from_str(url)?
        .database(database)
        .disable_statement_logging()
        .connect()
        .await?;
    exec(&mut conn, format!("SET synchronous_commit = {mode}")).await?;
    Ok(conn)
}

/// `rounds` rounds of the throughput comparison, each database written by a connection
/// of its own with `synchronous_commit` set to `mode`.
async fn write_rounds(url: &str, rounds: usize, mode: &str) -> Result<Vec<WriteRound>, BoxError> {
    let empty = &mut committing(url, EMPTY, mode).await?;
    let big = &mut committing(url, BIG, mode).await?;
    let mut measured = Vec::new();
    for round in 0..rounds {
        let order = round_order(round);
        let (mut on_empty, mut on_big) = (0.0, 0.0);
        for log in order {
            match log {
                Log::Empty => on_empty = inserts_per_second(empty).await?,
                Log::Big => on_big = inserts_per_second(big).await?,
            }
        }
        eprintln!(
            "write round {round}, synchronous_commit = {mode}: empty {on_empty:.0} rows/s, big {on_big:.0} rows/s"
        );
        measured.push(WriteRound {
            first: order[0],
            empty: on_empty,
            big: on_big,
        });
    }
    Ok(measured)
}

/// Prints the rounds of one commit mode, with the median of the per-round ratios.
fn print_write_rounds(mode: &str, rounds: &[WriteRound]) {
    println!("\n{mode}:\n");
    println!("| round | first | empty log, rows/s | big log, rows/s | big ÷ empty |");
    println!("|---:|---|---:|---:|---:|");
    for (number, round) in rounds.iter().enumerate() {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.3} |",
            number + 1,
            match round.first {
                Log::Empty => "empty",
                Log::Big => "big",
            },
            round.empty,
            round.big,
            round.big / round.empty
        );
    }
    let mut ratios: Vec<f64> = rounds.iter().map(|r| r.big / r.empty).collect();
    let mut on_empty: Vec<f64> = rounds.iter().map(|r| r.empty).collect();
    let mut on_big: Vec<f64> = rounds.iter().map(|r| r.big).collect();
    let ratio = median(&mut ratios);
    println!(
        "| median | | {:.0} | {:.0} | **{ratio:.3}** (rounds {:.3}–{:.3}; ≥ {WRITE_RATIO_TARGET}: {}) |",
        median(&mut on_empty),
        median(&mut on_big),
        percentile(&mut ratios, 0.0),
        percentile(&mut ratios, 1.0),
        met(ratio >= WRITE_RATIO_TARGET)
    );
}

/// A read through the query API.
#[derive(Debug, Clone, Copy)]
enum Read {
    HotRecord,
    User,
    Request,
    ApiRequest,
}

impl Read {
    const ALL: [Read; 4] = [Read::HotRecord, Read::User, Read::Request, Read::ApiRequest];

    fn name(self, marks: &Landmarks) -> String {
        match self {
            Read::HotRecord => format!(
                "history of one record (public.orders \"hot\", {} changes): first page of 50",
                marks.hot_changes
            ),
            Read::User => "changes of one user (user42): first page of 50".into(),
            Read::Request => "changes of one request".into(),
            Read::ApiRequest => "the API-log row of one request (query::api_request)".into(),
        }
    }

    /// Runs it; the rows it read.
    async fn run(self, pool: &PgPool, marks: &Landmarks) -> Result<usize, BoxError> {
        let filter = match self {
            Read::HotRecord => AuditLogFilter::record("public", "orders", "hot"),
            Read::User => AuditLogFilter::by_user("user42"),
            Read::Request => AuditLogFilter::by_request(marks.request_id),
            Read::ApiRequest => {
                let request = query::api_request(pool, "audit", marks.request_id).await?;
                return Ok(usize::from(request.is_some()));
            }
        };
        Ok(query::audit_log(pool, "audit", &filter)
            .await?
            .entries
            .len())
    }
}

/// Each read's rows and milliseconds over `runs` interleaved runs (after two uncounted).
async fn time_reads(
    pool: &PgPool,
    marks: &Landmarks,
    runs: usize,
) -> Result<Vec<(usize, Vec<f64>)>, BoxError> {
    let mut timed = vec![(0, Vec::new()); Read::ALL.len()];
    for run in 0..runs + 2 {
        for (read, (rows, times)) in Read::ALL.into_iter().zip(&mut timed) {
            let started = Instant::now();
            *rows = read.run(pool, marks).await?;
            if run >= 2 {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    Ok(timed)
}

/// What `pg_audit_drop_partitions` returns.
#[derive(serde::Deserialize)]
struct DropRun {
    partitions_dropped: Vec<String>,
    partitions_kept: Vec<String>,
    audit_rows_removed: i64,
    api_rows_removed: i64,
}

/// One call of the retention function.
struct DropCall {
    dropped: Vec<String>,
    /// The dropped partitions' bytes (`pg_total_relation_size`).
    bytes: i64,
    kept: Vec<String>,
    rows_removed: i64,
    started: Instant,
    took: Duration,
}

/// Single-row audited INSERTs in a loop on their own connection until `stop`: when each
/// started and how long it took.
async fn writer(
    mut conn: PgConnection,
    stop: Arc<AtomicBool>,
) -> Result<Vec<(Instant, Duration)>, BoxError> {
    let mut statements = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        sqlx::query(INSERT_ITEM).execute(&mut conn).await?;
        statements.push((started, started.elapsed()));
    }
    Ok(statements)
}

/// Drops the data log's oldest month as retention does (one partition a call, the API
/// log's of that month coming first), with a writer running; the calls, and the writer's
/// statements.
async fn drop_oldest_month(
    pool: &PgPool,
    url: &str,
) -> Result<(DateTime<Utc>, Vec<DropCall>, Vec<(Instant, Duration)>), BoxError> {
    let oldest_end: DateTime<Utc> = sqlx::query_scalar(
        "SELECT upper_bound FROM audit.pg_audit_partitions()
         WHERE log_table = 'pg_audit_log_data' AND NOT is_default
         ORDER BY upper_bound LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    let cutoff = oldest_end + chrono::Duration::minutes(1);
    let sizes: HashMap<String, i64> = sqlx::query_as(
        "SELECT partition_name, pg_total_relation_size(format('audit.%I', partition_name)::regclass)
         FROM audit.pg_audit_partitions()
         WHERE NOT is_default AND upper_bound <= $1",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let options = PgConnectOptions::from_str(url)?
        .database(BIG)
        .disable_statement_logging();
    let mut dropping = options.connect().await?;
    exec(&mut dropping, "SET lock_timeout = '1s'".into()).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let writing = tokio::spawn(writer(options.connect().await?, stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut calls = Vec::new();
    // At most one call per partition of that month (both logs), and one that finds none.
    for _ in 0..3 {
        let started = Instant::now();
        let run: serde_json::Value =
            sqlx::query_scalar("SELECT audit.pg_audit_drop_partitions($1, 1)")
                .bind(cutoff)
                .fetch_one(&mut dropping)
                .await?;
        let took = started.elapsed();
        let run: DropRun = serde_json::from_value(run)?;
        let call = DropCall {
            bytes: run
                .partitions_dropped
                .iter()
                .filter_map(|name| sizes.get(name))
                .sum(),
            rows_removed: run.audit_rows_removed + run.api_rows_removed,
            dropped: run.partitions_dropped,
            kept: run.partitions_kept,
            started,
            took,
        };
        let done = call.dropped.is_empty()
            || call
                .dropped
                .iter()
                .any(|name| name.starts_with("pg_audit_log_data"));
        calls.push(call);
        if done {
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let statements = writing.await??;
    Ok((cutoff, calls, statements))
}

/// The longest of the writer's statements that overlapped `[from, from + took)`, in ms.
fn longest_during(statements: &[(Instant, Duration)], from: Instant, took: Duration) -> f64 {
    statements
        .iter()
        .filter(|(started, lasted)| *started < from + took && *started + *lasted > from)
        .map(|(_, lasted)| lasted.as_secs_f64() * 1000.0)
        .fold(0.0, f64::max)
}

fn met(yes: bool) -> &'static str {
    if yes {
        "yes"
    } else {
        "**no**"
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn print_sizes(sizes: &[LogSize]) {
    println!(
        "| log | partitions | rows | table (heap, TOAST, maps) | indexes | total | bytes per row |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for size in sizes {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            size.log,
            size.partitions,
            size.rows,
            megabytes(size.table),
            megabytes(size.total - size.table),
            megabytes(size.total),
            per_row(size.total, size.rows)
        );
    }
    println!("\n| index (all partitions) | log | size | bytes per row of its log |");
    println!("|---|---|---:|---:|");
    for size in sizes {
        for (index, bytes) in &size.indexes {
            println!(
                "| {index} | {} | {} | {} |",
                size.log,
                megabytes(*bytes),
                per_row(*bytes, size.rows)
            );
        }
    }
}

fn print_reads(marks: &Landmarks, reads: Vec<(usize, Vec<f64>)>) {
    println!("| read | rows | median | max | ≤ {READ_TARGET_MS} ms (median) |");
    println!("|---|---:|---:|---:|:---:|");
    for (read, (rows, mut times)) in Read::ALL.into_iter().zip(reads) {
        let typical = median(&mut times);
        println!(
            "| {} | {rows} | {typical:.2} ms | {:.2} ms | {} |",
            read.name(marks),
            percentile(&mut times, 1.0),
            met(typical <= READ_TARGET_MS)
        );
    }
}

fn print_drop(calls: &[DropCall], statements: &[(Instant, Duration)]) {
    let first_call = calls.first().map(|call| call.started);
    let mut before: Vec<f64> = statements
        .iter()
        .filter(|(started, lasted)| first_call.is_some_and(|first| *started + *lasted <= first))
        .map(|(_, lasted)| lasted.as_secs_f64() * 1000.0)
        .collect();
    println!(
        "A concurrent writer (single-row audited INSERTs, own connection): median {:.2} ms over the {} statements of the 3 s before the first call.\n",
        median(&mut before),
        before.len()
    );
    println!("| call | dropped | kept (lock not had) | its size | rows removed | time | ≤ {DROP_TARGET_MS} ms | writer's longest statement during it |");
    println!("|---:|---|---|---:|---:|---:|:---:|---:|");
    for (number, call) in calls.iter().enumerate() {
        let ms = call.took.as_secs_f64() * 1000.0;
        let list = |names: &[String]| {
            if names.is_empty() {
                "—".to_string()
            } else {
                names.join(", ")
            }
        };
        println!(
            "| {} | {} | {} | {} | {} | {ms:.1} ms | {} | {:.1} ms |",
            number + 1,
            list(&call.dropped),
            list(&call.kept),
            megabytes(call.bytes),
            call.rows_removed,
            met(ms <= DROP_TARGET_MS),
            longest_during(statements, call.started, call.took)
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = options(std::env::args().skip(1))?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut admin = PgConnection::connect(&url).await?;
    let (big, seeded, reused) = big_database(&mut admin, &url, &options).await?;
    let empty = fresh_database(&mut admin, &url, EMPTY).await?;
    let load_before = load_average();

    // The reads and pages first, on the log as seeded (the write rounds add tens of
    // thousands of rows of one table at its head); the drop last.
    let sizes = [
        log_size(&big, "pg_audit_log_data").await?,
        log_size(&big, "pg_api_audit_log").await?,
    ];
    let marks = Landmarks::read(&big).await?;
    let reads = time_reads(&big, &marks, READ_RUNS).await?;
    eprintln!("reads timed");
    let mut pages = viewer_pages::time_pages(&big, &marks, READ_RUNS).await?;
    eprintln!("pages timed");
    let mut writes = Vec::new();
    for (mode, _) in COMMIT_MODES {
        writes.push(write_rounds(&url, options.rounds, mode).await?);
    }
    let (cutoff, calls, statements) = drop_oldest_month(&big, &url).await?;
    let load_after = load_average();

    println!(
        "\n### The log at scale: {} audit rows, {} API requests\n",
        sizes[0].rows, sizes[1].rows
    );
    println!(
        "{} (partitions made in {:.1} s, rows written in {:.1} s, VACUUM ANALYZE {:.1} s); load average {load_before} before the measurements, {load_after} after\n",
        if reused { "Seeded by an earlier run" } else { "Seeded in SQL" },
        seeded.partitions.as_secs_f64(),
        seeded.written.as_secs_f64(),
        seeded.vacuumed.as_secs_f64()
    );
    print_sizes(&sizes);

    println!("\n#### Reads through the query API, {READ_RUNS} interleaved runs\n");
    print_reads(&marks, reads);

    println!("\n#### Every viewer page, {READ_RUNS} rounds\n");
    viewer_pages::print_pages(&mut pages);

    println!(
        "\n#### Single-row audited INSERT, {} s a run after a CHECKPOINT, 1 connection, {} interleaved rounds",
        RUN.as_secs(),
        options.rounds
    );
    for ((_, mode), rounds) in COMMIT_MODES.iter().zip(&writes) {
        print_write_rounds(mode, rounds);
    }

    println!(
        "\n#### Retention: `SELECT audit.pg_audit_drop_partitions('{}', 1)` under `lock_timeout = '1s'`, a call a partition\n",
        cutoff.format("%Y-%m-%d %H:%M:%S+00")
    );
    print_drop(&calls, &statements);

    big.close().await;
    empty.close().await;
    if !options.keep {
        for database in [BIG, EMPTY] {
            exec(
                &mut admin,
                format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        options(args.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn without_flags_the_log_grows_to_twenty_million_rows_and_is_dropped_after() {
        assert_eq!(
            parse(&[]),
            Ok(Options {
                rows: 20_000_000,
                requests: 2_000_000,
                rounds: 5,
                keep: false,
                reuse: false,
            })
        );
    }

    #[test]
    fn every_flag_is_read_and_numbers_may_group_their_digits() {
        let options = parse(&[
            "--rows",
            "1_000_000",
            "--requests",
            "1000",
            "--rounds",
            "3",
            "--keep",
            "--reuse",
        ]);
        assert_eq!(
            options,
            Ok(Options {
                rows: 1_000_000,
                requests: 1000,
                rounds: 3,
                keep: true,
                reuse: true,
            })
        );
    }

    #[test]
    fn a_flag_without_its_number_or_an_unknown_one_is_refused_with_the_usage() {
        assert_eq!(parse(&["--rows"]), Err("--rows takes a number".into()));
        assert!(parse(&["--rounds", "2"])
            .unwrap_err()
            .contains("at least 3"));
        assert!(parse(&["--fast"]).unwrap_err().contains("--reuse"));
    }

    #[test]
    fn rounds_alternate_which_database_is_measured_first() {
        assert_eq!(round_order(0), [Log::Empty, Log::Big]);
        assert_eq!(round_order(1), [Log::Big, Log::Empty]);
        assert_eq!(round_order(2), round_order(0));
    }

    #[test]
    fn a_writer_statement_counts_for_a_drop_when_their_times_overlap() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let statements = [
            (start, ms(1)),          // before the drop
            (start + ms(8), ms(30)), // waited through it
            (start + ms(50), ms(2)), // after it
        ];
        assert_eq!(longest_during(&statements, start + ms(10), ms(20)), 30.0);
        assert_eq!(longest_during(&statements, start + ms(100), ms(5)), 0.0);
    }
}
