//! Every way a process ends drains the API log: a quickstart-shaped server (an `Audit`, its
//! layer, `axum::serve(…).with_graceful_shutdown(pg_audit::shutdown_signal())`, then
//! `audit.shutdown()`) runs as a child process — this test binary started again with
//! `PG_AUDIT_SIGNAL_CHILD` set — gets N requests whose rows wait in the queue (nothing is
//! flushed by time or size), is sent SIGTERM or SIGINT with `kill`, and must exit cleanly
//! having written all N rows.
//!
//! Its own binary (`harness = false`): signals go to a whole process, so the server must not
//! share one with other tests.

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use pg_audit::{Audit, Settings, WriterSettings};
use pg_audit_testing::{fresh_db, TestDb};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the child's environment to the database URL it serves with.
const CHILD_ENV: &str = "PG_AUDIT_SIGNAL_CHILD";
/// Requests sent before the signal.
const REQUESTS: usize = 1000;

fn main() {
    if let Ok(url) = std::env::var(CHILD_ENV) {
        serve_until_signalled(&url);
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tests: [(&str, &str); 2] = [
        (
            "sigterm_stops_the_server_and_drains_every_queued_row",
            "TERM",
        ),
        ("sigint_stops_the_server_and_drains_every_queued_row", "INT"),
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let (mut passed, mut failed) = (0, 0);
    for (name, signal) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(drains_on(signal));
        }));
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    std::process::exit(i32::from(failed > 0));
}

/// The child: the quickstart's shape, with a writer that only writes when drained.
fn serve_until_signalled(url: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let pool = pg_audit::connect(url).await.expect("connect");
        let settings = Settings {
            writer: WriterSettings {
                flush_interval: Duration::from_secs(600),
                batch_size: 100_000,
                queue_capacity: 100_000,
                ..WriterSettings::default()
            },
            ..Settings::default()
        };
        let audit = Audit::builder(pool)
            .settings(settings)
            .start()
            .await
            .expect("start audit");
        let app = Router::new()
            .route(
                "/orders",
                post(|body: Bytes| async move { format!("{{\"received\": {}}}", body.len()) }),
            )
            .layer(audit.layer());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        // Listening for signals before the address is announced: none can be missed.
        let signal = pg_audit::shutdown_signal();
        println!("listening {}", listener.local_addr().expect("address"));
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await
        .expect("serve");
        let stats = audit.shutdown().await;
        println!(
            "drained written={} queued={} dropped={} lost={}",
            stats.written, stats.queued, stats.dropped, stats.lost
        );
    });
}

async fn logged(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit.pg_api_audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap_or(-1)
}

async fn drains_on(signal: &str) {
    let db = fresh_db!().await;
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .env(CHILD_ENV, db.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server process");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("the server announces itself");
    let addr = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();

    let client = reqwest::Client::new();
    for i in 0..REQUESTS {
        let reply = client
            .post(format!("http://{addr}/orders"))
            .body(format!("{{\"n\": {i}}}"))
            .send()
            .await
            .expect("request");
        assert_eq!(reply.status(), 200);
    }
    drop(client);
    assert_eq!(logged(&db).await, 0, "nothing is written before the drain");

    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -{signal}");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the server") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().ok();
            panic!("the server did not stop within 60 s of SIG{signal}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut rest = String::new();
    stdout
        .read_to_string(&mut rest)
        .expect("the server's last words");
    assert!(
        status.success(),
        "the server exits cleanly on SIG{signal}: {status}"
    );
    assert!(
        rest.contains(&format!(
            "drained written={REQUESTS} queued=0 dropped=0 lost=0"
        )),
        "{rest}"
    );
    assert_eq!(
        logged(&db).await,
        REQUESTS as i64,
        "every request is in the log after SIG{signal}"
    );
}
