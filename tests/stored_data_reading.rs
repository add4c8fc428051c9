//! Reading never fails on stored data: rows written straight into both audit tables with SQL
//! — JSON nested 200 and 50,000 levels deep, numbers no `f64` holds, megabytes of JSON,
//! `infinity` timestamps — are read whole through the query API and shown by the viewer over
//! HTTP; filter values out of range are refused with a 400 (viewer) or an `Error` (query API)
//! that says why.

use axum::Router;
use http::request::Parts;
use pg_audit::query::{self, ApiLogFilter, AuditLogFilter};
use pg_audit::viewer::{self, ViewerSource};
use pg_audit_testing::{create_audit_tables, fresh_db, get, serve, TestDb, SCHEMA};
use std::net::SocketAddr;
use uuid::Uuid;

/// Array levels deeper than PostgreSQL's default stack allows to parse; stored with a
/// larger one.
const VERY_DEEP: usize = 50_000;
/// Object levels likewise (an object level takes more of PostgreSQL's stack).
const VERY_DEEP_OBJECT: usize = 30_000;

/// The numbers no `f64` holds, as an SQL text expression of JSON: beyond its range, beyond
/// its precision.
const HUGE_NUMBERS: &str = "'{\"big\": 1e400, \"precise\": 0.' || repeat('1', 16000) || ', \"wide\": ' || repeat('9', 20000) || '.1, \"tiny\": 1e-400}'";

struct Hostile {
    /// The request whose bodies are 200 and 50,000 levels deep.
    deep_request: Uuid,
    /// The request with numbers beyond f64 and an `infinity` time.
    numbers_request: Uuid,
}

/// Writes the hostile rows with plain SQL, as a migration, psql or an audited jsonb column would.
async fn write_hostile_rows(db: &TestDb) -> Hostile {
    create_audit_tables(db).await;
    let (deep_request, numbers_request) = (Uuid::new_v4(), Uuid::new_v4());
    let nested = |levels: usize| {
        format!("(repeat('[', {levels}) || '\"core\"' || repeat(']', {levels}))::jsonb")
    };
    // As SQL text expressions, so a row is parsed once, as a whole.
    let object =
        |levels: usize| format!("repeat('{{\"k\": ', {levels}) || '1' || repeat('}}', {levels})");
    let numbers = HUGE_NUMBERS;
    db.exec(&format!(
        "BEGIN;
         SET LOCAL max_stack_depth = '7MB';
         INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, request_payload, response_body, response_code, created_at, duration_ms)
         VALUES ('{deep_request}', '/deep', 'POST', {}, {}, 200, '2026-01-01T12:00:00Z', 1);
         INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, request_payload, response_body, response_code, created_at, duration_ms)
         VALUES ('{numbers_request}', '/numbers', 'POST', ({numbers})::jsonb, (SELECT jsonb_agg(jsonb_build_object('row', g, 'text', repeat('x', 100))) FROM generate_series(1, 30000) g), 200, 'infinity', 'NaN');
         INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, old_data, new_data, changed_fields, record_id, updated_at, is_db_user, request_id, context)
         VALUES ('public', 'docs', 'UPDATE', ('{{\"id\": 1, \"doc\": ' || {} || '}}')::jsonb, ('{{\"id\": 1, \"doc\": ' || {} || ', \"amount\": ' || {numbers} || '}}')::jsonb, '{{\"not\": \"an array\"}}', '1', '2026-01-01T12:00:00Z', true, '{deep_request}', ({})::jsonb);
         INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, new_data, changed_fields, record_id, updated_at, is_db_user, request_id)
         VALUES ('public', 'docs', 'INSERT', ('{{\"id\": 2, \"amount\": ' || {numbers} || '}}')::jsonb, '[1, null, \"amount\", {{}}]', '2', '-infinity', true, '{numbers_request}');
         COMMIT;",
        nested(200),
        nested(VERY_DEEP),
        object(200),
        object(VERY_DEEP_OBJECT),
        object(VERY_DEEP_OBJECT),
    ))
    .await;
    Hostile {
        deep_request,
        numbers_request,
    }
}

async fn stored_text(db: &TestDb, sql: &'static str) -> Vec<Option<String>> {
    sqlx::query_scalar(sql)
        .fetch_all(&db.pool)
        .await
        .expect("stored text")
}

fn allow_all(_: &Parts) -> std::future::Ready<bool> {
    std::future::ready(true)
}

