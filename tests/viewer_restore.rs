//! From a record to a fix: the record page shows, for each version of a row, the SQL that
//! brings the row back to it. Against a real PostgreSQL, with rows written through the real
//! triggers: viewing runs nothing, and each statement, run as shown, restores its version.

use axum::Router;
use http::request::Parts;
use pg_audit::viewer::{self, ViewerSource};
use pg_audit::{SchemaSettings, TableRules, Tables};
use pg_audit_testing::{fresh_db, get, serve, unescape, TestDb, SCHEMA};
use serde_json::Value;
use std::net::SocketAddr;

static TABLES: Tables = pg_audit::audit_tables! {
    mask: { orders: [card_number] },
};

fn allow_all(_: &Parts) -> std::future::Ready<bool> {
    std::future::ready(true)
}

async fn audited(db: &TestDb, tables: &str) -> SocketAddr {
    db.exec(tables).await;
    let rules = TableRules::from_tables(&TABLES).unwrap();
    pg_audit::migrate(&db.pool, &SchemaSettings::default(), &rules)
        .await
        .unwrap();
    let source = ViewerSource::new(db.pool.clone(), SCHEMA).unwrap();
    serve(Router::new().nest("/audit", viewer::router(source, allow_all))).await
}

/// The restore statements of a record page, newest version first.
async fn statements(addr: SocketAddr, target: &str) -> Vec<String> {
    let page = get(addr, target).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
        .split("<pre class=\"sql\">")
        .skip(1)
        .map(|rest| unescape(rest.split("</pre>").next().unwrap_or_default()))
        .collect()
}

/// The row as JSON, without its masked column; `None` when there is no such row.
async fn row(db: &TestDb, sql: &'static str) -> Option<Value> {
    sqlx::query_scalar(sql)
        .fetch_optional(&db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_version_of_a_record_is_restored_by_the_statement_shown_with_it() {
    let db = fresh_db!().await;
    let addr = audited(
        &db,
        "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL,
             card_number text, note text, tags text[], due date, doubled numeric GENERATED ALWAYS AS (total * 2) STORED)",
    )
    .await;
    db.exec(
        "INSERT INTO orders (total, card_number, note, tags, due) VALUES (5, '4111111111111111', 'first', '{a,b}', '2026-01-31');
         UPDATE orders SET total = 7.50, note = 'it''s a \\ back\"slash', card_number = '5500000000000004';
         UPDATE orders SET tags = NULL, due = NULL;
         DELETE FROM orders;",
    )
    .await;
    let shown = statements(addr, "/audit/record?schema=public&table=orders&id=1").await;
    assert_eq!(shown.len(), 4, "a statement per version: {shown:#?}");
    let page = get(addr, "/audit/record?schema=public&table=orders&id=1").await;
    assert!(page
        .body
        .contains("left as they are (a row inserted anew gets their defaults): card_number."));
    assert!(page
        .body
        .contains("(dropped, renamed or generated): doubled."));
    // Viewing ran nothing: the row is still deleted.
    let current = "SELECT to_jsonb(o) - 'card_number' FROM orders AS o WHERE id = 1";
    assert_eq!(row(&db, current).await, None);

    let versions = [
        Some(
            r#"{"id": 1, "due": "2026-01-31", "note": "first", "tags": ["a", "b"], "total": 5, "doubled": 10}"#,
        ),
        Some(
            r#"{"id": 1, "due": "2026-01-31", "note": "it's a \\ back\"slash", "tags": ["a", "b"], "total": 7.50, "doubled": 15.00}"#,
        ),
        Some(
            r#"{"id": 1, "due": null, "note": "it's a \\ back\"slash", "tags": null, "total": 7.50, "doubled": 15.00}"#,
        ),
        None,
    ];
    // Oldest version first: from no row (after the DELETE), back to each version in turn
    // (an insert, then updates), then forward to the deleted version again.
    for (statement, version) in shown.iter().rev().zip(versions) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        let expected = version.map(|v| serde_json::from_str::<Value>(v).unwrap());
        assert_eq!(row(&db, current).await, expected, "after {statement}");
    }
    // Back from no row to the first version, then over the row the second left.
    for statement in [&shown[3], &shown[2]] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let restored = row(&db, current).await.unwrap();
    assert_eq!(restored["note"], "it's a \\ back\"slash");
    assert_eq!(restored["tags"], serde_json::json!(["a", "b"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_keys_of_any_shape_are_quoted_by_the_renderer() {
    let db = fresh_db!().await;
    let addr = audited(
        &db,
        r#"CREATE TABLE "we""ird tab'le" ("Key" text, "o'k" int, "sp ace" text, PRIMARY KEY ("Key", "o'k"))"#,
    )
    .await;
    db.exec(
        r#"INSERT INTO "we""ird tab'le" VALUES ('k''1', 2, '<script>alert(1)</script>');
           UPDATE "we""ird tab'le" SET "sp ace" = 'then';"#,
    )
    .await;
    let record_id: String = sqlx::query_scalar("SELECT record_id FROM audit.pg_audit_log LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let query = serde_urlencoded::to_string([
        ("schema", "public"),
        ("table", "we\"ird tab'le"),
        ("id", record_id.as_str()),
    ])
    .unwrap();
    let target = format!("/audit/record?{query}");
    let shown = statements(addr, &target).await;
    assert_eq!(shown.len(), 2);
    assert!(
        shown[1].starts_with(r#"INSERT INTO "public"."we""ird tab'le" ("Key", "o'k", "sp ace")"#),
        "{}",
        shown[1]
    );
    assert!(shown[1].contains(r#"ON CONFLICT ("Key", "o'k")"#));
    sqlx::raw_sql(sqlx::AssertSqlSafe(shown[1].clone()))
        .execute(&db.pool)
        .await
        .unwrap();
    let value: String = sqlx::query_scalar(r#"SELECT "sp ace" FROM "we""ird tab'le""#)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(value, "<script>alert(1)</script>");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_gone_or_without_a_key_gets_a_reason_instead_of_a_statement() {
    let db = fresh_db!().await;
    let addr = audited(
        &db,
        "CREATE TABLE orders (id int PRIMARY KEY, card_number text); CREATE TABLE notes (id int PRIMARY KEY);",
    )
    .await;
    db.exec("INSERT INTO orders VALUES (1, 'x'); INSERT INTO notes VALUES (1);")
        .await;
    db.exec("ALTER TABLE notes DROP CONSTRAINT notes_pkey")
        .await;
    db.exec("DROP TABLE orders").await;
    for (target, reason) in [
        (
            "/audit/record?schema=public&table=orders&id=1",
            "public.orders no longer exists",
        ),
        (
            "/audit/record?schema=public&table=notes&id=1",
            "The table has no primary key now",
        ),
    ] {
        let page = get(addr, target).await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<pre class=\"sql\">"), "{target}");
        assert!(page.body.contains(reason), "{target}");
    }
}
