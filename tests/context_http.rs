//! The request context end to end: a real axum server on a socket, `#[audited_handler]`, and
//! `pg_audit::begin` inside the handler. Context reaches the audit rows, never leaks between
//! requests through a small pool, and jobs outside HTTP are attributed to their actor.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use axum::{Json, Router};
use pg_audit::{begin, migrate, scope, AuditContext, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules, serve, TestDb};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::net::SocketAddr;

/// Bearer-style auth as apps do it: an extractor yielding the acting user.
struct AuthUser {
    user_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = StatusCode;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let user = parts
            .headers
            .get("x-user")
            .and_then(|v| v.to_str().ok())
            .ok_or(StatusCode::UNAUTHORIZED)?;
        Ok(AuthUser {
            user_id: user.to_string(),
        })
    }
}

fn failed<E: std::fmt::Display>(error: E) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

#[pg_audit::audited_handler(user = auth.user_id, context(tenant = "acme"))]
async fn create(
    auth: AuthUser,
    State(pool): State<PgPool>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, (StatusCode, String)> {
    let mut tx = begin(&pool).await.map_err(failed)?;
    // Yield between statements so requests interleave on the pool's connections.
    tokio::task::yield_now().await;
    sqlx::query("INSERT INTO notes (written_by, body) VALUES ($1, $2)")
        .bind(&auth.user_id)
        .bind(body["text"].as_str().unwrap_or(""))
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
    tokio::task::yield_now().await;
    tx.commit().await.map_err(failed)?;
    let request_id = pg_audit::current().map(|c| c.request_id().to_string());
    Ok(Json(json!({ "request_id": request_id })))
}

#[pg_audit::audited_handler(user = auth.user_id, name = "notes.edit")]
async fn edit(
    auth: AuthUser,
    State(pool): State<PgPool>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, (StatusCode, String)> {
    let mut conn = pool.acquire().await.map_err(failed)?;
    let mut tx = begin(&mut *conn).await.map_err(failed)?;
    sqlx::query("UPDATE notes SET body = body || '!' WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
    tx.commit().await.map_err(failed)?;
    Ok(Json(
        json!({ "request_id": pg_audit::current().map(|c| c.request_id().to_string()) }),
    ))
}

async fn setup(db: TestDb, pool_size: u32) -> (TestDb, PgPool, SocketAddr) {
    db.exec("CREATE TABLE notes (id bigserial PRIMARY KEY, written_by text NOT NULL, body text NOT NULL)").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(pool_size)
        .connect_with(db.options.clone())
        .await
        .unwrap();
    let app = Router::new()
        .route("/notes", post(create))
        .route("/notes/{id}", patch(edit))
        .with_state(pool.clone());
    let addr = serve(app).await;
    (db, pool, addr)
}

#[derive(Debug, sqlx::FromRow)]
struct AuditRow {
    updated_by: Option<String>,
    request_id: Option<String>,
    ip: Option<String>,
    api_name: Option<String>,
    http_method: Option<String>,
    context: Option<Value>,
    is_db_user: bool,
    written_by: Option<String>,
}

async fn audit_rows(db: &TestDb) -> Vec<AuditRow> {
    sqlx::query_as(
        "SELECT updated_by, request_id::text AS request_id, host(ip_address) AS ip, api_name, http_method, context, is_db_user,
                new_data->>'written_by' AS written_by
         FROM audit.pg_audit_log ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_request_context_reaches_the_audit_rows() {
    let (db, _pool, addr) = setup(fresh_db!().await, 4).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("http://{addr}/notes"))
        .header("x-user", "6c1f4a4e-8f0a-4c55-9d36-0c2a8d3f9e11")
        .json(&json!({"text": "hello"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let edited: Value = client
        .patch(format!("http://{addr}/notes/1"))
        .header("x-user", "alice@example.com")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = audit_rows(&db).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0].updated_by.as_deref(),
        Some("6c1f4a4e-8f0a-4c55-9d36-0c2a8d3f9e11")
    );
    assert_eq!(
        rows[0].request_id.as_deref(),
        created["request_id"].as_str()
    );
    assert_eq!(rows[0].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(rows[0].api_name.as_deref(), Some("/notes"));
    assert_eq!(rows[0].http_method.as_deref(), Some("POST"));
    assert_eq!(rows[0].context, Some(json!({"tenant": "acme"})));
    assert!(!rows[0].is_db_user);
    assert_eq!(rows[1].updated_by.as_deref(), Some("alice@example.com"));
    assert_eq!(rows[1].api_name.as_deref(), Some("notes.edit"));
    assert_eq!(rows[1].http_method.as_deref(), Some("PATCH"));
    assert_eq!(rows[1].request_id.as_deref(), edited["request_id"].as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_context_leaks_between_requests_through_a_small_pool() {
    let (db, pool, addr) = setup(fresh_db!().await, 4).await;
    let client = reqwest::Client::new();
    let requests = (0..240).map(|i| {
        let client = client.clone();
        async move {
            let user = format!("user-{i}");
            let response: Value = client
                .post(format!("http://{addr}/notes"))
                .header("x-user", &user)
                .json(&json!({"text": format!("note {i}")}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (user, response["request_id"].as_str().unwrap().to_string())
        }
    });
    let sent: Vec<(String, String)> = futures_join_all(requests).await;
    let rows = audit_rows(&db).await;
    assert_eq!(rows.len(), 240);
    for row in &rows {
        // Each note records who wrote it; its audit row must name the same user, and the
        // request id that request returned.
        assert_eq!(row.updated_by, row.written_by, "{row:?}");
        let expected = sent
            .iter()
            .find(|(user, _)| Some(user) == row.written_by.as_ref())
            .map(|(_, id)| id.as_str());
        assert_eq!(row.request_id.as_deref(), expected, "{row:?}");
    }
    let distinct: std::collections::HashSet<_> =
        rows.iter().map(|r| r.request_id.clone()).collect();
    assert_eq!(distinct.len(), 240);

    // The same pooled connections, written through without any context: nothing carried over.
    for i in 0..8 {
        let mut tx = begin(&pool).await.unwrap();
        sqlx::query("INSERT INTO notes (written_by, body) VALUES ('cron', $1)")
            .bind(format!("plain {i}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let leftovers: Vec<AuditRow> = audit_rows(&db)
        .await
        .into_iter()
        .filter(|r| r.written_by.as_deref() == Some("cron"))
        .collect();
    assert_eq!(leftovers.len(), 8);
    for row in leftovers {
        assert!(
            row.is_db_user
                && row.updated_by.is_none()
                && row.request_id.is_none()
                && row.api_name.is_none(),
            "{row:?}"
        );
    }
}

/// Joins futures concurrently without another dependency: one task each.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_background_job_is_attributed_to_its_actor() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE invoices (id int PRIMARY KEY, status text)")
        .await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db.exec("INSERT INTO invoices VALUES (1, 'open'), (2, 'open')")
        .await;
    let pool = db.pool.clone();
    scope(AuditContext::system("nightly-billing"), async move {
        let mut tx = begin(&pool).await.unwrap();
        sqlx::query("UPDATE invoices SET status = 'due'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    let rows: Vec<(Option<String>, bool, Option<Value>)> = sqlx::query_as(
        "SELECT updated_by, is_db_user, context FROM audit.pg_audit_log WHERE operation = 'UPDATE'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    for (by, is_db_user, context) in rows {
        assert_eq!(by.as_deref(), Some("nightly-billing"));
        assert!(!is_db_user);
        assert_eq!(context, Some(json!({"job": "nightly-billing"})));
    }
}

#[tokio::test]
async fn an_explicit_context_applies_to_an_open_transaction_and_bad_ids_are_refused_in_rust() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE t (id int PRIMARY KEY)").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let error = AuditContext::new()
        .with_request_id_str("42; DROP TABLE t")
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid request id: `42; DROP TABLE t` is not a UUID"
    );
    let ctx = AuditContext::new()
        .with_user("o'brien\\x")
        .unwrap()
        .with_http_method("delete")
        .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    ctx.apply(&mut tx).await.unwrap();
    sqlx::query("INSERT INTO t VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A hostile user id set through begin()'s literal-quoted BEGIN statement stays data.
    let hostile = AuditContext::new()
        .with_user("x', true); DROP TABLE t; --")
        .unwrap();
    let pool = db.pool.clone();
    scope(hostile, async move {
        let mut tx = begin(&pool).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT updated_by, http_method, request_id::text FROM audit.pg_audit_log ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows[0].0.as_deref(), Some("o'brien\\x"));
    assert_eq!(rows[0].1.as_deref(), Some("DELETE"));
    assert_eq!(
        rows[0].2.as_deref(),
        Some(ctx.request_id().to_string().as_str())
    );
    assert_eq!(rows[1].0.as_deref(), Some("x', true); DROP TABLE t; --"));
    let still_there: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(still_there, 2);
}
