//! The `AuditLayer` over real HTTP on an ephemeral port, writing to a real PostgreSQL.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use pg_audit::{Audit, LayerSettings, Settings};
use pg_audit_testing::{fresh_db, post_chunked, serve, TestDb};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex as AsyncMutex};
use uuid::Uuid;

#[derive(Clone)]
struct AppState {
    pool: sqlx::PgPool,
    stream_chunks: Arc<AsyncMutex<Option<mpsc::Receiver<Bytes>>>>,
}

async fn echo_len(body: Bytes) -> String {
    format!("{{\"received\": {}}}", body.len())
}

async fn echo_json(Json(value): Json<Value>) -> Json<Value> {
    Json(value)
}

async fn items() -> Json<Value> {
    json!({"items": [1, 2]}).into()
}

#[pg_audit::audited_handler(user = "reader", log_get)]
async fn items_logged() -> Json<Value> {
    json!({"items": [3]}).into()
}

async fn boom(_body: Bytes) -> &'static str {
    panic!("handler exploded on purpose")
}

async fn stream(State(state): State<AppState>) -> Response {
    let receiver = state.stream_chunks.lock().await.take();
    let chunks = futures_util::stream::unfold(receiver, |receiver| async move {
        let mut receiver = receiver?;
        let chunk = receiver.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(chunk), Some(receiver)))
    });
    Response::new(Body::from_stream(chunks))
}

async fn endless(_body: Bytes) -> Response {
    let chunks = futures_util::stream::unfold(0u64, |n| async move {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Some((
            Ok::<_, std::convert::Infallible>(Bytes::from(format!("data: {n}\n\n"))),
            n + 1,
        ))
    });
    Response::new(Body::from_stream(chunks))
}

#[pg_audit::audited_handler(user = "clerk", name = "orders.create")]
async fn create_order(
    State(state): State<AppState>,
    Json(order): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let total = order["total"].as_i64().ok_or(StatusCode::BAD_REQUEST)?;
    let mut tx = pg_audit::begin(&state.pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let id: i64 = sqlx::query_scalar("INSERT INTO orders (total) VALUES ($1) RETURNING id")
        .bind(total)
        .fetch_one(&mut *tx)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    tx.commit()
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(json!({"id": id, "total": total})))
}

struct Server {
    addr: SocketAddr,
    base: String,
    audit: Audit,
    client: reqwest::Client,
    chunks: Option<mpsc::Sender<Bytes>>,
}

async fn start(db: &TestDb, settings: Settings) -> Server {
    db.exec("CREATE TABLE orders (id bigserial PRIMARY KEY, total bigint NOT NULL)")
        .await;
    let audit = Audit::builder(db.pool.clone())
        .settings(settings)
        .start()
        .await
        .expect("start audit");
    let (sender, receiver) = mpsc::channel(4);
    let state = AppState {
        pool: db.pool.clone(),
        stream_chunks: Arc::new(AsyncMutex::new(Some(receiver))),
    };
    let app = Router::new()
        .route("/echo", post(echo_len))
        .route("/json", post(echo_json))
        .route("/items", get(items))
        .route("/items/logged", get(items_logged))
        .route("/boom", post(boom))
        .route("/stream", post(stream))
        .route("/endless", post(endless))
        .route("/orders", post(create_order))
        .route("/admin/users", post(echo_len))
        .route("/administrators", post(echo_len))
        .with_state(state)
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .layer(audit.layer());
    let addr = serve(app).await;
    Server {
        addr,
        base: format!("http://{addr}"),
        audit,
        client: reqwest::Client::new(),
        chunks: Some(sender),
    }
}

