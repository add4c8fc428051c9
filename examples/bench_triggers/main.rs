//! Benchmark of the audit triggers: audited vs plain vs a hand-made row-level trigger, measured
//! in one run with interleaved rounds and medians, then pgbench's own TPC-B workload on an
//! audited database vs a plain one.
//!
//! ```text
//! cargo run --release --example bench_triggers [-- --rounds N --seconds S --only tables|tpcb
//!     --tpcb-scale N --tpcb-seconds S --tpcb-clients N]
//! ```
//!
//! Creates (and drops) its own databases from `DATABASE_URL`. Prints markdown tables with
//! the targets of issue 2: single-row throughput ≥ 0.85 of plain, 100k-row INSERT and UPDATE
//! ≤ 2.5× plain time, ≤ 30 MB of audit table per 100,000 audited rows; and pgbench TPC-B
//! (`pgbench -i -s 10`, then `pgbench -c 2`) ≥ 0.80 of plain TPS.

mod pgbench;
mod statements;
mod tpcb;

use pg_audit::Sql;
use pg_audit_testing::{database_url, fresh_db, public_rules};
use pgbench::Pgbench;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use statements::OnTable;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tpcb::TpcbArgs;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Rows per bulk statement.
const BULK_ROWS: i64 = 100_000;

/// One of the three tables measured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// `public.bench_a`, audited by pg-audit (statement-level, transition tables).
    Audited,
    /// `plain.bench_p`, not audited.
    Plain,
    /// `rowlevel.bench_r`, the hand-made row-level trigger.
    RowLevel,
}

const VARIANTS: [Variant; 3] = [Variant::Audited, Variant::Plain, Variant::RowLevel];

impl Variant {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Variant::Audited => ("public", "bench_a"),
            Variant::Plain => ("plain", "bench_p"),
            Variant::RowLevel => ("rowlevel", "bench_r"),
        }
    }

    fn index(self) -> usize {
        match self {
            Variant::Audited => 0,
            Variant::Plain => 1,
            Variant::RowLevel => 2,
        }
    }
}

/// A single-row operation.
#[derive(Clone, Copy)]
enum Op {
    Insert,
    Update,
    Delete,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Insert => "INSERT",
            Op::Update => "UPDATE",
            Op::Delete => "DELETE",
        }
    }

    fn sql(self, variant: Variant) -> Sql {
        let statement = match self {
            Op::Insert => OnTable::InsertOne,
            Op::Update => OnTable::UpdateOne,
            Op::Delete => OnTable::DeleteOne,
        };
        statement.on(variant.table())
    }
}

/// The live ids of one table's single-row workload: `[low, high)`.
struct LiveIds {
    low: AtomicI64,
    high: AtomicI64,
}

