//! Hostile row contents: whatever the audit tables hold — markup in row data, table names,
//! user ids, record ids, request paths and bodies — shows as text, and links built from it
//! still lead to the right record.

use axum::Router;
use http::request::Parts;
use pg_audit::viewer::{self, ViewerSource};
use pg_audit_testing::{
    create_audit_tables, fresh_db, get, serve, unescape, write_change, write_request, Change,
    Request, SCHEMA,
};
use serde_json::json;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(2)>";
const ATTR: &str = "\"><svg onload=alert(3)>";

fn allow_all(_: &Parts) -> std::future::Ready<bool> {
    std::future::ready(true)
}

/// No raw markup from the data, and every hostile string present as escaped text.
fn assert_inert(body: &str, expected_texts: &[&str]) {
    for needle in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "onerror=alert(2)>",
        "\"><svg",
    ] {
        assert!(
            !body.contains(needle),
            "raw markup `{needle}` reached the page"
        );
    }
    let text = unescape(body);
    for expected in expected_texts {
        assert!(text.contains(expected), "`{expected}` is shown as text");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_row_contents_show_as_text_on_every_page() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let table = format!("orders{IMG}");
    let record = format!("1&id=2{ATTR}");
    let request = Request::new("POST", &format!("/orders/{SCRIPT}"), 500, 1.0)
        .by(ATTR)
        .bodies(
            json!({ "note": SCRIPT, IMG: "key" }),
            json!({ "error": ATTR }),
        );
    write_request(&db, &request).await;
    let mut change = Change::update(
        &table,
        &record,
        json!({ "note": "plain", "html": IMG }),
        json!({ "note": SCRIPT, "html": IMG }),
        &["note"],
    )
    .by(SCRIPT)
    .in_request(request.request_id, "POST", &format!("/orders/{SCRIPT}"));
    change.db_user = Some(IMG.to_string());
    change.application_name = ATTR.to_string();
    change.context = Some(json!({ "reason": SCRIPT }));
    let id = write_change(&db, &change).await;
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    let addr = serve(Router::new().nest("/audit", viewer::router(source, allow_all))).await;

    let changes = get(addr, "/audit").await;
    assert_eq!(changes.status, 200);
    assert_inert(&changes.body, &[SCRIPT, &table, &record]);

    let history = changes.links_of_class("history");
    assert_eq!(history.len(), 1);
    let page = get(addr, &history[0]).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.row_ids(),
        [id],
        "the link built from a hostile record id finds that record"
    );
    assert_inert(&page.body, &[SCRIPT, IMG, ATTR, &table, &record, "reason"]);

    let requests = get(addr, "/audit/requests").await;
    assert_inert(&requests.body, &[&format!("/orders/{SCRIPT}"), ATTR]);
    let request_page = get(addr, &format!("/audit/requests/{}", request.request_id)).await;
    assert_eq!(request_page.status, 200);
    assert_inert(&request_page.body, &[SCRIPT, IMG, ATTR]);

    let filtered = get(
        addr,
        &format!("/audit?user={}", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    )
    .await;
    assert_eq!(
        filtered.row_ids(),
        [id],
        "a hostile filter value matches as text"
    );
    assert_inert(&filtered.body, &[SCRIPT]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_in_the_pictures_show_as_text() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let table = format!("orders{IMG}");
    let path = format!("/orders/{SCRIPT}");
    write_change(
        &db,
        &Change::insert(&table, "1", json!({ "note": SCRIPT })).by(ATTR),
    )
    .await;
    write_request(&db, &Request::new("POST", &path, 500, 1.0).by(SCRIPT)).await;
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    let addr = serve(Router::new().nest("/audit", viewer::router(source, allow_all))).await;
    let window = "since=2026-01-01T11:00&until=2026-01-01T13:00";

    let changes = get(
        addr,
        &format!("/audit?{window}&table=orders%3Cimg+src%3Dx+onerror%3Dalert(2)%3E&user=%22%3E%3Csvg+onload%3Dalert(3)%3E"),
    )
    .await;
    assert_eq!(changes.status, 200);
    assert_eq!(changes.tags("<rect class=\"bar")[0]["data-count"], "1");
    assert_inert(
        &changes.body,
        &[&format!("Changes per hour of table {table}, by {ATTR}")],
    );

    let requests = get(
        addr,
        &format!("/audit/requests?{window}&path=%2Forders%2F%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    )
    .await;
    assert_eq!(requests.tags("<rect class=\"bar")[0]["data-series"], "5xx");
    assert_inert(&requests.body, &[&format!("Requests per hour of {path}")]);

    let history = get(
        addr,
        "/audit/record?schema=public&table=orders%3Cimg+src%3Dx+onerror%3Dalert(2)%3E&id=1",
    )
    .await;
    assert_eq!(history.tags("<circle class=\"mark").len(), 1);
    assert_inert(
        &history.body,
        &[&format!("INSERT 2026-01-01 12:00:00.000 UTC by {ATTR}")],
    );
}
