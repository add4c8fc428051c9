//! The API-log writer through a database outage: its pool goes through a TCP proxy that the
//! test cuts and restores (the shared PostgreSQL server is never stopped); and through a
//! stall, the API-log table locked by another session while the application keeps serving.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use pg_audit::viewer::{self, ViewerSource};
use pg_audit::{Audit, Settings, WriterSettings};
use pg_audit_testing::{eventually, fresh_db, get, serve, Proxy, TestDb};
use sqlx::postgres::PgPoolOptions;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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

#[pg_audit::audited_handler(user = "clerk")]
async fn create_order(State(pool): State<sqlx::PgPool>, body: Bytes) -> Result<String, StatusCode> {
    let mut tx = pg_audit::begin(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let id: i64 = sqlx::query_scalar("INSERT INTO orders (size) VALUES ($1) RETURNING id")
        .bind(body.len() as i64)
        .fetch_one(&mut *tx)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    tx.commit()
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("{{\"id\": {id}}}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_log_table_slows_only_logging_never_the_application_or_its_pool() {
    const REQUESTS: usize = 300;
    const QUEUE_BYTES: usize = 512 * 1024;
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id bigserial PRIMARY KEY, size bigint NOT NULL)")
        .await;
    // The application's own small pool; waiting 2 s for a connection fails its request.
    let app_pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(db.options.clone().application_name("the app"))
        .await
        .expect("app pool");
    let settings = Settings {
        writer: WriterSettings {
            flush_interval: Duration::from_millis(20),
            queue_max_bytes: QUEUE_BYTES,
            attempt_timeout: Duration::from_secs(1),
            ..WriterSettings::default()
        },
        ..Settings::default()
    };
    let audit = Audit::builder(app_pool.clone())
        .settings(settings)
        .start()
        .await
        .expect("start audit");
    let allow_all = |_: &http::request::Parts| std::future::ready(true);
    let app = Router::new()
        .route("/orders", post(create_order))
        .with_state(app_pool.clone())
        .nest(
            "/audit",
            viewer::router(ViewerSource::from(&audit), allow_all),
        )
        .layer(audit.layer());
    let addr = serve(app).await;

    let mut locker = db.connect_as(None).await;
    sqlx::raw_sql("BEGIN; LOCK TABLE audit.pg_api_audit_log IN ACCESS EXCLUSIVE MODE")
        .execute(&mut locker)
        .await
        .expect("lock the API log");
    // A viewer page opened during the lock waits on it, on the viewer's own pool.
    let page = tokio::spawn(get(addr, "/audit/requests"));

    let peak_bytes = Arc::new(AtomicU64::new(0));
    let sampling = {
        let (audit, peak) = (audit.clone(), peak_bytes.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(audit.stats().queued_bytes, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let body = format!("{{\"pad\": \"{}\"}}", "x".repeat(9_900));
    let errors = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    for worker in 0..16 {
        let (body, errors) = (body.clone(), errors.clone());
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for _ in (worker..REQUESTS).step_by(16) {
                let ok = client
                    .post(format!("http://{addr}/orders"))
                    .body(body.clone())
                    .send()
                    .await
                    .is_ok_and(|reply| reply.status() == 200);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for sender in senders {
        sender.await.expect("sender");
    }
    let waiting: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(application_name, '') FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("waiting sessions");
    sampling.abort();
    let during = audit.stats();

    assert_eq!(
        errors.load(Ordering::Relaxed),
        0,
        "every application request succeeded"
    );
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&db.pool)
        .await
        .expect("orders");
    assert_eq!(orders as usize, REQUESTS, "and wrote its row");
    assert!(
        waiting.iter().any(|name| name == "pg-audit viewer"),
        "the open page waits on the lock: {waiting:?}"
    );
    assert!(
        waiting.iter().all(|name| name.starts_with("pg-audit ")),
        "only pg-audit's own connections wait on the log, never the app's: {waiting:?}"
    );
    assert!(
        peak_bytes.load(Ordering::Relaxed) <= QUEUE_BYTES as u64,
        "the queue stays within its byte bound: peak {} bytes",
        peak_bytes.load(Ordering::Relaxed)
    );
    assert_eq!(during.written, 0, "{during:?}");
    assert!(
        during.dropped > 0,
        "beyond the bound rows are dropped and counted: {during:?}"
    );
    assert_eq!(
        during.queued + during.dropped,
        REQUESTS as u64,
        "{during:?}"
    );

    sqlx::raw_sql("COMMIT")
        .execute(&mut locker)
        .await
        .expect("unlock");
    let page = page.await.expect("the page");
    assert_eq!(page.status, 200, "the page is served once the lock is gone");
    assert!(
        eventually(Duration::from_secs(20), || async {
            audit.stats().queued == 0
        })
        .await,
        "{:?}",
        audit.stats()
    );
    let stats = audit.shutdown().await;
    assert_eq!(stats.written + stats.dropped, REQUESTS as u64, "{stats:?}");
    assert_eq!((stats.failed, stats.lost), (0, 0));
    assert_eq!(
        count(&db).await as u64,
        stats.written,
        "counters match the table"
    );
}
