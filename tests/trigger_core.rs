//! The trigger core against a real PostgreSQL: what INSERT, UPDATE, DELETE and TRUNCATE
//! record, record identity, masking, ignored columns, no-op updates and rollbacks.

use pg_audit::{migrate, SchemaSettings, TableRules, Tables};
use pg_audit_testing::{fresh_db, TestDb};
use serde_json::{json, Value};

async fn audited_with(db: &TestDb, schema_sql: &str, tables: &Tables, settings: &SchemaSettings) {
    db.exec(schema_sql).await;
    let rules = TableRules::from_tables(tables).unwrap();
    migrate(&db.pool, settings, &rules).await.unwrap();
}

async fn audited(db: &TestDb, schema_sql: &str) {
    audited_with(db, schema_sql, &Tables::PUBLIC, &SchemaSettings::default()).await;
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    operation: String,
    record_id: Option<String>,
    old_data: Option<Value>,
    new_data: Option<Value>,
    changed_fields: Option<Value>,
}

async fn log(db: &TestDb, table: &str) -> Vec<Row> {
    sqlx::query_as(
        "SELECT operation, record_id, old_data, new_data, changed_fields FROM audit.pg_audit_log WHERE table_name = $1 ORDER BY id",
    )
    .bind(table)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

fn operations(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.operation.as_str()).collect()
}

#[tokio::test]
async fn insert_update_delete_and_truncate_are_recorded_with_data() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL, note text)",
    )
    .await;
    db.exec("INSERT INTO orders VALUES (1, 10, 'a'), (2, 20, 'b')")
        .await;
    db.exec("UPDATE orders SET total = 11 WHERE id = 1").await;
    db.exec("DELETE FROM orders WHERE id = 2").await;
    db.exec("TRUNCATE orders").await;
    let rows = log(&db, "orders").await;
    assert_eq!(
        operations(&rows),
        ["INSERT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]
    );
    assert_eq!(
        rows[0].new_data,
        Some(json!({"id": 1, "total": 10, "note": "a"}))
    );
    assert!(rows[0].old_data.is_none());
    let update = &rows[2];
    assert_eq!(update.record_id.as_deref(), Some("1"));
    assert_eq!(update.old_data.as_ref().unwrap()["total"], json!(10));
    assert_eq!(update.new_data.as_ref().unwrap()["total"], json!(11));
    assert_eq!(update.changed_fields, Some(json!(["total"])));
    assert_eq!(
        rows[3].old_data,
        Some(json!({"id": 2, "total": 20, "note": "b"}))
    );
    assert!(rows[3].new_data.is_none());
    assert!(rows[4].record_id.is_none() && rows[4].old_data.is_none());
}

#[tokio::test]
async fn a_rolled_back_write_leaves_no_audit_row() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)",
    )
    .await;
    db.exec("BEGIN; INSERT INTO orders VALUES (1, 1); UPDATE orders SET total = 2; ROLLBACK;")
        .await;
    assert!(log(&db, "orders").await.is_empty());
}

#[tokio::test]
async fn record_id_comes_from_the_real_primary_key_of_any_type_and_shape() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE by_uuid (key uuid PRIMARY KEY, v int);
         CREATE TABLE lines (order_id int, line_no int, qty int, PRIMARY KEY (line_no, order_id));
         CREATE TABLE by_text (code text PRIMARY KEY, v int);
         CREATE TABLE no_key (a int, b text);",
    )
    .await;
    db.exec(
        "INSERT INTO by_uuid VALUES ('6f1c1d52-7f3a-4c1e-9a3b-2b6f0c9d8e7a', 1);
         INSERT INTO lines VALUES (7, 2, 1);
         INSERT INTO by_text VALUES ('a\"b,c', 1);
         INSERT INTO no_key VALUES (1, 'x');
         UPDATE lines SET qty = 5;
         UPDATE no_key SET b = 'y';
         DELETE FROM no_key;",
    )
    .await;
    assert_eq!(
        log(&db, "by_uuid").await[0].record_id.as_deref(),
        Some("6f1c1d52-7f3a-4c1e-9a3b-2b6f0c9d8e7a")
    );
    // Composite keys: a compact JSON array in key order (line_no, order_id).
    let lines = log(&db, "lines").await;
    assert_eq!(lines[0].record_id.as_deref(), Some("[2,7]"));
    assert_eq!(lines[1].record_id.as_deref(), Some("[2,7]"));
    assert_eq!(lines[1].changed_fields, Some(json!(["qty"])));
    assert_eq!(
        log(&db, "by_text").await[0].record_id.as_deref(),
        Some("a\"b,c")
    );
    let no_key = log(&db, "no_key").await;
    assert_eq!(operations(&no_key), ["INSERT", "UPDATE", "DELETE"]);
    assert!(no_key.iter().all(|r| r.record_id.is_none()));
    assert_eq!(no_key[1].changed_fields, Some(json!(["b"])));
    assert_eq!(no_key[1].old_data.as_ref().unwrap()["b"], json!("x"));
}