async fn exec(conn: &mut PgConnection, sql: Sql) -> Result<(), BoxError> {
    sqlx::raw_sql(AssertSqlSafe(sql.as_str().to_string()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Runs `op` in autocommit on one connection for `duration`; returns the rows it wrote.
async fn worker(
    mut conn: PgConnection,
    sql: Sql,
    op: Op,
    ids: Arc<LiveIds>,
    duration: Duration,
    seed: u64,
) -> Result<(PgConnection, u64), BoxError> {
    let text = sql.as_str().to_string();
    let mut rng = seed | 1;
    let mut rows = 0u64;
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        let id = match op {
            Op::Insert => ids.high.fetch_add(1, Ordering::Relaxed),
            Op::Update => {
                let (low, high) = (
                    ids.low.load(Ordering::Relaxed),
                    ids.high.load(Ordering::Relaxed),
                );
                if high <= low {
                    break;
                }
                // xorshift: a spread of existing ids without a dependency.
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                low + (rng % (high - low) as u64) as i64
            }
            Op::Delete => {
                let id = ids.low.fetch_add(1, Ordering::Relaxed);
                if id >= ids.high.load(Ordering::Relaxed) {
                    break;
                }
                id
            }
        };
        let done = sqlx::query(AssertSqlSafe(text.clone()))
            .bind(id)
            .execute(&mut conn)
            .await?;
        rows += done.rows_affected();
    }
    Ok((conn, rows))
}

/// Rows per second of `op` on `variant` over the given connections (kept open across
/// rounds, as a pool would, so no measurement pays for plan caching on a new session).
async fn single_row(
    conns: &mut Vec<PgConnection>,
    variant: Variant,
    op: Op,
    ids: &Arc<LiveIds>,
    duration: Duration,
) -> Result<f64, BoxError> {
    let start = Instant::now();
    let tasks: Vec<_> = conns
        .drain(..)
        .enumerate()
        .map(|(n, conn)| {
            tokio::spawn(worker(
                conn,
                op.sql(variant),
                op,
                ids.clone(),
                duration,
                0x9e37_79b9_7f4a_7c15 ^ (n as u64 + 1),
            ))
        })
        .collect();
    let mut rows = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await? {
            Ok((conn, done)) => {
                conns.push(conn);
                rows += done;
            }
            Err(error) => first_error = Some(error),
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }
    Ok(rows as f64 / start.elapsed().as_secs_f64())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Times one bulk INSERT and one bulk UPDATE of `BULK_ROWS` rows on an emptied table.
async fn bulk(conn: &mut PgConnection, variant: Variant) -> Result<(f64, f64), BoxError> {
    let (table_schema, table_name) = variant.table();
    exec(conn, OnTable::Truncate.on((table_schema, table_name))).await?;
    let insert = OnTable::InsertBulk.on((table_schema, table_name));
    let start = Instant::now();
    sqlx::query(AssertSqlSafe(insert.as_str().to_string()))
        .bind(1_i64)
        .bind(BULK_ROWS)
        .execute(&mut *conn)
        .await?;
    let insert_secs = start.elapsed().as_secs_f64();
    let update = OnTable::UpdateBulk.on((table_schema, table_name));
    let start = Instant::now();
    exec(conn, update).await?;
    let update_secs = start.elapsed().as_secs_f64();
    exec(conn, OnTable::Truncate.on((table_schema, table_name))).await?;
    Ok((insert_secs, update_secs))
}

async fn log_size(conn: &mut PgConnection, schema: &str) -> Result<i64, BoxError> {
    let sql = statements::log_size(schema);
    Ok(sqlx::query_scalar(AssertSqlSafe(sql.as_str().to_string()))
        .fetch_one(conn)
        .await?)
}

/// The two parts of the benchmark, for `--only`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The three benchmark tables: single-row, bulk and log size.
    Tables,
    /// pgbench TPC-B, audited vs plain database.
    Tpcb,
}

struct Args {
    rounds: usize,
    seconds: f64,
    /// `None`: both parts.
    only: Option<Part>,
    tpcb: TpcbArgs,
}

impl Args {
    fn runs(&self, part: Part) -> bool {
        self.only.is_none_or(|only| only == part)
    }
}

/// `value` as a number within `range`, or an error naming `flag`.
fn number_in<T>(flag: &str, value: &str, range: std::ops::RangeInclusive<T>) -> Result<T, BoxError>
where
    T: FromStr + PartialOrd + std::fmt::Display,
{
    match value.parse::<T>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(format!(
            "{flag} must be a number in {}..={}, not {value}",
            range.start(),
            range.end()
        )
        .into()),
    }
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        rounds: 5,
        seconds: 0.5,
        only: None,
        tpcb: TpcbArgs {
            scale: 10,
            seconds: 20,
            clients: 2,
        },
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--rounds" => args.rounds = number_in(&arg, &value, 1..=1000)?,
            "--seconds" => args.seconds = number_in(&arg, &value, 0.05..=60.0)?,
            "--only" => {
                args.only = Some(match value.as_str() {
                    "tables" => Part::Tables,
                    "tpcb" => Part::Tpcb,
                    other => return Err(format!("--only takes tables or tpcb, not {other}").into()),
                })
            }
            "--tpcb-scale" => args.tpcb.scale = number_in(&arg, &value, 1..=1000)?,
            "--tpcb-seconds" => args.tpcb.seconds = number_in(&arg, &value, 1..=3600)?,
            "--tpcb-clients" => args.tpcb.clients = number_in(&arg, &value, 1..=100)?,
            other => {
                return Err(format!(
                    "unknown argument {other} (--rounds N, --seconds S, --only tables|tpcb, \
                     --tpcb-scale N, --tpcb-seconds S, --tpcb-clients N)"
                )
                .into())
            }
        }
    }
    Ok(args)
}

fn met(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**no**"
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Errors are printed here, after the databases were dropped on the way out.
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench_triggers: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let args = parse_args()?;
    // Found before anything is measured, so a missing pgbench fails at once.
    let pgbench = if args.runs(Part::Tpcb) {
        let url = database_url();
        Some(Pgbench::find(&PgConnectOptions::from_str(&url)?, &url)?)
    } else {
        None
    };
    if args.runs(Part::Tables) {
        println!("{}", bench_tables(&args).await?);
    }
    if let Some(pgbench) = pgbench {
        println!(
            "{}",
            tpcb::measure(&pgbench, &args.tpcb, args.rounds).await?
        );
    }
    Ok(())
}

