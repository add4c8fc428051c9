//! What carrying the request context costs a one-row audited write: throughput of
//! `scope(ctx, begin(&pool) → INSERT → COMMIT)` ÷ `pool.begin() → INSERT → COMMIT`, both on an
//! audited table, measured in one run with interleaved rounds and medians.
//!
//! `cargo run --release --example bench_context [-- --rounds 7 --seconds 1]`

use pg_audit::{begin, migrate, scope, AuditContext, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules};
use sqlx::PgPool;
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn write_rounds(pool: &PgPool, with_context: bool, seconds: u64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut writes = 0u64;
    while Instant::now() < deadline {
        let work = async {
            let mut tx = if with_context {
                begin(pool).await.unwrap()
            } else {
                pool.begin().await.unwrap()
            };
            sqlx::query("INSERT INTO bench_ctx (payload) VALUES ('x')")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        };
        if with_context {
            let ctx = AuditContext::new()
                .with_user("7f1c5e1a-43c2-4d4e-9a0e-7c1b2a3d4e5f")
                .unwrap()
                .with_ip("203.0.113.9".parse().unwrap())
                .with_api_name("/orders")
                .unwrap()
                .with_http_method("POST")
                .unwrap()
                .with_extra("tenant", "acme")
                .unwrap();
            scope(ctx, work).await;
        } else {
            work.await;
        }
        writes += 1;
    }
    writes as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rounds = arg("--rounds", 7);
    let seconds = arg("--seconds", 1);
    let db = fresh_db!().await;
    db.exec("CREATE TABLE bench_ctx (id bigserial PRIMARY KEY, payload text)")
        .await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    write_rounds(&db.pool, true, 1).await; // warm-up
    for round in 0..rounds {
        // Alternate which side goes first, so drift within a round favours neither.
        if round % 2 == 0 {
            without.push(write_rounds(&db.pool, false, seconds).await);
            with.push(write_rounds(&db.pool, true, seconds).await);
        } else {
            with.push(write_rounds(&db.pool, true, seconds).await);
            without.push(write_rounds(&db.pool, false, seconds).await);
        }
    }
    let (with, without) = (median(with), median(without));
    println!("| one-row audited write, autocommit transaction | writes/s (median of {rounds}) |");
    println!("|---|---|");
    println!("| without context (`pool.begin()`) | {without:.0} |");
    println!("| with context (`scope` + `pg_audit::begin`) | {with:.0} |");
    println!(
        "| **ratio with ÷ without** (target ≥ 0.85) | **{:.2}** |",
        with / without
    );
}
