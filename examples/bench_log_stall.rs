//! The API log stalled: its table locked (`LOCK TABLE … IN ACCESS EXCLUSIVE MODE`, held by
//! another session) while the application keeps serving. A benchmark, not a test: nothing
//! here is asserted.
//!
//! ```text
//! cargo run --release --example bench_log_stall [-- --rounds 5 --requests 2000 --concurrency 16]
//! ```
//!
//! 1. Application requests/s and errors with the log table locked ÷ unlocked: the same
//!    service (one audited INSERT per request on the application's own 8-connection pool,
//!    the `AuditLayer` logging every request through the writer's own pool), rounds
//!    interleaved, the queue drained before each round, medians and the median ratio.
//! 2. Peak RSS (VmHWM of this process, which also runs the HTTP client) with the log table
//!    locked, first while 20,000 requests send 10 KB bodies (the default
//!    `max_payload_size` is 10,000 bytes), then while 600 requests send bodies of the largest
//!    size a raised limit logs (1 MiB): the queue's byte bound (32 MiB) holds either way.
//!
//! Uses `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and its own
//! schemas `bench_stall` and `bench_stall_audit`.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use pg_audit::{Audit, LayerSettings, SchemaSettings, Settings, WriterStats};
use pg_audit_testing::serve;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

static TABLES: pg_audit::Tables = pg_audit::audit_tables! { schemas: [bench_stall] };

#[pg_audit::audited_handler(user = "bench")]
async fn create(State(pool): State<PgPool>, body: Bytes) -> Result<String, StatusCode> {
    let mut tx = pg_audit::begin(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO bench_stall.items (size) VALUES ($1) RETURNING id")
            .bind(body.len() as i64)
            .fetch_one(&mut *tx)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    tx.commit()
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("{{\"id\": {id}}}"))
}

/// Sends `total` requests with `concurrency` workers; returns (requests/s, failed requests).
async fn load(url: &str, total: usize, concurrency: usize, body: &Bytes) -> (f64, usize) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap_or_default();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, body, next, failed) = (
            client.clone(),
            url.to_string(),
            body.clone(),
            next.clone(),
            failed.clone(),
        );
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let ok = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for worker in workers {
        worker.await.ok();
    }
    (
        total as f64 / started.elapsed().as_secs_f64(),
        failed.load(Ordering::Relaxed),
    )
}

/// Holds `ACCESS EXCLUSIVE` on the API-log table until dropped (or `release`d).
struct TableLock(PgConnection);

impl TableLock {
    async fn take(options: &PgConnectOptions, schema: &str) -> Result<Self, sqlx::Error> {
        let mut connection = PgConnection::connect_with(options).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "BEGIN; LOCK TABLE {schema}.pg_api_audit_log IN ACCESS EXCLUSIVE MODE"
        )))
        .execute(&mut connection)
        .await?;
        Ok(TableLock(connection))
    }

    async fn release(mut self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql("COMMIT").execute(&mut self.0).await?;
        self.0.close().await
    }
}

