//! Load benchmark of the `AuditLayer` (a benchmark, not a test: nothing here is asserted).
//!
//! ```text
//! cargo run --release --example bench_http [-- --rounds 5 --requests 2000 --concurrency 16]
//! ```
//!
//! 1. The same axum service, each request doing one audited INSERT (triggers attached,
//!    `pg_audit::begin`), served over real HTTP on loopback with and without `AuditLayer`;
//!    rounds interleaved, medians reported: requests/s with ÷ without, p99 with ÷ without.
//! 2. Peak RSS (VmHWM) during a 100k-request burst while the API-log writer's database
//!    connection is cut through a TCP proxy: the writer keeps at most its queue.
//!
//! Uses `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and its own
//! schemas `bench_http` and `bench_http_audit`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use pg_audit::{Audit, SchemaSettings, Settings};
use pg_audit_testing::{serve, Proxy};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

static TABLES: pg_audit::Tables = pg_audit::audit_tables! { schemas: [bench_http] };

#[pg_audit::audited_handler(user = "bench")]
async fn create(
    State(pool): State<PgPool>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let mut tx = pg_audit::begin(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO bench_http.items (payload) VALUES ($1) RETURNING id")
            .bind(&body)
            .fetch_one(&mut *tx)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    tx.commit()
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(json!({"id": id})))
}

async fn ping(body: Bytes) -> String {
    format!("{{\"received\": {}}}", body.len())
}

/// Sends `total` requests with `concurrency` workers; returns (requests/s, latencies).
async fn load(
    client: &reqwest::Client,
    url: &str,
    total: usize,
    concurrency: usize,
    body: &str,
) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, body, next) = (
            client.clone(),
            url.to_string(),
            body.to_string(),
            next.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let start = Instant::now();
                let ok = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .map(|r| r.status().is_success());
                if !matches!(ok, Ok(true)) {
                    eprintln!("request failed: {ok:?}");
                }
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for worker in workers {
        latencies.extend(worker.await.unwrap_or_default());
    }
    let rps = total as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    (rps, latencies)
}

