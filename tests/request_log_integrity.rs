//! No request stops, hides or escapes the API log: hostile values (a 3,000-character path
//! and method, a 2 MB user id, a NUL in a user id, header values that are not UTF-8) are
//! logged in a storable form and the ordinary requests after them are all written within the
//! flush interval, with the writer's counters matching the table; a client that goes away
//! before its response is logged with status 499.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use axum::{Json, Router};
use pg_audit::{Audit, Settings, WriterSettings};
use pg_audit_testing::{eventually, fresh_db, serve, TestDb};
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

async fn echo(body: Bytes) -> String {
    format!("{{\"received\": {}}}", body.len())
}

#[derive(Deserialize)]
struct Login {
    username: String,
}

#[pg_audit::audited_handler(user = login.username.clone(), name = "login")]
async fn login(Json(login): Json<Login>) -> &'static str {
    let _ = &login;
    "{}"
}

async fn slow(_body: Bytes) -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "{}"
}

async fn start(db: &TestDb) -> (SocketAddr, Audit) {
    let settings = Settings {
        writer: WriterSettings {
            flush_interval: FLUSH_INTERVAL,
            ..WriterSettings::default()
        },
        ..Settings::default()
    };
    let audit = Audit::builder(db.pool.clone())
        .settings(settings)
        .start()
        .await
        .expect("start audit");
    let app = Router::new()
        .route("/echo", post(echo))
        .route("/items/{id}", post(echo))
        .route("/login", post(login))
        .route("/slow", post(slow))
        .layer(DefaultBodyLimit::max(8 * 1024 * 1024))
        .layer(audit.layer());
    (serve(app).await, audit)
}

/// Sends `head` (request line and headers, as raw bytes) and `body`, and returns the status
/// code the server answered (0 when it closed without one).
async fn raw(addr: SocketAddr, head: &[u8], body: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = head.to_vec();
    request.extend_from_slice(
        format!(
            "Host: test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    request.extend_from_slice(body);
    stream.write_all(&request).await.expect("send");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.ok();
    String::from_utf8_lossy(&reply)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

async fn count(db: &TestDb, condition: &'static str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM audit.pg_api_audit_log WHERE {condition}"
    )))
    .fetch_one(&db.pool)
    .await
    .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_are_logged_storable_and_never_hold_up_the_requests_after_them() {
    let db = fresh_db!().await;
    let (addr, audit) = start(&db).await;
    let client = reqwest::Client::new();
    let post = |path: String, body: String| {
        client
            .post(format!("http://{addr}{path}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let long_path = format!("/{}", "a".repeat(3000));
    assert_eq!(
        post(long_path, "{}".into()).await.expect("send").status(),
        404
    );
    let long_segment = format!("/items/{}", "b".repeat(3000));
    assert_eq!(
        post(long_segment, "{}".into())
            .await
            .expect("send")
            .status(),
        200
    );
    let long_method = format!("{} /echo HTTP/1.1\r\n", "M".repeat(3000));
    let status = raw(addr, long_method.as_bytes(), b"{}").await;
    assert_eq!(status, 405, "a method of any length is answered");
    let huge_user = serde_json::json!({"username": "u".repeat(2 * 1024 * 1024)}).to_string();
    assert_eq!(
        post("/login".into(), huge_user)
            .await
            .expect("send")
            .status(),
        200
    );
    let nul_user = serde_json::json!({"username": "eve\u{0}hidden"}).to_string();
    assert_eq!(
        post("/login".into(), nul_user)
            .await
            .expect("send")
            .status(),
        200
    );
    let mut not_utf8 = b"POST /echo HTTP/1.1\r\nX-Forwarded-For: \xff\xfe\r\nx-request-id: \xc3\x28\r\nUser-Agent: \xe2\x82\r\n".to_vec();
    not_utf8.extend_from_slice(b"X-Note: caf\xe9\r\n");
    assert_eq!(raw(addr, &not_utf8, b"{\"ok\": true}").await, 200);
    let hostile = 6;

    let ordinary = 20;
    for n in 0..ordinary {
        let reply = post("/echo".into(), format!("{{\"n\": {n}}}"))
            .await
            .expect("send");
        assert_eq!(reply.status(), 200);
    }
    let written_in_time = eventually(FLUSH_INTERVAL + Duration::from_secs(3), || async {
        count(&db, "api_name = '/echo' AND request_payload ? 'n'").await == ordinary
    })
    .await;
    assert!(
        written_in_time,
        "the ordinary requests are written right after the hostile ones: {:?}",
        audit.stats()
    );
    assert!(
        eventually(Duration::from_secs(3), || async {
            count(&db, "true").await == hostile + ordinary
        })
        .await,
        "every request is in the log: {:?}",
        audit.stats()
    );

    let stats = audit.stats();
    assert_eq!(stats.written as i64, hostile + ordinary, "{stats:?}");
    assert_eq!(
        (stats.queued, stats.dropped, stats.failed, stats.lost),
        (0, 0, 0, 0)
    );
    assert_eq!(
        count(&db, "api_name = '(unmatched)' AND response_code = 404").await,
        1
    );
    assert_eq!(count(&db, "api_name = '/items/{id}'").await, 1);
    assert_eq!(
        count(&db, "http_method LIKE 'MMMM%' AND octet_length(http_method) <= 32 AND http_method LIKE '%…[cut]' AND response_code = 405").await,
        1,
        "the method is cut to 32 bytes with a marker"
    );
    assert_eq!(
        count(
            &db,
            "api_name = 'login' AND octet_length(user_id) <= 256 AND user_id LIKE 'uuuu%…[cut]'"
        )
        .await,
        1,
        "the 2 MB user id is cut to 256 bytes with a marker"
    );
    assert_eq!(
        count(
            &db,
            "api_name = 'login' AND user_id = 'eve' || chr(65533) || 'hidden'"
        )
        .await,
        1,
        "a NUL in the user id cannot hide the request"
    );
    assert_eq!(
        count(&db, "api_name = '/echo' AND request_payload = '{\"ok\": true}' AND host(ip_address) = '127.0.0.1'").await,
        1,
        "headers that are not UTF-8 are ignored, the request logged"
    );
    let stats = audit.shutdown().await;
    assert_eq!(stats.written as i64, count(&db, "true").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_before_the_response_is_logged_as_499() {
    let db = fresh_db!().await;
    let (addr, audit) = start(&db).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            b"POST /slow HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\": true}",
        )
        .await
        .expect("send");
    // The handler is running (it answers after 30 s); the client gives up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream);
    assert!(
        eventually(Duration::from_secs(5), || async {
            count(&db, "api_name = '/slow' AND response_code = 499").await == 1
        })
        .await,
        "the abandoned request is logged as 499 (client closed request): {:?}",
        audit.stats()
    );
    assert_eq!(
        count(
            &db,
            "api_name = '/slow' AND request_payload = '{\"a\": true}'"
        )
        .await,
        1,
        "with the body the handler read"
    );
    let stats = audit.shutdown().await;
    assert_eq!((stats.written, stats.dropped, stats.failed), (1, 0, 0));
}
