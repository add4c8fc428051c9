//! The viewer over real HTTP against a real PostgreSQL: every filter of both list pages,
//! keyset paging through links, record history diffs, the request page, links under a nest
//! prefix, malformed input, and the headers every page carries.

use axum::Router;
use http::request::Parts;
use pg_audit::viewer::{self, ViewerSource};
use pg_audit_testing::{
    create_audit_tables, fresh_db, get, send, serve, write_change, write_request, Change,
    FiveChanges, Request, TestDb, SCHEMA,
};
use serde_json::json;
use std::collections::HashSet;
use std::net::SocketAddr;
use uuid::Uuid;

fn allow_all(_: &Parts) -> std::future::Ready<bool> {
    std::future::ready(true)
}

/// The viewer nested at `/audit`, as an application mounts it.
async fn audit_viewer(db: &TestDb) -> SocketAddr {
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    serve(Router::new().nest("/audit", viewer::router(source, allow_all))).await
}

async fn ids(addr: SocketAddr, target: &str) -> Vec<i64> {
    let reply = get(addr, target).await;
    assert_eq!(reply.status, 200, "{target}: {}", reply.body);
    reply.row_ids()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_changes_filter_selects_exactly_its_rows() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let FiveChanges {
        request,
        insert,
        update,
        other_order: other,
        billing,
        direct,
    } = FiveChanges::write(&db).await;
    let addr = audit_viewer(&db).await;

    assert_eq!(
        ids(addr, "/audit").await,
        [direct, billing, other, update, insert]
    );
    assert_eq!(
        ids(addr, "/audit?schema=public&table=orders").await,
        [other, update, insert]
    );
    assert_eq!(ids(addr, "/audit?schema=billing").await, [billing]);
    assert_eq!(
        ids(addr, "/audit?table=orders").await,
        [billing, other, update, insert]
    );
    assert_eq!(
        ids(addr, "/audit?schema=public&table=orders&record_id=1").await,
        [update, insert]
    );
    assert_eq!(
        ids(addr, "/audit?operation=update").await,
        [update],
        "operations match in any case"
    );
    assert_eq!(ids(addr, "/audit?operation=DELETE").await, [direct]);
    assert_eq!(ids(addr, "/audit?user=alice").await, [other, insert]);
    assert_eq!(
        ids(addr, &format!("/audit?request_id={request}")).await,
        [update]
    );
    assert_eq!(ids(addr, "/audit?db_user_only=1").await, [direct]);
    assert_eq!(
        ids(addr, "/audit?since=2026-01-01T12:10&until=2026-01-01T12:30").await,
        [other, update]
    );
    assert_eq!(
        ids(addr, "/audit?since=2026-01-01T12:40:00Z").await,
        [direct],
        "RFC 3339 times work too"
    );
    assert_eq!(
        ids(addr, "/audit?since=100000w").await,
        [direct, billing, other, update, insert],
        "an age counts back from now, as `pg-audit log --since` reads it"
    );
    assert_eq!(ids(addr, "/audit?until=100000w").await, Vec::<i64>::new());
    assert_eq!(
        ids(addr, "/audit?user=alice&table=orders&record_id=2").await,
        [other],
        "filters combine"
    );
    assert_eq!(ids(addr, "/audit?user=nobody").await, Vec::<i64>::new());

    let page = get(addr, "/audit?user=alice&db_user_only=").await;
    assert!(
        page.body.contains("value=\"alice\""),
        "the form shows the filter in use"
    );
    assert!(page.body.contains("No changes match") || !page.row_ids().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_and_previous_links_walk_every_row_once() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let mut written = Vec::new();
    for n in 0..23 {
        written.push(
            write_change(
                &db,
                &Change::insert("orders", &n.to_string(), json!({"n": n})).by("pager"),
            )
            .await,
        );
        write_change(
            &db,
            &Change::insert("noise", &n.to_string(), json!({})).by("someone-else"),
        )
        .await;
    }
    written.reverse();
    let addr = audit_viewer(&db).await;

    let first = get(addr, "/audit?user=pager&limit=5").await;
    assert_eq!(first.link("prev"), None, "the first page has no newer page");
    let mut pages = vec![first.row_ids()];
    let mut next = first.link("next");
    while let Some(target) = next {
        assert!(target.starts_with("/audit?"), "{target}");
        assert!(
            target.contains("user=pager") && target.contains("limit=5"),
            "links keep the filters: {target}"
        );
        let reply = get(addr, &target).await;
        assert_eq!(reply.status, 200);
        pages.push(reply.row_ids());
        next = reply.link("next");
        if next.is_none() {
            // Walk back from the last page to the first with the "Newer" links.
            let mut back = reply;
            for expected in pages.iter().rev().skip(1) {
                let target = back
                    .link("prev")
                    .expect("a page reached by a link links back");
                back = get(addr, &target).await;
                assert_eq!(&back.row_ids(), expected);
            }
        }
    }
    assert_eq!(pages.len(), 5);
    let seen: Vec<i64> = pages.concat();
    assert_eq!(seen, written, "no gaps, no duplicates, newest first");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_history_shows_each_update_as_a_field_diff_with_masked_values() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let insert = write_change(
        &db,
        &Change::insert(
            "accounts",
            "7",
            json!({"id": 7, "email": "a@x", "password_hash": "********"}),
        ),
    )
    .await;
    let update = write_change(
        &db,
        &Change::update(
            "accounts",
            "7",
            json!({"id": 7, "email": "a@x", "password_hash": "********"}),
            json!({"id": 7, "email": "b@x", "password_hash": "********"}),
            &["email", "password_hash"],
        )
        .by("alice")
        .at_minute(5),
    )
    .await;
    let delete = write_change(
        &db,
        &Change::delete("accounts", "7", json!({"id": 7, "email": "b@x"}))
            .direct("dba")
            .at_minute(9),
    )
    .await;
    write_change(&db, &Change::insert("accounts", "8", json!({"id": 8}))).await;
    let addr = audit_viewer(&db).await;

    let changes = get(addr, "/audit?table=accounts&record_id=7").await;
    let history = changes.links_of_class("history");
    assert_eq!(history.len(), 3);
    assert_eq!(
        history[0],
        "/audit/record?schema=public&table=accounts&id=7"
    );
    let page = get(addr, &history[0]).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.row_ids(),
        [delete, update, insert],
        "the whole history, newest first, and nothing else"
    );
    let update_item = page
        .body
        .split("data-id=\"")
        .find(|part| part.starts_with(&format!("{update}\"")))
        .unwrap();
    assert!(
        update_item.contains("<tr class=\"changed\">"),
        "changed fields are highlighted"
    );
    let email_row = update_item
        .split("<tr")
        .find(|row| row.contains(">email<"))
        .unwrap();
    assert!(
        email_row.contains("a@x") && email_row.contains("→") && email_row.contains("b@x"),
        "{email_row}"
    );
    let password_row = update_item
        .split("<tr")
        .find(|row| row.contains(">password_hash<"))
        .unwrap();
    assert!(
        password_row.contains("class=\"v-masked\""),
        "masked values are shown as masked: {password_row}"
    );
    assert!(!password_row.contains("********"));
    assert!(
        update_item.contains("1 unchanged field"),
        "unchanged fields are folded away"
    );
    assert!(
        page.body.contains("badge db-user"),
        "a direct write is marked"
    );

    let missing = get(addr, "/audit/record?schema=public&table=accounts").await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("id: missing"), "{}", missing.body);
    let unknown = get(addr, "/audit/record?schema=public&table=accounts&id=nope").await;
    assert_eq!((unknown.status, unknown.row_ids().len()), (200, 0));
    assert!(unknown.body.contains("No changes of this record"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_history_is_paged() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    for n in 0..130 {
        write_change(
            &db,
            &Change::update("orders", "1", json!({"n": n}), json!({"n": n + 1}), &["n"]),
        )
        .await;
    }
    let addr = audit_viewer(&db).await;
    let first = get(addr, "/audit/record?schema=public&table=orders&id=1").await;
    assert_eq!(first.row_ids().len(), 100);
    let second = get(addr, &first.link("next").unwrap()).await;
    assert_eq!(second.row_ids().len(), 30);
    assert_eq!(second.link("next"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_requests_filter_selects_exactly_its_rows_and_a_request_shows_its_changes() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let login = Request::new("POST", "/login", 200, 30.0)
        .by("alice")
        .bodies(
            json!({"user": "alice", "password": "********"}),
            json!({"token": "********"}),
        );
    let login_id = write_request(&db, &login).await;
    let missing = write_request(
        &db,
        &Request::new("GET", "/orders/{id}", 404, 2.0)
            .by("bob")
            .at_minute(1),
    )
    .await;
    let crash = write_request(
        &db,
        &Request::new("POST", "/orders", 500, 1200.0)
            .by("alice")
            .at_minute(2),
    )
    .await;
    let create = Request::new("POST", "/orders", 201, 45.0)
        .by("bob")
        .at_minute(3);
    let create_id = write_request(&db, &create).await;
    let change = write_change(
        &db,
        &Change::insert("orders", "5", json!({"id": 5, "total": 9}))
            .by("bob")
            .in_request(create.request_id, "POST", "/orders"),
    )
    .await;
    let addr = audit_viewer(&db).await;

    assert_eq!(
        ids(addr, "/audit/requests").await,
        [create_id, crash, missing, login_id]
    );
    assert_eq!(
        ids(addr, "/audit/requests?path=%2Forders").await,
        [create_id, crash]
    );
    assert_eq!(ids(addr, "/audit/requests?method=get").await, [missing]);
    assert_eq!(ids(addr, "/audit/requests?status=5xx").await, [crash]);
    assert_eq!(
        ids(addr, "/audit/requests?status=2xx").await,
        [create_id, login_id]
    );
    assert_eq!(ids(addr, "/audit/requests?status=4xx").await, [missing]);
    assert_eq!(
        ids(addr, "/audit/requests?user=alice").await,
        [crash, login_id]
    );
    assert_eq!(ids(addr, "/audit/requests?slow_ms=500").await, [crash]);
    assert_eq!(
        ids(addr, "/audit/requests?slow_ms=40&user=bob").await,
        [create_id]
    );
    assert_eq!(
        ids(
            addr,
            "/audit/requests?since=2026-01-01T12:01&until=2026-01-01T12:03"
        )
        .await,
        [crash, missing]
    );

    let list = get(addr, "/audit/requests?user=bob").await;
    assert!(list
        .body
        .contains(&format!("href=\"/audit/requests/{}\"", create.request_id)));
    let page = get(addr, &format!("/audit/requests/{}", create.request_id)).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.row_ids(),
        [create_id, change],
        "the request, then the data change it made"
    );
    let login_page = get(addr, &format!("/audit/requests/{}", login.request_id)).await;
    assert!(
        login_page
            .body
            .contains("&#34;password&#34;: &#34;********&#34;"),
        "masked payloads are shown as stored"
    );
    assert!(login_page.body.contains("changed no audited rows"));

    let unlogged = Uuid::new_v4();
    write_change(
        &db,
        &Change::insert("orders", "6", json!({})).in_request(unlogged, "GET", "/cron"),
    )
    .await;
    let orphan = get(addr, &format!("/audit/requests/{unlogged}")).await;
    assert_eq!(orphan.status, 200);
    assert!(orphan.body.contains("not in the API log"));
    assert_eq!(
        orphan.row_ids().len(),
        1,
        "its data changes are still listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requests_pages_walk_every_request_once() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let mut written = Vec::new();
    for n in 0..12 {
        written.push(
            write_request(
                &db,
                &Request::new("POST", "/orders", 500, f64::from(n)).at_minute(n.into()),
            )
            .await,
        );
        write_request(&db, &Request::new("POST", "/orders", 200, 1.0)).await;
    }
    written.reverse();
    let addr = audit_viewer(&db).await;
    let mut seen = Vec::new();
    let mut next = Some("/audit/requests?status=5xx&limit=5".to_string());
    while let Some(target) = next {
        assert!(
            target.contains("status=5xx"),
            "links keep the filters: {target}"
        );
        let reply = get(addr, &target).await;
        assert_eq!(reply.status, 200);
        seen.extend(reply.row_ids());
        next = reply.link("next");
    }
    assert_eq!(seen, written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_filters_are_shown_back_with_what_is_wrong() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    write_change(&db, &Change::insert("orders", "1", json!({}))).await;
    let addr = audit_viewer(&db).await;

    let reply = get(
        addr,
        "/audit?request_id=not-a-uuid&operation=MERGE&since=yesterday&before=abc",
    )
    .await;
    assert_eq!(reply.status, 400);
    for problem in [
        "request id: `not-a-uuid` is not a UUID",
        "operation: `MERGE`",
        "since: `yesterday`",
        "before: `abc`",
    ] {
        assert!(
            reply.body.contains(&problem.replace('`', "&#96;")) || reply.body.contains(problem),
            "{problem}"
        );
    }
    assert!(
        reply.body.contains("value=\"not-a-uuid\""),
        "the form keeps what was typed"
    );
    assert!(reply.row_ids().is_empty());

    let reply = get(addr, "/audit/requests?status=9xx&slow_ms=-5").await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("9xx") && reply.body.contains("slow"));
    let reply = get(addr, "/audit/requests/%3Cscript%3E").await;
    assert_eq!(reply.status, 400);
    assert!(!reply.body.contains("<script>"));

    let huge = "x".repeat(20_000);
    let reply = get(addr, &format!("/audit?user={huge}&table=%FF%FE")).await;
    assert_eq!(
        (reply.status, reply.row_ids().len()),
        (200, 0),
        "an oversized or binary value is just a value"
    );
    let reply = get(addr, "/audit?table=a%00b").await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body.contains("table: contains a NUL character"),
        "{}",
        reply.body
    );
    let reply = get(addr, "/audit?limit=99999999999").await;
    assert_eq!(reply.status, 400);
    for limit in ["0", "1001"] {
        let reply = get(addr, &format!("/audit?limit={limit}")).await;
        assert_eq!(reply.status, 400, "limit={limit}");
        assert!(
            reply
                .body
                .contains("is not a number of rows from 1 to 1000"),
            "{}",
            reply.body
        );
    }
    let reply = get(addr, "/audit?limit=1000").await;
    assert_eq!((reply.status, reply.row_ids().len()), (200, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_follow_the_nest_prefix_and_work_at_the_root() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let request = Uuid::new_v4();
    write_change(
        &db,
        &Change::insert("orders", "1", json!({})).in_request(request, "POST", "/orders"),
    )
    .await;
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    let deep = serve(Router::new().nest(
        "/admin/audit-trail",
        viewer::router(source.clone(), allow_all),
    ))
    .await;
    let page = get(deep, "/admin/audit-trail").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/admin/audit-trail/requests\""));
    assert_eq!(
        page.links_of_class("history"),
        ["/admin/audit-trail/record?schema=public&table=orders&id=1"]
    );
    assert!(page
        .body
        .contains(&format!("href=\"/admin/audit-trail/requests/{request}\"")));
    assert_eq!(
        get(
            deep,
            "/admin/audit-trail/record?schema=public&table=orders&id=1"
        )
        .await
        .row_ids()
        .len(),
        1
    );

    let root = serve(viewer::router(source, allow_all)).await;
    let page = get(root, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/requests\""));
    assert_eq!(
        page.links_of_class("history"),
        ["/record?schema=public&table=orders&id=1"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_read_only_uncached_and_allow_no_script() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let addr = audit_viewer(&db).await;
    let page = get(addr, "/audit").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    assert!(!page.body.contains("<script"), "the viewer ships no script");
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let reply = send(addr, method, "/audit", &[]).await;
        assert_eq!(reply.status, 405, "{method} is refused");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_audit_tables_give_a_page_that_says_how_to_fix_it() {
    let db = fresh_db!().await;
    let addr = audit_viewer(&db).await;
    let page = get(addr, "/audit").await;
    assert_eq!(page.status, 500);
    assert!(page.body.contains("pg-audit migrate"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_that_stops_at_its_budget_says_where_and_links_to_the_rest() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    // 20,100 inserts of one table, three deletes among the newest 20,000 and one older,
    // so the walk of 20,000 rows stops with three matches and the rest of the log has one.
    db.exec(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, record_id, updated_at)
         SELECT 'public', 'orders', CASE WHEN g IN (50, 20050, 20060, 20070) THEN 'DELETE' ELSE 'INSERT' END,
                g::text, TIMESTAMPTZ '2026-01-01 00:00:00+00' + g * INTERVAL '1 second'
         FROM generate_series(1, 20100) AS g",
    )
    .await;
    let addr = audit_viewer(&db).await;
    let first = get(addr, "/audit?schema=public&table=orders&operation=DELETE").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.row_ids(), [20070, 20060, 20050]);
    assert!(
        first
            .body
            .contains("The search read 20000 changes, back to #101")
            && first.body.contains("3 of them match, shown below"),
        "{}",
        first.body
    );
    let onwards = first.links_of_class("search-on");
    assert_eq!(onwards.len(), 1);
    assert_eq!(first.link("next").as_ref(), onwards.first());
    let rest = get(addr, &onwards[0]).await;
    assert_eq!(rest.row_ids(), [50]);
    assert!(!rest.body.contains("id=\"searched\""), "{}", rest.body);
    assert_eq!(rest.link("next"), None);
    assert!(rest.link("prev").is_some());

    // Nothing among the rows searched: said as such, with the link onwards.
    let none = get(addr, "/audit?table=orders&operation=UPDATE").await;
    assert!(none.row_ids().is_empty());
    assert!(
        none.body.contains("none of them matches")
            && none.body.contains("No changes match among those searched."),
        "{}",
        none.body
    );
    let last = get(addr, &none.links_of_class("search-on")[0]).await;
    assert!(last.body.contains("No changes match."), "{}", last.body);
    assert!(last.links_of_class("search-on").is_empty());
}
