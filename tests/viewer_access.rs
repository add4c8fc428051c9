//! The viewer's access check: it runs before anything else, sees the request, and a refusal
//! is a 403 that touches no audit table.

use axum::Router;
use http::request::Parts;
use pg_audit::viewer::{self, Access, Authorize, ViewerSource};
use pg_audit_testing::{
    create_audit_tables, fresh_db, get, send, serve, write_change, Change, SCHEMA,
};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const ROUTES: [&str; 5] = [
    "/audit",
    "/audit?table=orders&operation=DELETE",
    "/audit/record?schema=public&table=orders&id=1",
    "/audit/requests",
    "/audit/requests/0190f1c2-6a39-7b6e-8a3c-8d4f7a1e2b3c",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_gets_403_before_any_audit_table_is_read() {
    // No audit schema at all: any query would fail with a 500, so a 403 proves none ran.
    let db = fresh_db!().await;
    let checks = Arc::new(AtomicUsize::new(0));
    let counted = checks.clone();
    let refuse = move |_: &Parts| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Access::Deny }
    };
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    let addr = serve(Router::new().nest("/audit", viewer::router(source, refuse))).await;
    for route in ROUTES {
        let reply = get(addr, route).await;
        assert_eq!(reply.status, 403, "{route}: {}", reply.body);
        assert!(reply.body.contains("403 Forbidden"));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    for method in ["POST", "DELETE"] {
        assert_eq!(
            send(addr, method, "/audit", &[]).await.status,
            403,
            "{method} is refused before routing"
        );
    }
    assert_eq!(
        checks.load(Ordering::SeqCst),
        ROUTES.len() + 2,
        "the check ran once per request"
    );
    let audit_schemas: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(audit_schemas, 0);
}

/// An access check that reads a bearer token across an `.await`, as an application's own
/// auth would.
#[derive(Clone)]
struct BearerToken(&'static str);

impl Authorize for BearerToken {
    async fn authorize(&self, parts: &Parts) -> Access {
        tokio::task::yield_now().await;
        let presented = parts
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok());
        Access::from(presented == Some(&format!("Bearer {}", self.0)[..]))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_sees_the_request_headers_and_allows_the_right_token() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let id = write_change(&db, &Change::insert("orders", "1", json!({"id": 1}))).await;
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    let addr =
        serve(Router::new().nest("/audit", viewer::router(source, BearerToken("s3cret")))).await;

    assert_eq!(get(addr, "/audit").await.status, 403, "no token");
    assert_eq!(
        send(addr, "GET", "/audit", &[("Authorization", "Bearer wrong")])
            .await
            .status,
        403
    );
    assert_eq!(
        send(addr, "GET", "/audit", &[("Authorization", "bearer s3cret")])
            .await
            .status,
        403
    );
    for route in ROUTES {
        let reply = send(addr, "GET", route, &[("Authorization", "Bearer s3cret")]).await;
        assert_eq!(reply.status, 200, "{route}: {}", reply.body);
    }
    let reply = send(addr, "GET", "/audit", &[("Authorization", "Bearer s3cret")]).await;
    assert_eq!(reply.row_ids(), [id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closure_returning_a_bool_is_an_access_check() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    let from_loopback_header = |parts: &Parts| {
        let allowed = parts.headers.contains_key("x-audit-viewer");
        async move { allowed }
    };
    let addr =
        serve(Router::new().nest("/audit", viewer::router(source, from_loopback_header))).await;
    assert_eq!(get(addr, "/audit").await.status, 403);
    assert_eq!(
        send(addr, "GET", "/audit", &[("X-Audit-Viewer", "1")])
            .await
            .status,
        200
    );
}

#[test]
fn an_invalid_audit_schema_name_is_refused_up_front() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .connect_lazy(&pg_audit_testing::database_url())
            .unwrap();
        assert!(ViewerSource::new(pool.clone(), "").is_err());
        assert!(ViewerSource::new(pool.clone(), "x".repeat(64)).is_err());
        assert!(ViewerSource::from_settings(pool, &pg_audit::Settings::default()).is_ok());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_without_a_session_is_sent_to_sign_in_with_the_page_it_asked_for() {
    // No audit schema: a redirect proves nothing was read.
    let db = fresh_db!().await;
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    let sign_in = |parts: &Parts| {
        let signed_in = parts.headers.contains_key("cookie");
        async move {
            if signed_in {
                Access::Deny
            } else {
                Access::SignIn("/accounts/login?theme=dark".into())
            }
        }
    };
    let addr = serve(Router::new().nest("/audit", viewer::router(source, sign_in))).await;
    for (route, next) in [
        ("/audit", "%2Faudit"),
        (
            "/audit?table=orders&operation=DELETE",
            "%2Faudit%3Ftable%3Dorders%26operation%3DDELETE",
        ),
        (
            "/audit/requests/0190f1c2-6a39-7b6e-8a3c-8d4f7a1e2b3c",
            "%2Faudit%2Frequests%2F0190f1c2-6a39-7b6e-8a3c-8d4f7a1e2b3c",
        ),
    ] {
        let reply = get(addr, route).await;
        assert_eq!(reply.status, 303, "{route}");
        assert_eq!(
            reply.header("location"),
            Some(format!("/accounts/login?theme=dark&next={next}").as_str()),
            "{route}"
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    assert_eq!(
        send(addr, "GET", "/audit", &[("Cookie", "s=1")])
            .await
            .status,
        403
    );
}