async fn audit_viewer(db: &TestDb) -> SocketAddr {
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).expect("source");
    serve(Router::new().nest("/audit", viewer::router(source, allow_all))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_api_reads_deep_huge_and_unbounded_json_exactly_as_stored() {
    let db = fresh_db!().await;
    let hostile = write_hostile_rows(&db).await;

    let requests = query::api_log(&db.pool, SCHEMA, &ApiLogFilter::default())
        .await
        .expect("the API log reads whatever it holds");
    assert_eq!(requests.entries.len(), 2);
    let expected = stored_text(
        &db,
        "SELECT request_payload::text FROM audit.pg_api_audit_log ORDER BY id DESC",
    )
    .await;
    let read: Vec<Option<String>> = requests
        .entries
        .iter()
        .map(|e| e.request_payload.as_ref().map(|j| j.as_str().to_string()))
        .collect();
    assert_eq!(read, expected, "every byte as PostgreSQL printed it");
    let numbers = &requests.entries[0];
    assert_eq!(numbers.request_id, Some(hostile.numbers_request));
    let text = numbers.request_payload.as_ref().expect("payload").as_str();
    assert!(
        text.contains(&format!("\"big\": 1{}", "0".repeat(400))),
        "1e400 kept whole"
    );
    assert!(
        text.contains(&format!("0.{}", "1".repeat(16000))),
        "16,000 digits kept"
    );
    assert!(text.contains(&format!("{}.1", "9".repeat(20000))));
    assert!(numbers.response_body.as_ref().expect("body").as_str().len() > 3_000_000);
    assert_eq!(
        numbers.created_at,
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
        "infinity"
    );
    assert!(numbers.duration_ms.is_some_and(f64::is_nan));
    let deep = &requests.entries[1];
    assert_eq!(deep.request_id, Some(hostile.deep_request));
    assert_eq!(
        deep.response_body.as_ref().expect("body").as_str().len(),
        2 * VERY_DEEP + "\"core\"".len()
    );

    let changes = query::audit_log(&db.pool, SCHEMA, &AuditLogFilter::default())
        .await
        .expect("the audit log reads whatever it holds");
    assert_eq!(changes.entries.len(), 2);
    let expected = stored_text(
        &db,
        "SELECT new_data::text FROM audit.pg_audit_log ORDER BY id DESC",
    )
    .await;
    let read: Vec<Option<String>> = changes
        .entries
        .iter()
        .map(|e| e.new_data.as_ref().map(|j| j.as_str().to_string()))
        .collect();
    assert_eq!(read, expected);
    assert_eq!(
        changes.entries[0].updated_at,
        chrono::DateTime::<chrono::Utc>::MIN_UTC
    );
    assert_eq!(
        changes.entries[0].changed_field_names(),
        ["amount"],
        "only the strings"
    );
    assert!(
        changes.entries[1].changed_field_names().is_empty(),
        "changed_fields that is no array names nothing"
    );
    let context = changes.entries[1].context.as_ref().expect("context");
    assert!(context.as_str().starts_with("{\"k\": {\"k\": "));

    // Serialized (as `pg-audit log --json` does) the JSON goes out as JSON, digits intact.
    let line = serde_json::to_string(&changes.entries[0]).expect("serialize");
    assert!(
        line.contains(&format!("\"big\": 1{}", "0".repeat(400))),
        "{}",
        &line[..200]
    );
    assert!(line.contains(&"1".repeat(16000)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_shows_every_page_of_deep_huge_and_unbounded_json() {
    let db = fresh_db!().await;
    let hostile = write_hostile_rows(&db).await;
    let addr = audit_viewer(&db).await;

    let changes = get(addr, "/audit").await;
    assert_eq!(
        changes.status,
        200,
        "{}",
        &changes.body[..changes.body.len().min(2000)]
    );
    assert_eq!(changes.row_ids().len(), 2);
    assert!(
        changes.body.contains("-262143-01-01"),
        "-infinity shown at chrono's bound"
    );

    for id in [1, 2] {
        let history = get(
            addr,
            &format!("/audit/record?schema=public&table=docs&id={id}"),
        )
        .await;
        assert_eq!(history.status, 200, "record {id}");
        assert_eq!(history.row_ids().len(), 1);
        assert!(
            history.body.contains(&format!("1{}", "0".repeat(400))),
            "1e400 shown whole in record {id}"
        );
        assert!(
            history.body.len() < 200_000,
            "the page stays small: {}",
            history.body.len()
        );
    }
    let history = get(addr, "/audit/record?schema=public&table=docs&id=1").await;
    assert!(
        history.body.contains("bytes of JSON stored)"),
        "a value {VERY_DEEP_OBJECT} levels deep is cut with a note"
    );

    let requests = get(addr, "/audit/requests").await;
    assert_eq!(requests.status, 200);
    assert_eq!(requests.row_ids().len(), 2);
    assert!(requests.body.contains("NaN ms"));
    assert!(requests.body.len() < 2_000_000, "{}", requests.body.len());

    for request in [hostile.deep_request, hostile.numbers_request] {
        let page = get(addr, &format!("/audit/requests/{request}")).await;
        assert_eq!(page.status, 200, "{request}");
        assert!(
            page.body.contains("bytes of JSON stored)"),
            "the large body is cut"
        );
    }
    let page = get(addr, &format!("/audit/requests/{}", hostile.deep_request)).await;
    let body = pg_audit_testing::unescape(&page.body);
    assert!(
        body.contains("\"core\""),
        "the 200-deep payload is shown to its core"
    );
    let page = get(
        addr,
        &format!("/audit/requests/{}", hostile.numbers_request),
    )
    .await;
    let body = pg_audit_testing::unescape(&page.body);
    assert!(
        body.contains(&format!("0.{}", "1".repeat(16000))),
        "every digit shown"
    );
    assert!(body.contains(&format!("{}.1", "9".repeat(20000))));
    let latest = chrono::DateTime::<chrono::Utc>::MAX_UTC
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert!(
        body.contains(&latest),
        "infinity shown at chrono's bound, {latest}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_viewer_filters_are_refused_with_400_and_why() {
    let db = fresh_db!().await;
    write_hostile_rows(&db).await;
    let addr = audit_viewer(&db).await;
    for (target, why) in [
        ("/audit?since=-5000-01-01", "since: `-5000-01-01` is not a time"),
        ("/audit?until=99999-01-01", "until: `99999-01-01` is not a time"),
        ("/audit/requests?since=0000-01-01", "years run from 1 to 9999"),
        ("/audit?since=100000000d", "that age reaches before year 1"),
        ("/audit?since=99999999999999999999999d", "is not a time"),
        ("/audit?before=99999999999999999999", "before: `99999999999999999999` is not a row id (a whole number from 0 to 9223372036854775807)"),
        ("/audit/requests?after=-1", "after: `-1` is not a row id"),
        ("/audit/record?schema=public&table=docs&id=1&before=1e9", "before: `1e9` is not a row id"),
        ("/audit?limit=4294967296", "limit: `4294967296` is not a number of rows from 1 to 1000"),
        ("/audit/requests?limit=0", "limit: `0` is not a number of rows from 1 to 1000"),
        ("/audit/requests?slow_ms=1e999", "slow: `1e999` is not a number of milliseconds"),
    ] {
        let reply = get(addr, target).await;
        assert_eq!(reply.status, 400, "{target}");
        let body = pg_audit_testing::unescape(&reply.body);
        assert!(body.contains(why), "{target}: {why:?} not in {body}");
        assert!(reply.row_ids().is_empty(), "{target}");
    }
    // The largest ids are ordinary cursors: an empty page, not an overflow.
    for target in [
        "/audit?after=9223372036854775807",
        "/audit?before=0",
        "/audit/requests?after=9223372036854775807&limit=1000",
    ] {
        let reply = get(addr, target).await;
        assert_eq!(reply.status, 200, "{target}: {}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_query_filters_are_a_clear_error_and_extreme_cursors_read_empty_pages() {
    let db = fresh_db!().await;
    write_hostile_rows(&db).await;
    let ancient = chrono::NaiveDate::from_ymd_opt(-5000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a date")
        .and_utc();
    let error = query::audit_log(
        &db.pool,
        SCHEMA,
        &AuditLogFilter::default().between(Some(ancient), None),
    )
    .await
    .expect_err("refused before PostgreSQL sees it");
    assert!(
        matches!(error, pg_audit::Error::Invalid { what: "since", .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "invalid since: -5000-01-01 is before 4714-11-24 BC, the earliest time PostgreSQL can store"
    );
    let error = query::api_log(
        &db.pool,
        SCHEMA,
        &ApiLogFilter {
            until: Some(chrono::DateTime::<chrono::Utc>::MIN_UTC),
            ..ApiLogFilter::default()
        },
    )
    .await
    .expect_err("refused");
    assert!(error.to_string().starts_with("invalid until: "), "{error}");
    let error = query::api_log(&db.pool, SCHEMA, &ApiLogFilter::slower_than(f64::INFINITY))
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("finite"), "{error}");

    let far_future = query::api_log(
        &db.pool,
        SCHEMA,
        &ApiLogFilter {
            since: Some(chrono::DateTime::<chrono::Utc>::MAX_UTC),
            ..ApiLogFilter::default()
        },
    )
    .await
    .expect("the latest chrono time is a PostgreSQL time");
    assert_eq!(
        far_future.entries.len(),
        1,
        "only the row at infinity is that late"
    );
    for filter in [
        AuditLogFilter::default().after(i64::MAX),
        AuditLogFilter::default().before(i64::MIN),
        AuditLogFilter::default().before(0).limit(u32::MAX),
    ] {
        let page = query::audit_log(&db.pool, SCHEMA, &filter)
            .await
            .expect("an extreme cursor is an empty page");
        assert!(page.entries.is_empty(), "{filter:?}");
    }
}