impl Server {
    async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// Shuts the writer down (writing everything queued) and returns every API-log row.
    async fn rows(&self, db: &TestDb) -> Vec<ApiRow> {
        let stats = self.audit.shutdown().await;
        assert_eq!(stats.lost, 0, "{stats:?}");
        sqlx::query_as(
            "SELECT request_id, api_name, http_method, request_payload, response_body, \
             response_code, user_id, host(ip_address) AS ip, duration_ms \
             FROM audit.pg_api_audit_log ORDER BY id",
        )
        .fetch_all(&db.pool)
        .await
        .expect("read api log")
    }
}

#[derive(Debug, sqlx::FromRow)]
struct ApiRow {
    request_id: Uuid,
    api_name: Option<String>,
    http_method: String,
    request_payload: Option<Value>,
    response_body: Option<Value>,
    response_code: i32,
    user_id: Option<String>,
    ip: Option<String>,
    duration_ms: f64,
}

#[tokio::test]
async fn ten_megabyte_body_reaches_the_handler_whole_and_is_logged_as_too_large() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    // Chunked (no content-length): the layer only learns the size by streaming it.
    let response = post_chunked(server.addr, "/echo", 10_000_000, 64 * 1024).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        response.body.contains("{\"received\": 10000000}"),
        "{}",
        response.body
    );
    // With content-length too.
    let body = vec![b'{'; 10_000_000];
    let reply = server.post("/echo", body).await;
    assert_eq!(
        reply.text().await.expect("text"),
        "{\"received\": 10000000}"
    );
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(
            row.request_payload,
            Some(json!({"message": "Payload too large (>10000 bytes)"}))
        );
        assert_eq!(row.response_body, Some(json!({"received": 10000000})));
        assert_eq!(row.response_code, 200);
        assert_eq!(row.http_method, "POST");
        assert_eq!(row.api_name.as_deref(), Some("/echo"));
        assert!(row.duration_ms >= 0.0);
    }
}

#[tokio::test]
async fn invalid_utf8_and_malformed_json_are_logged_as_non_json() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    let invalid_utf8 = vec![0xff, 0xfe, b'{', 0xc3, 0x28];
    assert_eq!(server.post("/echo", invalid_utf8).await.status(), 200);
    assert_eq!(server.post("/echo", "{\"a\": [1, 2").await.status(), 200);
    assert_eq!(server.post("/echo", "").await.status(), 200);
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0].request_payload,
        Some(json!({"raw": "Non-JSON payload"}))
    );
    assert_eq!(
        rows[1].request_payload,
        Some(json!({"raw": "Non-JSON payload"}))
    );
    assert_eq!(rows[2].request_payload, None, "an empty body is NULL");
}

#[tokio::test]
async fn sensitive_keys_are_masked_at_any_depth_case_insensitively() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    let body = json!({
        "user": "ann",
        "PassWord": "hunter2",
        "profile": {"cards": [{"Credit_Card": "4111", "label": "main"}], "API_KEY": {"k": 1}},
        "text\u{0}nul": "a\u{0}b"
    });
    let reply = server.post("/json", body.to_string()).await;
    assert_eq!(
        reply.json_value().await,
        body,
        "the handler saw the unmasked body"
    );
    let rows = server.rows(&db).await;
    let masked = json!({
        "user": "ann",
        "PassWord": "********",
        "profile": {"cards": [{"Credit_Card": "********", "label": "main"}], "API_KEY": "********"},
        "text\u{FFFD}nul": "a\u{FFFD}b"
    });
    assert_eq!(rows[0].request_payload, Some(masked.clone()));
    assert_eq!(rows[0].response_body, Some(masked));
    let text = serde_json::to_string(&rows[0].request_payload).expect("json");
    assert!(!text.contains("hunter2") && !text.contains("4111"));
}