async fn drained(audit: &Audit) -> WriterStats {
    let started = Instant::now();
    while audit.stats().queued > 0 && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    audit.stats()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A JSON body of `size` bytes.
fn body_of(size: usize) -> Bytes {
    let filler = size.saturating_sub(r#"{"pad": ""}"#.len());
    Bytes::from(format!("{{\"pad\": \"{}\"}}", "x".repeat(filler)))
}

/// Starts an audited service with these layer settings; returns its URL and the handle.
async fn service(
    pool: &PgPool,
    layer: LayerSettings,
) -> Result<(String, Audit), Box<dyn std::error::Error>> {
    let settings = Settings {
        schema: SchemaSettings {
            audit_schema: "bench_stall_audit".into(),
            ..SchemaSettings::default()
        },
        layer,
        ..Settings::default()
    };
    let audit = Audit::builder(pool.clone())
        .tables(&TABLES)
        .settings(settings)
        .shutdown_timeout(Duration::from_secs(30))
        .start()
        .await?;
    let app = Router::new()
        .route("/items", post(create))
        .with_state(pool.clone())
        .layer(DefaultBodyLimit::max(4 * 1024 * 1024))
        .layer(audit.layer());
    Ok((format!("http://{}/items", serve(app).await), audit))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds = arg("--rounds", 5);
    let requests = arg("--requests", 2000);
    let concurrency = arg("--concurrency", 16);
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let options = PgConnectOptions::from_str(&url)?;
    // The application's own pool: the log must never take it.
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.clone())
        .await?;
    sqlx::raw_sql(
        "DROP SCHEMA IF EXISTS bench_stall CASCADE;
         DROP SCHEMA IF EXISTS bench_stall_audit CASCADE;
         CREATE SCHEMA bench_stall;
         CREATE TABLE bench_stall.items (id bigserial PRIMARY KEY, size bigint NOT NULL);",
    )
    .execute(&pool)
    .await?;
    let hwm_start = vm_hwm_kib();

    // 1. Requests/s with the log table locked ÷ unlocked.
    let (items_url, audit) = service(&pool, LayerSettings::default()).await?;
    let small = body_of(200);
    load(&items_url, 500, concurrency, &small).await;
    drained(&audit).await;
    let (mut unlocked_rps, mut locked_rps, mut ratios) = (vec![], vec![], vec![]);
    let (mut unlocked_errors, mut locked_errors) = (0, 0);
    for round in 0..rounds {
        let mut measured = [(0.0, 0); 2];
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for locked in order {
            drained(&audit).await;
            let lock = if locked {
                Some(TableLock::take(&options, "bench_stall_audit").await?)
            } else {
                None
            };
            measured[usize::from(locked)] = load(&items_url, requests, concurrency, &small).await;
            if let Some(lock) = lock {
                lock.release().await?;
            }
        }
        let [(free, free_errors), (stalled, stalled_errors)] = measured;
        eprintln!(
            "round {round}: unlocked {free:.0} req/s ({free_errors} errors) | locked {stalled:.0} req/s ({stalled_errors} errors) | queued after: {}",
            audit.stats().queued
        );
        unlocked_rps.push(free);
        locked_rps.push(stalled);
        ratios.push(stalled / free);
        unlocked_errors += free_errors;
        locked_errors += stalled_errors;
    }
    drained(&audit).await;
    let stall_stats = audit.shutdown().await;
    let hwm_rounds = vm_hwm_kib();

    // 2. Peak RSS with the log table locked: 10 KB bodies, then 1 MiB bodies.
    let (ten_kb_url, ten_kb_audit) = service(&pool, LayerSettings::default()).await?;
    let lock = TableLock::take(&options, "bench_stall_audit").await?;
    let ten_kb = body_of(10_000);
    let (_, ten_kb_errors) = load(&ten_kb_url, 20_000, concurrency, &ten_kb).await;
    let ten_kb_stats = ten_kb_audit.stats();
    let hwm_ten_kb = vm_hwm_kib();
    lock.release().await?;
    let ten_kb_final = ten_kb_audit.shutdown().await;

    let max_size = 1024 * 1024;
    let raised = LayerSettings {
        max_payload_size: max_size,
        ..LayerSettings::default()
    };
    let (max_url, max_audit) = service(&pool, raised).await?;
    let lock = TableLock::take(&options, "bench_stall_audit").await?;
    let largest = body_of(max_size);
    let (_, max_errors) = load(&max_url, 600, concurrency, &largest).await;
    let max_stats = max_audit.stats();
    let hwm_max = vm_hwm_kib();
    lock.release().await?;
    let max_final = max_audit.shutdown().await;

    println!("| log table | requests/s (median of {rounds} interleaved rounds × {requests} requests, {concurrency} concurrent) | failed requests (all rounds) |");
    println!("|---|---|---|");
    println!(
        "| unlocked | {:.0} | {unlocked_errors} |",
        median(unlocked_rps)
    );
    println!(
        "| locked (`ACCESS EXCLUSIVE`, held for the whole round) | {:.0} | {locked_errors} |",
        median(locked_rps)
    );
    println!(
        "| locked ÷ unlocked | **{:.3}** (median of per-round ratios) | |",
        median(ratios)
    );
    println!(
        "\nwriter over the rounds: written {}, dropped {}, failed {}, failed attempts {}, lost {}",
        stall_stats.written,
        stall_stats.dropped,
        stall_stats.failed,
        stall_stats.failed_batches,
        stall_stats.lost
    );
    println!();
    println!("| log table locked, queue bound 32 MiB | peak RSS (VmHWM) | queued rows (bytes) | dropped | failed requests |");
    println!("|---|---|---|---|---|");
    println!("| start | {:.1} MiB | – | – | – |", mib(hwm_start));
    println!(
        "| after the throughput rounds | {:.1} MiB | – | – | – |",
        mib(hwm_rounds)
    );
    println!(
        "| 20,000 requests × 10 KB bodies | {:.1} MiB | {} ({:.1} MiB) | {} | {ten_kb_errors} |",
        mib(hwm_ten_kb),
        ten_kb_stats.queued,
        ten_kb_stats.queued_bytes as f64 / 1048576.0,
        ten_kb_stats.dropped
    );
    println!(
        "| 600 requests × 1 MiB bodies (`max_payload_size` = 1 MiB) | {:.1} MiB | {} ({:.1} MiB) | {} | {max_errors} |",
        mib(hwm_max),
        max_stats.queued,
        max_stats.queued_bytes as f64 / 1048576.0,
        max_stats.dropped
    );
    println!(
        "\nonce unlocked: 10 KB run written {} dropped {} lost {}; 1 MiB run written {} dropped {} lost {}",
        ten_kb_final.written,
        ten_kb_final.dropped,
        ten_kb_final.lost,
        max_final.written,
        max_final.dropped,
        max_final.lost
    );
    Ok(())
}
