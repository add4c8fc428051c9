//! The query API against a real PostgreSQL: every filter of both tables, keyset paging
//! without gaps or duplicates, and clear errors for a missing or hostile audit schema.

use chrono::Duration;
use pg_audit::query::{self, ApiLogFilter, AuditLogFilter, JsonText, Operation, StatusClass};
use pg_audit_testing::{
    create_audit_tables, epoch, fresh_db, write_change, write_request, Change, FiveChanges,
    Request, TestDb, SCHEMA,
};
use serde_json::{json, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// A stored JSON value, parsed for comparison.
fn value(json: &Option<JsonText>) -> Option<Value> {
    json.as_ref()
        .map(|j| j.parse().expect("stored JSON parses"))
}

async fn ids(db: &TestDb, filter: &AuditLogFilter) -> Vec<i64> {
    query::audit_log(&db.pool, SCHEMA, filter)
        .await
        .unwrap()
        .entries
        .iter()
        .map(|e| e.id)
        .collect()
}

async fn api_ids(db: &TestDb, filter: &ApiLogFilter) -> Vec<i64> {
    query::api_log(&db.pool, SCHEMA, filter)
        .await
        .unwrap()
        .entries
        .iter()
        .map(|e| e.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_audit_log_filter_selects_exactly_its_rows() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let FiveChanges {
        request,
        insert: order_insert,
        update: order_update,
        other_order,
        billing,
        direct,
    } = FiveChanges::write(&db).await;

    assert_eq!(
        ids(&db, &AuditLogFilter::default()).await,
        [direct, billing, other_order, order_update, order_insert]
    );
    assert_eq!(
        ids(&db, &AuditLogFilter::table("public", "orders")).await,
        [other_order, order_update, order_insert]
    );
    assert_eq!(
        ids(&db, &AuditLogFilter::record("public", "orders", "1")).await,
        [order_update, order_insert]
    );
    assert_eq!(
        ids(
            &db,
            &AuditLogFilter {
                schema: Some("billing".into()),
                ..Default::default()
            }
        )
        .await,
        [billing]
    );
    assert_eq!(
        ids(
            &db,
            &AuditLogFilter {
                table: Some("orders".into()),
                ..Default::default()
            }
        )
        .await,
        [billing, other_order, order_update, order_insert]
    );
    assert_eq!(
        ids(&db, &AuditLogFilter::by_user("alice")).await,
        [other_order, order_insert]
    );
    assert_eq!(
        ids(&db, &AuditLogFilter::by_request(request)).await,
        [order_update]
    );
    assert_eq!(
        ids(&db, &AuditLogFilter::default().operation(Operation::Update)).await,
        [order_update]
    );
    assert_eq!(
        ids(
            &db,
            &AuditLogFilter::default().operation(Operation::Truncate)
        )
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(ids(&db, &AuditLogFilter::db_writes()).await, [direct]);
    assert_eq!(
        ids(
            &db,
            &AuditLogFilter::default().between(
                Some(epoch() + Duration::minutes(10)),
                Some(epoch() + Duration::minutes(30))
            )
        )
        .await,
        [other_order, order_update],
        "since is inclusive, until exclusive"
    );
    assert_eq!(
        ids(
            &db,
            &AuditLogFilter::record("public", "orders", "1")
                .operation(Operation::Insert)
                .between(Some(epoch()), None)
        )
        .await,
        [order_insert],
        "conditions combine with AND"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_carries_every_contract_column() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let request = Uuid::new_v4();
    let id = write_change(
        &db,
        &Change::update(
            "orders",
            "1",
            json!({"total": 5, "note": "a"}),
            json!({"total": 7, "note": "a"}),
            &["total"],
        )
        .by("bob")
        .in_request(request, "PATCH", "/orders/{id}")
        .with_ip("2001:db8::1")
        .at_minute(3),
    )
    .await;
    let entry = query::audit_log(&db.pool, SCHEMA, &AuditLogFilter::default())
        .await
        .unwrap()
        .entries
        .remove(0);
    assert_eq!(entry.id, id);
    assert_eq!(
        (
            entry.schema_name.as_str(),
            entry.table_name.as_str(),
            entry.operation.as_str()
        ),
        ("public", "orders", "UPDATE")
    );
    assert_eq!(
        value(&entry.old_data),
        Some(json!({"total": 5, "note": "a"}))
    );
    assert_eq!(
        value(&entry.new_data),
        Some(json!({"total": 7, "note": "a"}))
    );
    assert_eq!(entry.changed_field_names(), ["total"]);
    assert_eq!(entry.record_id.as_deref(), Some("1"));
    assert_eq!(entry.ip_address, Some("2001:db8::1".parse().unwrap()));
    assert_eq!(entry.updated_at, epoch() + Duration::minutes(3));
    assert_eq!(entry.updated_by.as_deref(), Some("bob"));
    assert!(!entry.is_db_user);
    assert_eq!(entry.db_user.as_deref(), Some("app"));
    assert_eq!(entry.application_name.as_deref(), Some("fixture"));
    assert_eq!(
        (entry.api_name.as_deref(), entry.http_method.as_deref()),
        (Some("/orders/{id}"), Some("PATCH"))
    );
    assert_eq!(entry.request_id, Some(request));
    assert!(entry.transaction_id.is_some());
    assert_eq!(entry.context, None);
    // Through JSON text, as `pg-audit log --json` writes them: the stored JSON byte for byte.
    let round_trip: query::AuditLogEntry =
        serde_json::from_str(&serde_json::to_string(&entry).unwrap()).unwrap();
    assert_eq!(round_trip, entry, "entries survive serde");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_pages_cover_the_log_without_gaps_or_duplicates_both_ways() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let mut written = Vec::new();
    for n in 0..23 {
        written.push(
            write_change(
                &db,
                &Change::insert("orders", &n.to_string(), json!({"id": n})).at_minute(n),
            )
            .await,
        );
    }
    // Rows of another table interleave and must not shift the pages of this one.
    for n in 0..5 {
        write_change(
            &db,
            &Change::insert("noise", &n.to_string(), json!({})).at_minute(n),
        )
        .await;
    }
    written.reverse();

    let mut filter = AuditLogFilter::table("public", "orders").limit(5);
    let mut pages = Vec::new();
    loop {
        let page = query::audit_log(&db.pool, SCHEMA, &filter).await.unwrap();
        pages.push(page.clone());
        match page.older {
            Some(cursor) => {
                filter = AuditLogFilter::table("public", "orders")
                    .limit(5)
                    .before(cursor)
            }
            None => break,
        }
    }
    let seen: Vec<i64> = pages
        .iter()
        .flat_map(|p| p.entries.iter().map(|e| e.id))
        .collect();
    assert_eq!(
        seen, written,
        "pages concatenate to the whole table, newest first"
    );
    assert_eq!(pages.len(), 5);
    assert_eq!(pages[0].newer, None, "the first page has no newer page");
    assert_eq!(pages[4].entries.len(), 3);

    // Walking back from the last page with `newer` gives the same pages in reverse.
    let mut back = pages[4].clone();
    for expected in pages.iter().rev().skip(1) {
        let cursor = back
            .newer
            .expect("a page reached by cursor links to newer rows");
        back = query::audit_log(
            &db.pool,
            SCHEMA,
            &AuditLogFilter::table("public", "orders")
                .limit(5)
                .after(cursor),
        )
        .await
        .unwrap();
        assert_eq!(back.entries, expected.entries);
    }
    assert_eq!(back.newer, None, "walking back ends at the first page");
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_of_zero_or_beyond_the_maximum_is_clamped() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    for n in 0..3 {
        write_change(&db, &Change::insert("orders", &n.to_string(), json!({}))).await;
    }
    let page = query::audit_log(&db.pool, SCHEMA, &AuditLogFilter::default().limit(0))
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
    assert!(page.older.is_some());
    let page = query::audit_log(&db.pool, SCHEMA, &AuditLogFilter::default().limit(u32::MAX))
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 3);
    assert_eq!(page.older, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_log_filter_selects_exactly_its_rows() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let created = write_request(
        &db,
        &Request::new("POST", "/orders", 201, 12.0)
            .by("alice")
            .at_minute(0),
    )
    .await;
    let missing = write_request(
        &db,
        &Request::new("GET", "/orders/{id}", 404, 3.0)
            .by("bob")
            .at_minute(10),
    )
    .await;
    let crashed = write_request(
        &db,
        &Request::new("POST", "/orders", 500, 900.0)
            .by("alice")
            .at_minute(20),
    )
    .await;
    let slow_ok = write_request(
        &db,
        &Request::new("DELETE", "/orders/{id}", 204, 650.0).at_minute(30),
    )
    .await;
    let target = Request::new("PATCH", "/orders/{id}", 200, 40.0).at_minute(40);
    let patched = write_request(&db, &target).await;

    assert_eq!(
        api_ids(&db, &ApiLogFilter::default()).await,
        [patched, slow_ok, crashed, missing, created]
    );
    assert_eq!(
        api_ids(
            &db,
            &ApiLogFilter {
                path: Some("/orders".into()),
                ..Default::default()
            }
        )
        .await,
        [crashed, created],
        "the path matches the API name exactly"
    );
    assert_eq!(
        api_ids(
            &db,
            &ApiLogFilter {
                method: Some("post".into()),
                ..Default::default()
            }
        )
        .await,
        [crashed, created],
        "methods compare in upper case"
    );
    assert_eq!(
        api_ids(
            &db,
            &ApiLogFilter {
                status_class: Some(StatusClass::Success),
                ..Default::default()
            }
        )
        .await,
        [patched, slow_ok, created]
    );
    assert_eq!(
        api_ids(&db, &ApiLogFilter::failed()).await,
        [crashed, missing]
    );
    assert_eq!(
        api_ids(
            &db,
            &ApiLogFilter {
                status_class: Some(StatusClass::ClientError),
                ..Default::default()
            }
        )
        .await,
        [missing]
    );
    assert_eq!(
        api_ids(&db, &ApiLogFilter::by_user("alice")).await,
        [crashed, created]
    );
    assert_eq!(
        api_ids(&db, &ApiLogFilter::slower_than(500.0)).await,
        [slow_ok, crashed]
    );
    assert_eq!(
        api_ids(
            &db,
            &ApiLogFilter {
                request_id: Some(target.request_id),
                ..Default::default()
            }
        )
        .await,
        [patched]
    );
    assert_eq!(
        api_ids(
            &db,
            &ApiLogFilter {
                since: Some(epoch() + Duration::minutes(10)),
                until: Some(epoch() + Duration::minutes(30)),
                ..Default::default()
            }
        )
        .await,
        [crashed, missing]
    );
    let first = query::api_log(&db.pool, SCHEMA, &ApiLogFilter::default().limit(2))
        .await
        .unwrap();
    assert_eq!(
        first.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        [patched, slow_ok]
    );
    let second = api_ids(
        &db,
        &ApiLogFilter::default()
            .limit(2)
            .before(first.older.unwrap()),
    )
    .await;
    assert_eq!(second, [crashed, missing]);
    let request = query::api_request(&db.pool, SCHEMA, target.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (request.id, request.response_code, request.duration_ms),
        (patched, Some(200), Some(40.0))
    );
    assert_eq!(request.ip_address, Some("192.0.2.7".parse().unwrap()));
    assert_eq!(
        query::api_request(&db.pool, SCHEMA, Uuid::new_v4())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_finite_duration_threshold_is_refused() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    let error = query::api_log(&db.pool, SCHEMA, &ApiLogFilter::slower_than(f64::NAN))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("finite"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_audit_tables_are_reported_with_the_fix() {
    let db = fresh_db!().await;
    let error = query::audit_log(&db.pool, SCHEMA, &AuditLogFilter::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("pg-audit migrate"), "{error}");
    let error = query::api_log(&db.pool, "no_such_schema", &ApiLogFilter::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no_such_schema"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_audit_schema_name_or_filter_value_is_data_not_sql() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    write_change(&db, &Change::insert("orders", "1", json!({}))).await;
    let error = query::audit_log(
        &db.pool,
        "audit\".pg_audit_log; DROP TABLE audit.pg_audit_log; --",
        &AuditLogFilter::default(),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("do not exist"), "{error}");
    assert!(query::audit_log(&db.pool, "", &AuditLogFilter::default())
        .await
        .is_err());
    assert!(
        query::audit_log(&db.pool, "a\0b", &AuditLogFilter::default())
            .await
            .is_err()
    );
    let sneaky = AuditLogFilter {
        table: Some("orders' OR '1'='1".into()),
        ..Default::default()
    };
    assert_eq!(ids(&db, &sneaky).await, Vec::<i64>::new());
    let nul = AuditLogFilter {
        user: Some("x\0y".into()),
        ..Default::default()
    };
    let error = query::audit_log(&db.pool, SCHEMA, &nul).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("invalid user: it contains a NUL"),
        "{error}"
    );
    assert_eq!(
        ids(&db, &AuditLogFilter::default()).await.len(),
        1,
        "the log is intact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_by_the_real_triggers_read_back_as_a_record_history() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id bigserial PRIMARY KEY, total numeric NOT NULL, note text)")
        .await;
    create_audit_tables(&db).await;
    db.exec("INSERT INTO orders (total, note) VALUES (5, 'first'); UPDATE orders SET total = 7 WHERE id = 1; DELETE FROM orders WHERE id = 1;")
        .await;

    let history = query::audit_log(
        &db.pool,
        SCHEMA,
        &AuditLogFilter::record("public", "orders", "1"),
    )
    .await
    .unwrap();
    let operations: Vec<&str> = history
        .entries
        .iter()
        .map(|e| e.operation.as_str())
        .collect();
    assert_eq!(operations, ["DELETE", "UPDATE", "INSERT"]);
    let update = &history.entries[1];
    assert_eq!(update.changed_field_names(), ["total"]);
    assert_eq!(value(&update.old_data).unwrap()["total"], json!(5));
    assert_eq!(value(&update.new_data).unwrap()["total"], json!(7));
    assert!(history
        .entries
        .iter()
        .all(|e| e.is_db_user && e.db_user.as_deref() == Some("postgres")));
    assert_eq!(
        query::audit_log(&db.pool, SCHEMA, &AuditLogFilter::db_writes().limit(10))
            .await
            .unwrap()
            .entries
            .len(),
        3,
        "writes from psql-like sessions are direct DB writes"
    );
}
