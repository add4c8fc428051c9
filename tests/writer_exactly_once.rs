//! The API-log writer writes each request exactly once when the database stalls longer than
//! its attempt timeout: the timed-out INSERT may still commit on the server, and the batch
//! sent again must then find its rows (unique (request_id, created_at), ON CONFLICT DO
//! NOTHING). Afterwards the writer's counters match the table.

use axum::routing::post;
use axum::Router;
use pg_audit::{Audit, Settings, WriterSettings};
use pg_audit_testing::{eventually, fresh_db, serve, Proxy, TestDb};
use sqlx::postgres::PgPoolOptions;
use sqlx::Connection;
use std::time::Duration;

const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);

fn settings() -> Settings {
    Settings {
        writer: WriterSettings {
            flush_interval: Duration::from_millis(20),
            attempt_timeout: ATTEMPT_TIMEOUT,
            ..WriterSettings::default()
        },
        ..Settings::default()
    }
}

async fn app(audit: &Audit) -> String {
    let app = Router::new()
        .route("/ping", post(|| async { "pong" }))
        .layer(audit.layer());
    format!("http://{}", serve(app).await)
}

/// Sends `n` requests; returns the request ids the responses carry.
async fn send(base: &str, n: usize) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let reply = client
            .post(format!("{base}/ping"))
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(reply.status(), 200);
        ids.push(
            reply
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .expect("request id")
                .to_string(),
        );
    }
    ids
}

/// How many rows each request id has in the log, for the ids sent.
async fn copies(db: &TestDb, ids: &[String]) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT count(l.id) FROM unnest($1::uuid[]) AS sent(id) \
         LEFT JOIN audit.pg_api_audit_log AS l ON l.request_id = sent.id \
         GROUP BY sent.id ORDER BY sent.id",
    )
    .bind(
        ids.iter()
            .map(|id| id.parse::<uuid::Uuid>().unwrap())
            .collect::<Vec<_>>(),
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

async fn rows(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit.pg_api_audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Waits until the queue is empty, then a while longer for INSERTs that timed out on the
/// client but may still be running on the server, then checks every id is there once and
/// the counters match the table.
async fn assert_each_written_once(db: &TestDb, audit: &Audit, ids: &[String]) {
    assert!(
        eventually(Duration::from_secs(30), || async {
            audit.stats().queued == 0
        })
        .await,
        "the queue drains: {:?}",
        audit.stats()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        copies(db, ids).await,
        vec![1; ids.len()],
        "each request once"
    );
    let stats = audit.stats();
    assert_eq!(stats.written as i64, rows(db).await, "{stats:?}");
    assert_eq!(
        (stats.dropped, stats.failed, stats.lost),
        (0, 0, 0),
        "{stats:?}"
    );
    assert!(
        stats.failed_batches > 0,
        "the stall made attempts time out: {stats:?}"
    );
}

/// Locks the API-log table, sends 30 requests, holds the lock for several attempt timeouts,
/// releases it, and checks each request is written once.
async fn lock_stall(db: &TestDb, audit: Audit) {
    let base = app(&audit).await;
    let mut locker = sqlx::PgConnection::connect_with(&db.options).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE audit.pg_api_audit_log IN ACCESS EXCLUSIVE MODE")
        .execute(&mut locker)
        .await
        .unwrap();
    let ids = send(&base, 30).await;
    tokio::time::sleep(ATTEMPT_TIMEOUT * 6).await;
    assert_eq!(audit.stats().queued, 30);
    sqlx::raw_sql("COMMIT").execute(&mut locker).await.unwrap();
    assert_each_written_once(db, &audit, &ids).await;
    audit.shutdown().await;
}

#[tokio::test]
async fn a_log_table_locked_longer_than_the_attempt_timeout_gets_each_request_once() {
    // The writer's own pool: its statement timeout cancels each timed-out INSERT on the
    // server too.
    let db = fresh_db!().await;
    let audit = Audit::builder(db.pool.clone())
        .settings(settings())
        .start()
        .await
        .unwrap();
    lock_stall(&db, audit).await;
}

#[tokio::test]
async fn with_a_writer_pool_without_statement_timeout_a_locked_log_table_gets_each_request_once() {
    // A pool of the application's, without a statement timeout: the batch is sent again on
    // other connections while the timed-out INSERTs may still wait for the lock.
    let db = fresh_db!().await;
    let audit = Audit::builder(db.pool.clone())
        .settings(settings())
        .writer_pool(db.pool.clone())
        .start()
        .await
        .unwrap();
    lock_stall(&db, audit).await;
}

#[tokio::test]
async fn replies_held_past_the_attempt_timeout_then_cut_mid_commit_write_nothing_twice() {
    let db = fresh_db!().await;
    let upstream = format!("{}:{}", db.options.get_host(), db.options.get_port());
    let proxy = Proxy::start(upstream).await;
    let writer_pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(1))
        // The INSERT itself must reach the server, not a liveness ping before it.
        .test_before_acquire(false)
        .connect_with(db.options.clone().host("127.0.0.1").port(proxy.port))
        .await
        .unwrap();
    let audit = Audit::builder(db.pool.clone())
        .settings(settings())
        .writer_pool(writer_pool)
        .start()
        .await
        .unwrap();
    let base = app(&audit).await;
    let before = send(&base, 5).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            audit.stats().queued == 0
        })
        .await
    );
    // The server runs and commits each INSERT; its replies are held, so the writer times
    // out and sends the batch again.
    proxy.stall();
    let during = send(&base, 20).await;
    assert!(
        eventually(Duration::from_secs(10), || async { rows(&db).await == 25 }).await,
        "the held-back INSERTs committed on the server"
    );
    tokio::time::sleep(ATTEMPT_TIMEOUT * 4).await;
    // Every connection dropped with its commit unacknowledged.
    proxy.cut();
    proxy.resume();
    tokio::time::sleep(ATTEMPT_TIMEOUT).await;
    proxy.restore();
    let ids: Vec<String> = before.into_iter().chain(during).collect();
    assert_each_written_once(&db, &audit, &ids).await;
    audit.shutdown().await;
}