#[tokio::test]
async fn look_alike_and_compound_secret_keys_are_masked_and_allowed_keys_are_kept() {
    let db = fresh_db!().await;
    let settings = Settings {
        layer: LayerSettings {
            unmasked_fields: vec!["token_count".into()],
            ..LayerSettings::default()
        },
        ..Settings::default()
    };
    let server = start(&db, settings).await;
    let secrets = [
        "access_token",
        "refresh_token",
        "client_secret",
        "new_password",
        "passwd",
        "pwd",
        "api-key",
        "bearer",
        "cookie",
        "ｐａｓｓｗｏｒｄ",
        "p\u{0430}ssword",
        "pass\u{200B}word",
        "password ",
        "Set-Cookie",
        "X-Api-Key",
    ];
    let mut body = serde_json::Map::new();
    for (i, key) in secrets.iter().enumerate() {
        body.insert(key.to_string(), json!(format!("leak-{i}")));
    }
    body.insert("username".into(), json!("ann"));
    body.insert("token_count".into(), json!(3));
    body.insert("tokenCount".into(), json!(4));
    body.insert(
        "nested".into(),
        json!([{"session": {"accessToken": "leak-deep"}}]),
    );
    let reply = server.post("/json", Value::Object(body).to_string()).await;
    assert_eq!(reply.status(), 200);
    let rows = server.rows(&db).await;
    let stored = rows[0].request_payload.clone().expect("a payload");
    for key in secrets {
        assert_eq!(
            stored[key],
            json!("********"),
            "{key:?} is masked: {stored}"
        );
    }
    assert_eq!(stored["username"], json!("ann"));
    assert_eq!(stored["token_count"], json!(3), "allowed");
    assert_eq!(
        stored["tokenCount"],
        json!(4),
        "allowed after normalization"
    );
    assert_eq!(
        stored["nested"][0]["session"]["accessToken"],
        json!("********")
    );
    let text: String =
        sqlx::query_scalar("SELECT request_payload::text FROM audit.pg_api_audit_log")
            .fetch_one(&db.pool)
            .await
            .expect("payload text");
    assert!(
        !text.contains("leak-"),
        "no secret reached the table: {text}"
    );
}

#[tokio::test]
async fn an_unmatched_route_is_logged_by_a_placeholder_not_its_path() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    let secret_path = format!("/reset-password/s3cr3t-t0ken-{}", "x".repeat(3000));
    let reply = server.post(&secret_path, "{}").await;
    assert_eq!(reply.status(), 404);
    let reply = server.post("/echo", "{}").await;
    assert_eq!(reply.status(), 200);
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].api_name.as_deref(), Some(pg_audit::UNMATCHED_ROUTE));
    assert_eq!(pg_audit::UNMATCHED_ROUTE, "(unmatched)");
    assert_eq!(rows[0].response_code, 404);
    assert_eq!(
        rows[1].api_name.as_deref(),
        Some("/echo"),
        "a matched route keeps its path"
    );
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit.pg_api_audit_log WHERE api_name LIKE '%s3cr3t%'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(leaked, 0);
}

trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        serde_json::from_slice(&self.bytes().await.expect("body")).expect("json body")
    }
}

#[tokio::test]
async fn spoofed_x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    for header in ["203.0.113.66", "garbage, ,", "for=1.2.3.4"] {
        let reply = server
            .client
            .post(format!("{}/echo", server.base))
            .header("x-forwarded-for", header)
            .header("forwarded", "for=198.51.100.1")
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(reply.status(), 200);
    }
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
    }
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_is_honoured() {
    let db = fresh_db!().await;
    let layer = LayerSettings {
        trusted_proxies: vec![
            "127.0.0.0/8".parse().expect("net"),
            "10.0.0.0/8".parse().expect("net"),
        ],
        ..LayerSettings::default()
    };
    let settings = Settings {
        layer,
        ..Settings::default()
    };
    let server = start(&db, settings).await;
    let cases = [
        ("x-forwarded-for", "203.0.113.5, 198.51.100.7, 10.1.2.3"),
        (
            "forwarded",
            "for=192.0.2.60;proto=http, for=\"[2001:db8::17]:4711\"",
        ),
        ("x-forwarded-for", "203.0.113.5, not-an-address"),
    ];
    for (name, value) in cases {
        let reply = server
            .client
            .post(format!("{}/echo", server.base))
            .header(name, value)
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(reply.status(), 200);
    }
    let rows = server.rows(&db).await;
    let ips: Vec<_> = rows
        .iter()
        .map(|r| r.ip.clone().unwrap_or_default())
        .collect();
    // Right-most untrusted address; a malformed header falls back to the peer.
    assert_eq!(ips, ["198.51.100.7", "2001:db8::17", "127.0.0.1"]);
}