fn p99(sorted: &[Duration]) -> Duration {
    sorted
        .get((sorted.len() * 99 / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
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

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds = arg("--rounds", 9);
    let requests = arg("--requests", 2000);
    let concurrency = arg("--concurrency", 16);
    let burst = arg("--burst", 100_000);
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let options = PgConnectOptions::from_str(&url)?;
    let pool = PgPoolOptions::new()
        .max_connections(32)
        .connect_with(options.clone())
        .await?;
    sqlx::raw_sql(
        "DROP SCHEMA IF EXISTS bench_http CASCADE;
         DROP SCHEMA IF EXISTS bench_http_audit CASCADE;
         CREATE SCHEMA bench_http;
         CREATE TABLE bench_http.items (id bigserial PRIMARY KEY, payload jsonb NOT NULL);",
    )
    .execute(&pool)
    .await?;
    let settings = Settings {
        schema: SchemaSettings {
            audit_schema: "bench_http_audit".into(),
            ..SchemaSettings::default()
        },
        ..Settings::default()
    };
    let audit = Audit::builder(pool.clone())
        .tables(&TABLES)
        .settings(settings.clone())
        .start()
        .await?;
    let plain = Router::new()
        .route("/items", post(create))
        .with_state(pool.clone());
    let audited = plain.clone().layer(audit.layer());
    let plain_url = format!("http://{}/items", serve(plain).await);
    let audited_url = format!("http://{}/items", serve(audited).await);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let body =
        json!({"name": "widget", "password": "secret", "tags": ["a", "b"], "qty": 3}).to_string();

    // Warm-up.
    load(&client, &plain_url, 500, concurrency, &body).await;
    load(&client, &audited_url, 500, concurrency, &body).await;

    let mut rps_ratio = Vec::new();
    let mut p99_ratio = Vec::new();
    let (mut rps_with, mut rps_without, mut p99_with, mut p99_without) =
        (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        // Alternate which goes first.
        let ((r_without, l_without), (r_with, l_with)) = if round % 2 == 0 {
            let a = load(&client, &plain_url, requests, concurrency, &body).await;
            let b = load(&client, &audited_url, requests, concurrency, &body).await;
            (a, b)
        } else {
            let b = load(&client, &audited_url, requests, concurrency, &body).await;
            let a = load(&client, &plain_url, requests, concurrency, &body).await;
            (a, b)
        };
        let (q_with, q_without) = (
            p99(&l_with).as_secs_f64() * 1e3,
            p99(&l_without).as_secs_f64() * 1e3,
        );
        eprintln!(
            "round {round}: without {r_without:.0} req/s p99 {q_without:.2} ms | with {r_with:.0} req/s p99 {q_with:.2} ms"
        );
        rps_ratio.push(r_with / r_without);
        p99_ratio.push(q_with / q_without);
        rps_with.push(r_with);
        rps_without.push(r_without);
        p99_with.push(q_with);
        p99_without.push(q_without);
    }
    let stats = audit.shutdown().await;

    // Memory while the writer's database is unreachable.
    let upstream = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = Proxy::start(upstream).await;
    let writer_pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(options.clone().host("127.0.0.1").port(proxy.port))
        .await?;
    let cut_audit = Audit::builder(pool.clone())
        .tables(&TABLES)
        .settings(settings.clone())
        .writer_pool(writer_pool)
        .shutdown_timeout(Duration::from_secs(1))
        .start()
        .await?;
    let burst_app = Router::new()
        .route("/ping", post(ping))
        .layer(cut_audit.layer());
    let burst_url = format!("http://{}/ping", serve(burst_app).await);
    let burst_body = json!({"filler": "x".repeat(900), "password": "p"}).to_string();
    proxy.cut();
    let hwm_before = vm_hwm_kib();
    let first = burst / 5;
    load(&client, &burst_url, first, 64, &burst_body).await;
    let hwm_first = vm_hwm_kib();
    let first_stats = cut_audit.stats();
    load(&client, &burst_url, burst - first, 64, &burst_body).await;
    let hwm_all = vm_hwm_kib();
    let burst_stats = cut_audit.stats();
    let final_stats = cut_audit.shutdown().await;

    println!("| measure | without layer | with `AuditLayer` | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| requests/s (median of {rounds} interleaved rounds × {requests} requests, {concurrency} concurrent) | {:.0} | {:.0} | **{:.3}** (median of per-round ratios) |",
        median(rps_without), median(rps_with), median(rps_ratio)
    );
    println!(
        "| p99 latency, ms | {:.2} | {:.2} | **{:.3}** (median of per-round ratios) |",
        median(p99_without),
        median(p99_with),
        median(p99_ratio)
    );
    println!(
        "| API-log rows written during the rounds | – | {} (dropped {}, failed batches {}) | |",
        stats.written, stats.dropped, stats.failed_batches
    );
    println!();
    println!(
        "| writer database cut (queue capacity {}) | peak RSS (VmHWM) | queued | dropped |",
        settings.writer.queue_capacity
    );
    println!("|---|---|---|---|");
    println!(
        "| before the burst | {:.1} MiB | – | – |",
        hwm_before as f64 / 1024.0
    );
    println!(
        "| after {first} requests | {:.1} MiB | {} | {} |",
        hwm_first as f64 / 1024.0,
        first_stats.queued,
        first_stats.dropped
    );
    println!(
        "| after {burst} requests | {:.1} MiB | {} | {} |",
        hwm_all as f64 / 1024.0,
        burst_stats.queued,
        burst_stats.dropped
    );
    println!(
        "| shutdown (1 s wait, database still cut) | – | lost {} | {} |",
        final_stats.lost, final_stats.dropped
    );
    Ok(())
}
