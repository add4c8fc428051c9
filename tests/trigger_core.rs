//! The trigger core against a real PostgreSQL: what INSERT, UPDATE, DELETE and TRUNCATE
//! record, record identity, masking, ignored columns and malformed context.

mod common;

use common::TestDb;
use pg_audit::{migrate, Settings, TableRules, Tables};
use serde_json::{json, Value};

async fn audited(db: &TestDb, schema_sql: &str) {
    db.exec(schema_sql).await;
    let rules = TableRules::from_tables(&Tables::PUBLIC).unwrap();
    migrate(&db.pool, &Settings::default(), &rules)
        .await
        .unwrap();
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
    sqlx::query_as("SELECT operation, record_id, old_data, new_data, changed_fields FROM audit.pg_audit_log WHERE table_name = $1 ORDER BY id")
        .bind(table)
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn insert_update_delete_and_truncate_are_recorded_with_data() {
    let db = TestDb::new("crud").await;
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
    let ops: Vec<&str> = rows.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(ops, ["INSERT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]);
    let update = &rows[2];
    assert_eq!(update.record_id.as_deref(), Some("1"));
    assert_eq!(update.old_data.as_ref().unwrap()["total"], json!(10));
    assert_eq!(update.new_data.as_ref().unwrap()["total"], json!(11));
    assert_eq!(update.changed_fields, Some(json!(["total"])));
    assert_eq!(rows[3].old_data.as_ref().unwrap()["note"], json!("b"));
    assert!(rows[3].new_data.is_none());
}
