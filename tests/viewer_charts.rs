//! The viewer's pictures over real HTTP against a real PostgreSQL: the Changes page's
//! activity per hour or day and operation, the Requests page's requests per status class,
//! and the record page's timeline — their numbers are the rows written, filters narrow
//! them, empty and over-long windows say so, and a count that stops short marks what it
//! did not reach.

use axum::Router;
use http::request::Parts;
use pg_audit::viewer::{self, ViewerSource};
use pg_audit_testing::{
    create_audit_tables, fresh_db, get, serve, write_change, write_request, Change, FiveChanges,
    Reply, Request, TestDb, SCHEMA,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;

fn allow_all(_: &Parts) -> std::future::Ready<bool> {
    std::future::ready(true)
}

async fn audit_viewer(db: &TestDb) -> SocketAddr {
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    serve(Router::new().nest("/audit", viewer::router(source, allow_all))).await
}

async fn page(addr: SocketAddr, target: &str) -> Reply {
    let reply = get(addr, target).await;
    assert_eq!(reply.status, 200, "{target}: {}", reply.body);
    reply
}

/// The chart's bars as (bucket start, series) → count.
fn bars(reply: &Reply) -> BTreeMap<(String, String), i64> {
    reply
        .tags("<rect class=\"bar")
        .into_iter()
        .map(|bar| {
            (
                (bar["data-bucket"].clone(), bar["data-series"].clone()),
                bar["data-count"].parse().unwrap(),
            )
        })
        .collect()
}

fn counted(reply: &Reply) -> i64 {
    reply.tags("<svg class=\"plot\"")[0]["data-counted"]
        .parse()
        .unwrap()
}

fn bar(bucket: &str, series: &str, count: i64) -> ((String, String), i64) {
    ((bucket.to_string(), series.to_string()), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_changes_chart_counts_each_hour_of_the_window_per_operation() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    // Minutes 0–40 after 12:00: two INSERTs, an UPDATE and a DELETE in public, and an INSERT in billing.
    FiveChanges::write(&db).await;
    for minute in [65, 70, 130] {
        write_change(
            &db,
            &Change::update(
                "orders",
                "1",
                json!({"total": 1}),
                json!({"total": 2}),
                &["total"],
            )
            .by("alice")
            .at_minute(minute),
        )
        .await;
    }
    // Outside the window: not counted.
    write_change(
        &db,
        &Change::insert("orders", "3", json!({})).at_minute(240),
    )
    .await;
    write_change(&db, &Change::insert("orders", "4", json!({})).at_minute(-1)).await;
    let addr = audit_viewer(&db).await;

    let window = "since=2026-01-01T12:00&until=2026-01-01T16:00";
    let changes = page(addr, &format!("/audit?{window}")).await;
    assert_eq!(
        bars(&changes),
        BTreeMap::from([
            bar("2026-01-01T12:00:00+00:00", "INSERT", 3),
            bar("2026-01-01T12:00:00+00:00", "UPDATE", 1),
            bar("2026-01-01T12:00:00+00:00", "DELETE", 1),
            bar("2026-01-01T13:00:00+00:00", "UPDATE", 2),
            bar("2026-01-01T14:00:00+00:00", "UPDATE", 1),
        ])
    );
    assert_eq!(counted(&changes), 8);
    let svg = &changes.tags("<svg class=\"plot\"")[0];
    assert_eq!(svg["data-bucket"], "hour");
    assert!(changes.body.contains("Changes per hour"));
    let legend: Vec<String> = changes
        .tags("<span class=\"mono\"")
        .into_iter()
        .filter_map(|t| t.get("data-series-total").cloned())
        .collect();
    assert_eq!(
        legend,
        ["INSERT", "UPDATE", "DELETE"],
        "the legend lists the operations that occur"
    );
    assert!(changes
        .body
        .contains(r#"data-series-total="INSERT">3</span>"#));
    // The list below shows the same window.
    assert_eq!(changes.row_ids().len(), 8);

    // The chart follows the filters of the list.
    let updates = page(
        addr,
        &format!("/audit?{window}&operation=UPDATE&user=alice"),
    )
    .await;
    assert_eq!(
        bars(&updates),
        BTreeMap::from([
            bar("2026-01-01T13:00:00+00:00", "UPDATE", 2),
            bar("2026-01-01T14:00:00+00:00", "UPDATE", 1),
        ])
    );
    assert!(updates
        .body
        .contains("Changes per hour, UPDATE only, by alice"));
    let billing = page(
        addr,
        &format!("/audit?{window}&schema=billing&table=orders"),
    )
    .await;
    assert_eq!(
        bars(&billing),
        BTreeMap::from([bar("2026-01-01T12:00:00+00:00", "INSERT", 1)])
    );

    // Longer than two days: a bar per day.
    let days = page(addr, "/audit?since=2025-12-30&until=2026-01-03").await;
    assert_eq!(days.tags("<svg class=\"plot\"")[0]["data-bucket"], "day");
    assert_eq!(
        bars(&days),
        BTreeMap::from([
            bar("2026-01-01T00:00:00+00:00", "INSERT", 5),
            bar("2026-01-01T00:00:00+00:00", "UPDATE", 4),
            bar("2026-01-01T00:00:00+00:00", "DELETE", 1),
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requests_chart_counts_requests_per_status_class() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    for (status, minute) in [
        (200, 0),
        (201, 5),
        (204, 70),
        (302, 10),
        (404, 15),
        (422, 75),
        (500, 20),
        (503, 80),
    ] {
        write_request(
            &db,
            &Request::new("POST", "/orders", status, 1.0).at_minute(minute),
        )
        .await;
    }
    write_request(
        &db,
        &Request::new("GET", "/health", 200, 1.0).at_minute(300),
    )
    .await;
    let addr = audit_viewer(&db).await;

    let requests = page(
        addr,
        "/audit/requests?since=2026-01-01T12:00&until=2026-01-01T14:00",
    )
    .await;
    assert_eq!(
        bars(&requests),
        BTreeMap::from([
            bar("2026-01-01T12:00:00+00:00", "2xx", 2),
            bar("2026-01-01T12:00:00+00:00", "3xx", 1),
            bar("2026-01-01T12:00:00+00:00", "4xx", 1),
            bar("2026-01-01T12:00:00+00:00", "5xx", 1),
            bar("2026-01-01T13:00:00+00:00", "2xx", 1),
            bar("2026-01-01T13:00:00+00:00", "4xx", 1),
            bar("2026-01-01T13:00:00+00:00", "5xx", 1),
        ])
    );
    assert_eq!(counted(&requests), 8);
    assert!(requests.body.contains("Requests per hour"));
    let failed = page(
        addr,
        "/audit/requests?since=2026-01-01T12:00&until=2026-01-01T14:00&status=5xx",
    )
    .await;
    assert_eq!(
        bars(&failed),
        BTreeMap::from([
            bar("2026-01-01T12:00:00+00:00", "5xx", 1),
            bar("2026-01-01T13:00:00+00:00", "5xx", 1),
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_window_draws_no_bar_and_says_so() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    FiveChanges::write(&db).await;
    write_request(&db, &Request::new("POST", "/orders", 201, 1.0)).await;
    let addr = audit_viewer(&db).await;
    for (target, text) in [
        (
            "/audit?since=2025-06-01&until=2025-06-02",
            "No changes in this window",
        ),
        (
            "/audit?since=2026-01-01T13:00&until=2026-01-01T12:00",
            "No changes in this window",
        ),
        (
            "/audit/requests?since=2025-06-01&until=2025-06-02",
            "No requests in this window",
        ),
        // The default window is the last 24 hours: the fixtures are older.
        ("/audit", "No changes in this window"),
    ] {
        let reply = page(addr, target).await;
        assert!(bars(&reply).is_empty(), "{target}");
        assert_eq!(counted(&reply), 0, "{target}");
        assert!(reply.body.contains(text), "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_holding_more_than_is_counted_marks_what_the_count_did_not_reach() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    // One change by zed at 12:00, then 20,100 changes a second apart from 12:00, then one
    // more at 18:00.
    db.exec(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, record_id, updated_by, updated_at)
         VALUES ('public', 'orders', 'UPDATE', '7', 'zed', TIMESTAMPTZ '2026-01-01 12:00:00.5+00');
         INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, record_id, updated_at)
         SELECT 'public', 'orders', 'INSERT', g::text, TIMESTAMPTZ '2026-01-01 12:00:00+00' + g * INTERVAL '1 second'
         FROM generate_series(0, 20099) AS g;
         INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, record_id, updated_at)
         VALUES ('public', 'orders', 'DELETE', '1', TIMESTAMPTZ '2026-01-01 18:00:00+00');",
    )
    .await;
    let addr = audit_viewer(&db).await;
    let reply = page(addr, "/audit?since=2026-01-01T12:00&until=2026-01-01T19:00").await;
    assert_eq!(counted(&reply), 20_000);
    // The newest 20,000: the DELETE and 19,999 INSERTs back to 12:01:41 (row 101).
    let shown = bars(&reply);
    assert_eq!(shown.values().sum::<i64>(), 20_000);
    assert_eq!(
        shown[&("2026-01-01T18:00:00+00:00".into(), "DELETE".into())],
        1
    );
    assert_eq!(
        shown[&("2026-01-01T12:00:00+00:00".into(), "INSERT".into())],
        3600 - 101
    );
    assert!(reply.body.contains(
        "the chart counts those among the newest 20000, back to 2026-01-01 12:01:41.000 UTC"
    ));
    // The first hour was reached, so nothing is marked as not counted.
    assert!(reply.tags("<rect class=\"uncounted\"").is_empty());

    // Other filters pick among the rows read: the DELETE is among the newest.
    let deletes = page(
        addr,
        "/audit?since=2026-01-01T12:00&until=2026-01-01T19:00&operation=DELETE",
    )
    .await;
    assert_eq!(counted(&deletes), 1);
    assert!(deletes
        .body
        .contains("the chart counts those among the newest 20000"));
    // A user has an index: the rows read are that user's, all of them.
    let zed = page(
        addr,
        "/audit?since=2026-01-01T12:00&until=2026-01-01T19:00&user=zed",
    )
    .await;
    assert_eq!(
        bars(&zed),
        BTreeMap::from([bar("2026-01-01T12:00:00+00:00", "UPDATE", 1)])
    );
    assert!(
        !zed.body.contains("class=\"chart-note\""),
        "every row of zed was read"
    );

    let later = page(addr, "/audit?since=2026-01-01T10:00&until=2026-01-01T19:00").await;
    assert_eq!(
        later.tags("<rect class=\"uncounted\"").len(),
        1,
        "10:00 and 11:00 lie before the oldest row counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_longer_than_a_chart_spans_is_charted_for_its_last_92_days() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    FiveChanges::write(&db).await;
    write_change(
        &db,
        &Change::insert("orders", "9", json!({})).at_minute(-200 * 24 * 60),
    )
    .await;
    let addr = audit_viewer(&db).await;
    let reply = page(addr, "/audit?since=2025-01-01&until=2026-01-02").await;
    assert!(reply.body.contains(
        "The chart shows the last 92 days of the window (from 2025-10-02 00:00:00.000 UTC)"
    ));
    assert_eq!(
        counted(&reply),
        5,
        "the change 200 days back is listed, not charted"
    );
    assert_eq!(reply.row_ids().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_timeline_has_a_mark_per_change_leading_to_its_entry() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let FiveChanges { insert, update, .. } = FiveChanges::write(&db).await;
    let delete = write_change(
        &db,
        &Change::delete("orders", "1", json!({"id": 1})).at_minute(90),
    )
    .await;
    let addr = audit_viewer(&db).await;
    let reply = page(addr, "/audit/record?schema=public&table=orders&id=1").await;
    let marks: Vec<(String, String)> = reply
        .tags("<circle class=\"mark")
        .into_iter()
        .map(|mark| (mark["data-series"].clone(), mark["cx"].clone()))
        .collect();
    assert_eq!(
        marks
            .iter()
            .map(|(series, _)| series.as_str())
            .collect::<Vec<_>>(),
        ["INSERT", "UPDATE", "DELETE"],
        "oldest first"
    );
    // Placed by time: minutes 0, 10 and 90 of a 90-minute span.
    let x: Vec<f64> = marks.iter().map(|(_, cx)| cx.parse().unwrap()).collect();
    assert!(x[0] < x[1] && x[1] < x[2]);
    assert!(((x[1] - x[0]) / (x[2] - x[0]) - 10.0 / 90.0).abs() < 0.01);
    for id in [insert, update, delete] {
        assert!(
            reply.body.contains(&format!("<a href=\"#change-{id}\">")),
            "{id}"
        );
        assert!(reply.body.contains(&format!("id=\"change-{id}\"")), "{id}");
    }
    let none = page(addr, "/audit/record?schema=public&table=orders&id=404").await;
    assert!(none.tags("<circle class=\"mark").is_empty());
}
