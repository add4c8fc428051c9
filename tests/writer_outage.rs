//! The API-log writer through a database outage: its pool goes through a TCP proxy that the
//! test cuts and restores (the shared PostgreSQL server is never stopped).

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use pg_audit::{Audit, Settings, WriterSettings};
use pg_audit_testing::{eventually, fresh_db, serve, Proxy, TestDb};
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

async fn echo(body: Bytes) -> String {
    format!("{{\"received\": {}}}", body.len())
}

struct Setup {
    base: String,
    audit: Audit,
    proxy: Proxy,
    client: reqwest::Client,
}

async fn start(db: &TestDb, settings: Settings, shutdown_timeout: Duration) -> Setup {
    let upstream = format!("{}:{}", db.options.get_host(), db.options.get_port());
    let proxy = Proxy::start(upstream).await;
    let writer_pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(db.options.clone().host("127.0.0.1").port(proxy.port))
        .await
        .expect("writer pool through the proxy");
    let audit = Audit::builder(db.pool.clone())
        .settings(settings)
        .writer_pool(writer_pool)
        .shutdown_timeout(shutdown_timeout)
        .start()
        .await
        .expect("start audit");
    let app = Router::new()
        .route("/echo", post(echo))
        .layer(audit.layer());
    Setup {
        base: format!("http://{}", serve(app).await),
        audit,
        proxy,
        client: reqwest::Client::new(),
    }
}

impl Setup {
    async fn send(&self, n: usize) {
        for i in 0..n {
            let reply = self
                .client
                .post(format!("{}/echo", self.base))
                .body(format!("{{\"n\": {i}}}"))
                .send()
                .await
                .expect("request");
            assert_eq!(reply.status(), 200, "requests succeed during the outage");
        }
    }
}

async fn count(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit.pg_api_audit_log")
        .fetch_one(&db.pool)
        .await
        .expect("count")
}

fn fast_settings() -> Settings {
    Settings {
        writer: WriterSettings {
            flush_interval: Duration::from_millis(20),
            ..WriterSettings::default()
        },
        ..Settings::default()
    }
}

#[tokio::test]
async fn outage_mid_run_rows_are_retried_and_written_after_it_returns() {
    let db = fresh_db!().await;
    let setup = start(&db, fast_settings(), Duration::from_secs(10)).await;
    setup.send(5).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            setup.audit.stats().written == 5
        })
        .await
    );

    setup.proxy.cut();
    setup.send(20).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            setup.audit.stats().failed_batches > 0
        })
        .await,
        "the writer saw the outage: {:?}",
        setup.audit.stats()
    );
    assert_eq!(count(&db).await, 5, "nothing written during the outage");
    assert_eq!(setup.audit.stats().queued, 20);

    setup.proxy.restore();
    assert!(
        eventually(Duration::from_secs(20), || async {
            setup.audit.stats().written == 25
        })
        .await,
        "{:?}",
        setup.audit.stats()
    );
    assert_eq!(count(&db).await, 25);
    let stats = setup.audit.shutdown().await;
    assert_eq!((stats.queued, stats.dropped, stats.lost), (0, 0, 0));
}

#[tokio::test]
async fn full_queue_drops_the_newest_rows_and_counts_them() {
    let db = fresh_db!().await;
    let settings = Settings {
        writer: WriterSettings {
            queue_capacity: 5,
            batch_size: 2,
            ..fast_settings().writer
        },
        ..fast_settings()
    };
    let setup = start(&db, settings, Duration::from_secs(10)).await;
    setup.proxy.cut();
    setup.send(30).await;
    let stats = setup.audit.stats();
    // At most the queue plus the batch being retried are kept.
    assert!(stats.dropped >= 30 - 5 - 2, "{stats:?}");
    assert_eq!(stats.queued + stats.dropped, 30, "{stats:?}");
    assert_eq!(stats.written, 0);

    setup.proxy.restore();
    let stats = setup.audit.shutdown().await;
    assert_eq!(stats.written + stats.dropped, 30, "{stats:?}");
    assert_eq!(stats.lost, 0);
    assert_eq!(count(&db).await as u64, stats.written);
}

#[tokio::test]
async fn shutdown_writes_every_queued_row() {
    let db = fresh_db!().await;
    let settings = Settings {
        // Nothing is flushed by time during the test: only shutdown writes.
        writer: WriterSettings {
            flush_interval: Duration::from_secs(600),
            batch_size: 1000,
            ..WriterSettings::default()
        },
        ..Settings::default()
    };
    let setup = start(&db, settings, Duration::from_secs(10)).await;
    setup.send(50).await;
    assert_eq!(count(&db).await, 0);
    let stats = setup.audit.shutdown().await;
    assert_eq!(stats.written, 50, "{stats:?}");
    assert_eq!((stats.queued, stats.dropped, stats.lost), (0, 0, 0));
    assert_eq!(count(&db).await, 50);
    // Requests after shutdown are still served, their rows counted as dropped.
    setup.send(1).await;
    assert_eq!(setup.audit.stats().written, 50);
}

#[tokio::test]
async fn shutdown_with_the_database_unreachable_waits_a_bounded_time_and_reports_the_loss() {
    let db = fresh_db!().await;
    let setup = start(&db, fast_settings(), Duration::from_millis(800)).await;
    setup.proxy.cut();
    setup.send(10).await;
    let started = std::time::Instant::now();
    let stats = setup.audit.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(15), "bounded wait");
    assert_eq!(stats.lost, 10, "{stats:?}");
    assert_eq!((stats.written, stats.queued), (0, 0));
    assert_eq!(count(&db).await, 0);
}

#[tokio::test]
async fn dropping_the_audit_handle_keeps_the_writer_running_under_the_app() {
    let db = fresh_db!().await;
    let audit = Audit::builder(db.pool.clone())
        .settings(fast_settings())
        .start()
        .await
        .expect("start audit");
    let app = Router::new()
        .route("/echo", post(echo))
        .layer(audit.layer());
    drop(audit);
    let base = format!("http://{}", serve(app).await);
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let reply = client
            .post(format!("{base}/echo"))
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(reply.status(), 200);
    }
    assert!(eventually(Duration::from_secs(10), || async { count(&db).await == 3 }).await);
}
