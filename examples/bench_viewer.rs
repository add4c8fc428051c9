//! Benchmark of the audit trail viewer: seeds a log of 1,000,000 data audit rows and
//! 200,000 API requests (one change a second up to now, written in SQL straight into the
//! partitioned log: `common/seeded_log.rs`), serves the viewer on a loopback port, loads
//! each page repeatedly in interleaved rounds and prints the median render time measured
//! inside the server (from the request entering the router to the rendered response leaving
//! it) and as the client saw it, as a markdown table (`common/viewer_pages.rs`, which
//! `bench_scale` times on its 20,000,000-row log too). Target: ≤ 50 ms per page, its chart included (the Changes
//! and Requests pages draw the activity of their window, the record page its timeline;
//! the table says how many rows each chart counted).
//!
//! ```text
//! cargo run --release --example bench_viewer [-- --rows 1000000 --rounds 25 --keep]
//! ```
//!
//! It creates (and, unless `--keep`, drops) its own database on the server of
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

#[path = "common/mod.rs"]
mod common;

use common::seeded_log::{self, Landmarks, LogShape};
use common::{viewer_pages, BoxError};
use pg_audit::SchemaSettings;
use pg_audit_testing::public_rules;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use std::str::FromStr;

const DATABASE: &str = "pg_audit_bench_viewer";

struct Options {
    rows: i64,
    rounds: usize,
    keep: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        rows: 1_000_000,
        rounds: 25,
        keep: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => {
                options.rows = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rows takes a number")?
            }
            "--rounds" => {
                options.rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--rounds takes a number")?
            }
            "--keep" => options.keep = true,
            other => {
                return Err(format!(
                    "unknown argument {other}; use --rows N, --rounds N, --keep"
                ))
            }
        }
    }
    if options.rows < 10_000 {
        return Err(
            "--rows must be at least 10000 (the hot record gets one change in every 1000 rows)"
                .into(),
        );
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = options()?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut admin = PgConnection::connect(&url).await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {DATABASE}")))
        .execute(&mut admin)
        .await?;
    let connect = PgConnectOptions::from_str(&url)?
        .database(DATABASE)
        .disable_statement_logging();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(connect)
        .await?;
    pg_audit::migrate(&pool, &SchemaSettings::default(), &public_rules()).await?;

    // One change a second up to now, as before the log was partitioned, so the windows
    // of the pages hold what they held then; one change in 1000 is of the hot record.
    let now = chrono::Utc::now();
    let shape = LogShape {
        rows: options.rows,
        requests: options.rows / 5,
        from: now - chrono::Duration::seconds(options.rows),
        to: now,
        hot_changes: options.rows / 1000,
    };
    let seeded = seeded_log::seed(&pool, &shape).await?;
    let marks = Landmarks::read(&pool).await?;
    let mut timings = viewer_pages::time_pages(&pool, &marks, options.rounds).await?;

    println!(
        "\nViewer benchmark: {} audit rows, {} API requests (partitions made in {:.1} s, rows written in {:.1} s, VACUUM ANALYZE {:.1} s), {} rounds, target ≤ {} ms at the server\n",
        shape.rows,
        shape.requests,
        seeded.partitions.as_secs_f64(),
        seeded.written.as_secs_f64(),
        seeded.vacuumed.as_secs_f64(),
        options.rounds,
        viewer_pages::TARGET_MS
    );
    viewer_pages::print_pages(&mut timings);

    pool.close().await;
    if !options.keep {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
    }
    Ok(())
}