#[tokio::test]
async fn non_uuid_request_id_is_replaced_and_the_new_one_echoed() {
    let db = fresh_db!().await;
    let settings = Settings {
        layer: LayerSettings {
            trust_request_id_header: true,
            ..LayerSettings::default()
        },
        ..Settings::default()
    };
    let server = start(&db, settings).await;
    let reply = server
        .client
        .post(format!("{}/echo", server.base))
        .header("x-request-id", "'); DROP TABLE orders; --")
        .body("{}")
        .send()
        .await
        .expect("request");
    let echoed = reply.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    let echoed = Uuid::parse_str(&echoed).expect("a uuid is echoed");
    assert_eq!(echoed.get_version_num(), 7);
    let rows = server.rows(&db).await;
    assert_eq!(rows[0].request_id, echoed);
}

#[tokio::test]
async fn valid_request_id_is_kept_only_when_trusted() {
    let incoming = "0192f4c3-1f2e-7a4b-8c5d-6e7f80910a1b";
    for trust in [true, false] {
        let db = fresh_db!().await;
        let settings = Settings {
            layer: LayerSettings {
                trust_request_id_header: trust,
                ..LayerSettings::default()
            },
            ..Settings::default()
        };
        let server = start(&db, settings).await;
        let reply = server
            .client
            .post(format!("{}/echo", server.base))
            .header("x-request-id", incoming)
            .body("{}")
            .send()
            .await
            .expect("request");
        let echoed = reply.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert_eq!(echoed == incoming, trust);
        let rows = server.rows(&db).await;
        assert_eq!(rows[0].request_id.to_string(), echoed);
    }
}

#[tokio::test]
async fn excluded_paths_match_whole_segments() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    let excluded = server.post("/admin/users", "{}").await;
    assert_eq!(excluded.status(), 200);
    assert!(excluded.headers().contains_key("x-request-id"));
    assert_eq!(server.post("/administrators", "{}").await.status(), 200);
    let rows = server.rows(&db).await;
    let names: Vec<_> = rows
        .iter()
        .map(|r| r.api_name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["/administrators"]);
}

#[tokio::test]
async fn get_requests_are_logged_only_with_log_get() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    for path in ["/items", "/items/logged"] {
        let reply = server
            .client
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("get");
        assert_eq!(reply.status(), 200);
    }
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 1, "only the handler annotated log_get");
    assert_eq!(rows[0].api_name.as_deref(), Some("/items/logged"));
    assert_eq!(rows[0].user_id.as_deref(), Some("reader"));
    assert_eq!(rows[0].response_body, Some(json!({"items": [3]})));

    let db = fresh_db!().await;
    let settings = Settings {
        layer: LayerSettings {
            log_get_requests: true,
            ..LayerSettings::default()
        },
        ..Settings::default()
    };
    let server = start(&db, settings).await;
    let reply = server
        .client
        .get(format!("{}/items", server.base))
        .send()
        .await
        .expect("get");
    assert_eq!(reply.status(), 200);
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].http_method, "GET");
}