/// The three benchmark tables: single-row throughput, bulk statements and log size; the
/// markdown table.
async fn bench_tables(args: &Args) -> Result<String, BoxError> {
    let db = fresh_db!().await;
    let url = db.url();
    let settings = pg_audit::SchemaSettings::default();
    let audit_schema = settings.audit_schema.clone();
    let rules = public_rules();
    let mut conn = PgConnection::connect(&url).await?;
    exec(&mut conn, statements::tables()).await?;
    pg_audit::migrate(&db.pool, &settings, &rules).await?;
    exec(&mut conn, statements::row_trigger(&audit_schema)).await?;

    // Audit bytes per 100k rows, on an empty log.
    let size0 = log_size(&mut conn, &audit_schema).await?;
    let (table_schema, table_name) = Variant::Audited.table();
    sqlx::query(AssertSqlSafe(
        OnTable::InsertBulk
            .on((table_schema, table_name))
            .as_str()
            .to_string(),
    ))
    .bind(1_i64)
    .bind(BULK_ROWS)
    .execute(&mut conn)
    .await?;
    let size1 = log_size(&mut conn, &audit_schema).await?;
    exec(
        &mut conn,
        OnTable::UpdateBulk.on((table_schema, table_name)),
    )
    .await?;
    let size2 = log_size(&mut conn, &audit_schema).await?;
    for variant in VARIANTS {
        let (table_schema, table_name) = variant.table();
        exec(&mut conn, OnTable::Truncate.on((table_schema, table_name))).await?;
    }
    let mb = |bytes: i64| bytes as f64 / 1_000_000.0;
    let insert_mb = mb(size1 - size0);
    let update_mb = mb(size2 - size1);

    // Single-row throughput: [op][connections-1][variant] → rows/s per round.
    let ops = [Op::Insert, Op::Update, Op::Delete];
    let mut single = vec![vec![vec![Vec::new(); 3]; 2]; 3];
    let ids: Vec<Arc<LiveIds>> = (0..3)
        .map(|_| {
            Arc::new(LiveIds {
                low: AtomicI64::new(10_000_000),
                high: AtomicI64::new(10_000_000),
            })
        })
        .collect();
    let duration = Duration::from_secs_f64(args.seconds);
    // [variant][connections-1] → the open connections of that configuration.
    let mut pools: Vec<Vec<Vec<PgConnection>>> = Vec::new();
    for _ in VARIANTS {
        let mut per_variant = Vec::new();
        for connections in [1, 2] {
            let mut conns = Vec::new();
            for _ in 0..connections {
                conns.push(PgConnection::connect(&url).await?);
            }
            per_variant.push(conns);
        }
        pools.push(per_variant);
    }
    // Bulk: [variant] → (insert s, update s) per round.
    let mut bulk_times: Vec<Vec<(f64, f64)>> = vec![Vec::new(); 3];
    for round in 0..args.rounds {
        // Rotate the order so no variant always runs first (or right after another).
        let order: Vec<Variant> = (0..3).map(|i| VARIANTS[(i + round) % 3]).collect();
        for (o, op) in ops.iter().enumerate() {
            for connections in [1, 2] {
                for &variant in &order {
                    let pool = &mut pools[variant.index()][connections - 1];
                    let rate =
                        single_row(pool, variant, *op, &ids[variant.index()], duration).await?;
                    single[o][connections - 1][variant.index()].push(rate);
                }
            }
        }
        for &variant in &order {
            bulk_times[variant.index()].push(bulk(&mut conn, variant).await?);
        }
        eprintln!("round {}/{} done", round + 1, args.rounds);
    }

    let mut out = String::new();
    out.push_str(&format!(
        "Rounds: {}, {} s per single-row measurement, medians; ratios audited ÷ plain (row-level ÷ plain in its column).\n\n",
        args.rounds, args.seconds
    ));
    out.push_str("| Workload | plain | audited (statement-level) | ratio | row-level trigger | ratio | target | met |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---|---|\n");
    for (o, op) in ops.iter().enumerate() {
        for connections in [1, 2] {
            let m: Vec<f64> = (0..3)
                .map(|v| median(&single[o][connections - 1][v]))
                .collect();
            let ratio = m[0] / m[1];
            let row_ratio = m[2] / m[1];
            out.push_str(&format!(
                "| single-row {} ({} conn), rows/s | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} | ≥ 0.85 | {} |\n",
                op.name(),
                connections,
                m[1],
                m[0],
                ratio,
                m[2],
                row_ratio,
                met(ratio >= 0.85)
            ));
        }
    }
    for (label, pick) in [("INSERT", 0usize), ("UPDATE", 1usize)] {
        let m: Vec<f64> = (0..3)
            .map(|v| {
                let times: Vec<f64> = bulk_times[v]
                    .iter()
                    .map(|t| if pick == 0 { t.0 } else { t.1 })
                    .collect();
                median(&times)
            })
            .collect();
        let ratio = m[0] / m[1];
        out.push_str(&format!(
            "| one {label} of 100,000 rows, s | {:.3} | {:.3} | {:.2}× | {:.3} | {:.2}× | ≤ 2.5× | {} |\n",
            m[1],
            m[0],
            ratio,
            m[2],
            m[2] / m[1],
            met(ratio <= 2.5)
        ));
    }
    out.push_str(&format!(
        "| audit log bytes per 100,000 INSERTed rows | | {insert_mb:.1} MB | | | | ≤ 30 MB | {} |\n",
        met(insert_mb <= 30.0)
    ));
    out.push_str(&format!(
        "| audit log bytes per 100,000 UPDATEd rows | | {update_mb:.1} MB | | | | ≤ 30 MB | {} |\n",
        met(update_mb <= 30.0)
    ));
    conn.close().await?;
    db.pool.close().await;
    Ok(out)
}
