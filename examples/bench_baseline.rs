//! Benchmark of the baseline (`pg-audit attach --baseline`): records the rows of a
//! 1,000,000-row table as SNAPSHOT rows while a concurrent writer updates random rows of the
//! same table one at a time, and reports the run's time, its rows per second, and the
//! longest wait of one of the writer's statements (against the writer's median without a
//! baseline running, measured first in the same run).
//!
//! ```text
//! cargo run --release --example bench_baseline [-- --rows 1000000]
//! ```
//!
//! Creates (and drops) its own database from `DATABASE_URL`.

use pg_audit::{attach, baseline, migrate, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Updates random rows one statement at a time until `stop`; returns each statement's time.
async fn writer(pool: sqlx::PgPool, rows: i64, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut waits = Vec::new();
    let mut key: i64 = 7;
    while !stop.load(Ordering::Relaxed) {
        key = (key * 48_271 + 11) % rows + 1;
        let started = Instant::now();
        sqlx::query("UPDATE bench_base SET qty = qty + 1 WHERE id = $1")
            .bind(key)
            .execute(&pool)
            .await
            .expect("the writer's update");
        waits.push(started.elapsed());
    }
    waits
}

fn median(sorted: &[Duration]) -> Duration {
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rows: i64 = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => {
                rows = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--rows takes a number")?
            }
            other => return Err(format!("unknown argument {other}; use --rows N").into()),
        }
    }
    let db = fresh_db!().await;
    db.exec(&format!(
        "CREATE TABLE bench_base (id bigint PRIMARY KEY, name text, qty int, price numeric, note text, updated_at timestamptz);
         INSERT INTO bench_base SELECT g, 'n' || g, g, g * 1.5, 'note', now() FROM generate_series(1, {rows}) AS g;
         ANALYZE bench_base;"
    ))
    .await;
    let settings = SchemaSettings::default();
    migrate(&db.pool, &settings, &public_rules()).await?;
    attach(&db.pool, &settings, &public_rules(), &Default::default()).await?;

    // The writer alone first: its ordinary statement time in this run.
    let stop = Arc::new(AtomicBool::new(false));
    let alone = tokio::spawn(writer(db.pool.clone(), rows, stop.clone()));
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    let mut alone = alone.await?;
    alone.sort();

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(writer(db.pool.clone(), rows, stop.clone()));
    let started = Instant::now();
    let report = baseline(&db.pool, &settings, &public_rules(), |_| {}).await?;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut during = during.await?;
    during.sort();

    let recorded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_log WHERE operation = 'SNAPSHOT'")
            .fetch_one(&db.pool)
            .await?;
    assert_eq!(recorded, rows, "every row recorded once");
    println!("| rows | baseline time | rows/s | writer statements during it | writer median alone | writer median during | writer longest during |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.1} s | {:.0} | {} | {:.2} ms | {:.2} ms | {:.1} ms |",
        report.rows(),
        elapsed.as_secs_f64(),
        report.rows() as f64 / elapsed.as_secs_f64(),
        during.len(),
        median(&alone).as_secs_f64() * 1e3,
        median(&during).as_secs_f64() * 1e3,
        during.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    Ok(())
}