#[tokio::test]
async fn a_bulk_statement_records_every_row_paired_by_key() {
    let db = fresh_db!().await;
    audited(&db, "CREATE TABLE t (id int PRIMARY KEY, v int)").await;
    db.exec("INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g")
        .await;
    db.exec("UPDATE t SET v = v * 10 WHERE id % 2 = 0").await;
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit.pg_audit_log
         WHERE operation = 'UPDATE'
           AND ((new_data->>'v')::int <> (old_data->>'v')::int * 10 OR record_id <> new_data->>'id' OR old_data->'id' <> new_data->'id')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let updates: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_log WHERE operation = 'UPDATE'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((updates, mismatched), (500, 0));
}

#[tokio::test]
async fn an_update_that_changes_a_key_is_recorded_once_per_row_and_never_mispaired() {
    let db = fresh_db!().await;
    audited(&db, "CREATE TABLE t (id int PRIMARY KEY, v text)").await;
    // Physical order 2, 1, 3, so the shift below never collides row by row.
    db.exec("INSERT INTO t VALUES (2, 'b'), (1, 'a'), (3, 'c')")
        .await;
    // Shifts keys 2→4 then 1→2 (key 2 exists before and after, held by different rows) while
    // row 3 keeps its key but changes its value.
    db.exec("UPDATE t SET id = CASE id WHEN 1 THEN 2 WHEN 2 THEN 4 ELSE id END, v = v || '!'")
        .await;
    db.exec("UPDATE t SET v = 'z' WHERE id = 2").await;
    let rows: Vec<(Option<Value>, Option<Value>, Option<String>)> = sqlx::query_as(
        "SELECT old_data, new_data, record_id FROM audit.pg_audit_log WHERE operation = 'UPDATE' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut pairs: Vec<(Value, Value)> = rows
        .iter()
        .take(3)
        .map(|(o, n, _)| {
            (
                o.as_ref().unwrap()["v"].clone(),
                n.as_ref().unwrap()["v"].clone(),
            )
        })
        .collect();
    pairs.sort_by_key(|p| p.0.to_string());
    assert_eq!(
        pairs,
        vec![
            (json!("a"), json!("a!")),
            (json!("b"), json!("b!")),
            (json!("c"), json!("c!"))
        ]
    );
    assert_eq!(
        rows.len(),
        4,
        "one row per updated row, then the follow-up update"
    );
    assert_eq!(rows[3].2.as_deref(), Some("2"));
    assert_eq!(rows[3].0.as_ref().unwrap()["v"], json!("a!"));
    // Rows are paired by position, so no bookkeeping table is left to clean up.
    let bookkeeping: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_class WHERE relname = 'pg_audit_moved_keys'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(bookkeeping, 0);
}

#[tokio::test]
async fn an_update_that_changes_nothing_writes_no_row_unless_configured() {
    let db = fresh_db!().await;
    audited(&db, "CREATE TABLE t (id int PRIMARY KEY, v int, j json)").await;
    db.exec("INSERT INTO t VALUES (1, 1, '{\"a\": 1}')").await;
    db.exec("UPDATE t SET v = 1").await;
    db.exec("UPDATE t SET v = v, j = j").await;
    assert_eq!(operations(&log(&db, "t").await), ["INSERT"]);

    let keep = fresh_db!().await;
    let settings = SchemaSettings {
        keep_noop_updates: true,
        ..SchemaSettings::default()
    };
    audited_with(
        &keep,
        "CREATE TABLE t (id int PRIMARY KEY, v int)",
        &Tables::PUBLIC,
        &settings,
    )
    .await;
    keep.exec("INSERT INTO t VALUES (1, 1); UPDATE t SET v = 1;")
        .await;
    let rows = log(&keep, "t").await;
    assert_eq!(operations(&rows), ["INSERT", "UPDATE"]);
    assert_eq!(rows[1].changed_fields, Some(json!([])));
}

static ACCOUNTS: Tables = pg_audit::audit_tables! {
    mask: { accounts: [password_hash, "api token"] },
    ignore: { public.accounts: [last_seen_at] },
};

#[tokio::test]
async fn masked_columns_are_stored_masked_but_still_listed_as_changed() {
    let db = fresh_db!().await;
    audited_with(
        &db,
        "CREATE TABLE accounts (id int PRIMARY KEY, email text, password_hash text, \"api token\" text, last_seen_at timestamptz)",
        &ACCOUNTS,
        &SchemaSettings::default(),
    )
    .await;
    db.exec("INSERT INTO accounts VALUES (1, 'a@x', 'hash-1', 'secret-token-value', now())")
        .await;
    db.exec("UPDATE accounts SET password_hash = 'hash-2'")
        .await;
    let rows = log(&db, "accounts").await;
    assert_eq!(
        rows[0].new_data.as_ref().unwrap()["password_hash"],
        json!("********")
    );
    assert_eq!(
        rows[0].new_data.as_ref().unwrap()["api token"],
        json!("********")
    );
    assert_eq!(rows[0].new_data.as_ref().unwrap()["email"], json!("a@x"));
    assert_eq!(rows[1].changed_fields, Some(json!(["password_hash"])));
    assert_eq!(
        rows[1].old_data.as_ref().unwrap()["password_hash"],
        json!("********")
    );
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_log WHERE old_data::text LIKE '%hash-%' OR new_data::text LIKE '%hash-%' OR new_data::text LIKE '%secret-token-value%'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn a_change_to_ignored_columns_only_writes_no_row() {
    let db = fresh_db!().await;
    audited_with(
        &db,
        "CREATE TABLE accounts (id int PRIMARY KEY, email text, password_hash text, \"api token\" text, last_seen_at timestamptz)",
        &ACCOUNTS,
        &SchemaSettings::default(),
    )
    .await;
    db.exec("INSERT INTO accounts VALUES (1, 'a@x', 'h', 't', now())")
        .await;
    db.exec("UPDATE accounts SET last_seen_at = now() + interval '1 day'")
        .await;
    db.exec("UPDATE accounts SET last_seen_at = now() + interval '2 day', email = 'b@x'")
        .await;
    let rows = log(&db, "accounts").await;
    assert_eq!(operations(&rows), ["INSERT", "UPDATE"]);
    assert_eq!(rows[1].changed_fields, Some(json!(["email"])));
}

#[tokio::test]
async fn a_column_added_renamed_or_dropped_after_attach_never_breaks_writes() {
    let db = fresh_db!().await;
    audited(&db, "CREATE TABLE t (id int PRIMARY KEY, a int, b int)").await;
    db.exec("ALTER TABLE t ADD COLUMN c text; ALTER TABLE t RENAME COLUMN a TO a2; ALTER TABLE t DROP COLUMN b;").await;
    db.exec("INSERT INTO t VALUES (1, 1, 'x'); UPDATE t SET c = 'y';")
        .await;
    let rows = log(&db, "t").await;
    assert_eq!(operations(&rows), ["INSERT", "UPDATE"]);
    assert_eq!(rows[1].changed_fields, Some(json!(["c"])));
    assert_eq!(rows[1].new_data, Some(json!({"id": 1, "a2": 1, "c": "y"})));
}

#[tokio::test]
async fn partitioned_tables_are_audited_once_under_the_parent_name() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE events (id int, at date, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
         CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    )
    .await;
    db.exec(
        "INSERT INTO events VALUES (1, '2025-05-01', 'a'), (2, '2026-05-01', 'b');
         INSERT INTO events_2025 VALUES (3, '2025-06-01', 'c');
         UPDATE events SET v = 'bb' WHERE id = 2;
         UPDATE events_2025 SET v = 'cc' WHERE id = 3;
         DELETE FROM events WHERE id = 1;
         TRUNCATE events;",
    )
    .await;
    let tables: Vec<(String, String)> =
        sqlx::query_as("SELECT table_name, operation FROM audit.pg_audit_log ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let ops: Vec<&str> = tables.iter().map(|(_, op)| op.as_str()).collect();
    assert_eq!(
        ops,
        ["INSERT", "INSERT", "INSERT", "UPDATE", "UPDATE", "DELETE", "TRUNCATE", "TRUNCATE"]
    );
    assert!(tables.iter().all(|(t, _)| t == "events"), "{tables:?}");
    let partitions: Vec<Value> = sqlx::query_scalar("SELECT context->'partition' FROM audit.pg_audit_log WHERE operation = 'TRUNCATE' ORDER BY 1::text")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        partitions,
        [json!("public.events_2025"), json!("public.events_2026")]
    );
}

#[tokio::test]
async fn hostile_and_unicode_table_names_are_audited() {
    let db = fresh_db!().await;
    audited(
        &db,
        r#"CREATE TABLE "Order Items" (id int PRIMARY KEY, "Qty" int);
           CREATE TABLE "x'); DROP TABLE y; --" (id int PRIMARY KEY);
           CREATE TABLE "a$pg_audit$b" (id int PRIMARY KEY);
           CREATE TABLE "заказы" ("ключ" int PRIMARY KEY, "сумма" int);"#,
    )
    .await;
    db.exec(
        r#"INSERT INTO "Order Items" VALUES (1, 2);
           INSERT INTO "x'); DROP TABLE y; --" VALUES (1);
           INSERT INTO "a$pg_audit$b" VALUES (1);
           INSERT INTO "заказы" VALUES (5, 10); UPDATE "заказы" SET "сумма" = 11;"#,
    )
    .await;
    for table in ["Order Items", "x'); DROP TABLE y; --", "a$pg_audit$b"] {
        assert_eq!(operations(&log(&db, table).await), ["INSERT"], "{table}");
    }
    let rows = log(&db, "заказы").await;
    assert_eq!(rows[1].record_id.as_deref(), Some("5"));
    assert_eq!(rows[1].changed_fields, Some(json!(["сумма"])));
}

#[tokio::test]
async fn two_63_byte_table_names_differing_only_at_the_end_both_work() {
    let db = fresh_db!().await;
    let a = format!("{}a", "t".repeat(62));
    let b = format!("{}b", "t".repeat(62));
    audited(
        &db,
        &format!(
            "CREATE TABLE \"{a}\" (id int PRIMARY KEY); CREATE TABLE \"{b}\" (id int PRIMARY KEY);"
        ),
    )
    .await;
    db.exec(&format!(
        "INSERT INTO \"{a}\" VALUES (1); INSERT INTO \"{b}\" VALUES (2);"
    ))
    .await;
    assert_eq!(log(&db, &a).await[0].record_id.as_deref(), Some("1"));
    assert_eq!(log(&db, &b).await[0].record_id.as_deref(), Some("2"));
}

#[tokio::test]
async fn views_foreign_tables_and_the_audit_schema_are_never_attached() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY);
         CREATE VIEW v AS SELECT * FROM t;
         CREATE MATERIALIZED VIEW mv AS SELECT * FROM t;
         CREATE FOREIGN DATA WRAPPER fdw_test;
         CREATE SERVER srv_test FOREIGN DATA WRAPPER fdw_test;
         CREATE FOREIGN TABLE ft (id int) SERVER srv_test;
         CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY);",
    )
    .await;
    let attached: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE t.tgname LIKE 'pg_audit%' AND c.relnamespace <> 'audit'::regnamespace ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(attached, ["t"]);
}

#[tokio::test]
async fn triggers_fire_under_session_replication_role_replica() {
    let db = fresh_db!().await;
    audited(&db, "CREATE TABLE t (id int PRIMARY KEY)").await;
    db.exec(
        "BEGIN; SET LOCAL session_replication_role = replica; INSERT INTO t VALUES (1); COMMIT;",
    )
    .await;
    assert_eq!(operations(&log(&db, "t").await), ["INSERT"]);
}