#[tokio::test]
async fn streaming_response_is_not_buffered() {
    let db = fresh_db!().await;
    let mut server = start(&db, Settings::default()).await;
    let chunks = server.chunks.take().expect("sender");
    chunks
        .send(Bytes::from_static(b"first chunk\n"))
        .await
        .expect("send");
    let mut reply = server.post("/stream", "{}").await;
    // The stream has not ended: the first chunk must arrive anyway.
    let first = tokio::time::timeout(Duration::from_secs(10), reply.chunk())
        .await
        .expect("the first chunk arrived before the stream ended")
        .expect("chunk")
        .expect("some chunk");
    assert_eq!(&first[..], b"first chunk\n");
    chunks
        .send(Bytes::from_static(b"second chunk\n"))
        .await
        .expect("send");
    drop(chunks);
    let mut rest = Vec::new();
    while let Some(chunk) = reply.chunk().await.expect("chunk") {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(rest, b"second chunk\n");
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].response_code, 200);
    assert_eq!(
        rows[0].response_body,
        Some(json!({"raw": "Non-JSON payload"}))
    );
}

#[tokio::test]
async fn response_dropped_by_the_client_mid_stream_is_still_logged() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    let mut reply = server.post("/endless", "{\"a\": 1}").await;
    let first = reply.chunk().await.expect("chunk").expect("first chunk");
    assert!(first.starts_with(b"data: 0"));
    drop(reply); // the client goes away; the stream never ends
    let logged = pg_audit_testing::eventually(Duration::from_secs(20), || async {
        let stats = server.audit.stats();
        stats.queued + stats.written == 1
    })
    .await;
    assert!(
        logged,
        "the dropped body queued its row: {:?}",
        server.audit.stats()
    );
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].api_name.as_deref(), Some("/endless"));
    assert_eq!(rows[0].request_payload, Some(json!({"a": 1})));
    assert_eq!(
        rows[0].response_body,
        Some(json!({"raw": "Non-JSON payload"}))
    );
}

#[tokio::test]
async fn handler_panic_answers_and_logs_500() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    let reply = server.post("/boom", "{\"password\": \"p\"}").await;
    assert_eq!(reply.status(), 500);
    let echoed = reply.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    // The server survives.
    assert_eq!(server.post("/echo", "{}").await.status(), 200);
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].response_code, 500);
    assert_eq!(rows[0].request_id.to_string(), echoed);
    assert_eq!(
        rows[0].request_payload,
        Some(json!({"password": "********"}))
    );
}

#[tokio::test]
async fn concurrent_requests_link_api_rows_to_their_data_rows() {
    let db = fresh_db!().await;
    let server = start(&db, Settings::default()).await;
    let server = Arc::new(server);
    let mut tasks = Vec::new();
    for i in 0..500 {
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            let reply = server.post("/orders", format!("{{\"total\": {i}}}")).await;
            assert_eq!(reply.status(), 200);
            let id = Uuid::parse_str(reply.headers()["x-request-id"].to_str().expect("ascii"))
                .expect("uuid");
            let body = reply.json_value().await;
            (id, body["id"].as_i64().expect("order id"))
        }));
    }
    let mut sent = Vec::new();
    for task in tasks {
        sent.push(task.await.expect("task"));
    }
    let rows = server.rows(&db).await;
    assert_eq!(rows.len(), 500);
    let unmatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit.pg_api_audit_log a \
         WHERE (SELECT count(*) FROM audit.pg_audit_log d WHERE d.request_id = a.request_id) <> 1",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(unmatched, 0, "every API row links to exactly one data row");
    for (request_id, order_id) in sent {
        let (record_id, user, api): (String, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT record_id, updated_by, api_name FROM audit.pg_audit_log WHERE request_id = $1",
        )
        .bind(request_id)
        .fetch_one(&db.pool)
        .await
        .expect("data row");
        assert_eq!(record_id, order_id.to_string());
        assert_eq!(user.as_deref(), Some("clerk"));
        assert_eq!(api.as_deref(), Some("orders.create"));
    }
    let users: Vec<Option<String>> = rows.iter().map(|r| r.user_id.clone()).collect();
    assert!(users.iter().all(|u| u.as_deref() == Some("clerk")));
}
