//! The privilege model: audit rows are append-only for every role, application roles get
//! their writes audited without any access to the audit tables, and retention is the one
//! logged way to remove rows.

use pg_audit::{migrate, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules, TestDb};

async fn setup(db: TestDb) -> (TestDb, String) {
    let role = format!("{}_app", db.name);
    db.exec(&format!(
        "CREATE TABLE orders (id int PRIMARY KEY, total int);
         CREATE ROLE \"{role}\" LOGIN;
         GRANT USAGE ON SCHEMA public TO \"{role}\";
         GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON orders TO \"{role}\";"
    ))
    .await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    (db, role)
}

use sqlx::Connection;

fn error_of(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> String {
    match result {
        Ok(_) => "succeeded".into(),
        Err(e) => e
            .as_database_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string()),
    }
}

#[tokio::test]
async fn an_application_role_is_audited_and_cannot_touch_the_audit_trail() {
    let (db, role) = setup(fresh_db!().await).await;
    let mut app = db.connect_as(Some(&role)).await;
    sqlx::query("INSERT INTO orders VALUES (1, 10)")
        .execute(&mut app)
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET total = 11")
        .execute(&mut app)
        .await
        .unwrap();
    let db_user: String =
        sqlx::query_scalar("SELECT db_user FROM audit.pg_audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(db_user, role, "the caller's role, not the definer's");
    for statement in [
        "SELECT * FROM audit.pg_audit_log",
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation) VALUES ('public', 'orders', 'DELETE')",
        "UPDATE audit.pg_audit_log SET updated_by = 'someone else'",
        "DELETE FROM audit.pg_audit_log",
        "TRUNCATE audit.pg_audit_log",
        "SELECT audit.pg_audit_purge(now())",
        "DROP TRIGGER pg_audit_insert ON orders",
        "ALTER TABLE orders DISABLE TRIGGER pg_audit_insert",
    ] {
        let message = error_of(sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut app).await);
        assert!(
            message.contains("permission denied") || message.contains("must be owner"),
            "{statement}: {message}"
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_log")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
    drop(app);
    db.drop_with_role(&role).await;
}

#[tokio::test]
async fn even_the_owner_cannot_update_delete_or_truncate_audit_rows() {
    let (db, role) = setup(fresh_db!().await).await;
    db.exec("INSERT INTO orders VALUES (1, 10); INSERT INTO audit.pg_api_audit_log (api_name) VALUES ('/x');").await;
    for statement in [
        "UPDATE audit.pg_audit_log SET updated_by = 'x'",
        "DELETE FROM audit.pg_audit_log",
        "UPDATE audit.pg_audit_log_data SET updated_by = 'x'",
        "DELETE FROM audit.pg_audit_log_data",
        "TRUNCATE audit.pg_audit_log_data",
        "UPDATE audit.pg_api_audit_log SET user_id = 'x'",
        "DELETE FROM audit.pg_api_audit_log",
        "TRUNCATE audit.pg_api_audit_log",
    ] {
        let message = error_of(
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&db.pool)
                .await,
        );
        assert!(message.contains("append-only"), "{statement}: {message}");
    }
    // A forged retention token does not open the guard.
    let mut conn = db.connect_as(None).await;
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('pg_audit.retention_token', gen_random_uuid()::text, true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let message = error_of(
        sqlx::query("DELETE FROM audit.pg_audit_log")
            .execute(&mut *tx)
            .await,
    );
    assert!(message.contains("append-only"), "{message}");
    drop(tx);
    drop(conn);
    db.drop_with_role(&role).await;
}

#[tokio::test]
async fn retention_removes_old_rows_and_records_itself() {
    let (db, role) = setup(fresh_db!().await).await;
    db.exec("INSERT INTO orders VALUES (1, 10); INSERT INTO orders VALUES (2, 20);")
        .await;
    let removed: i64 =
        sqlx::query_scalar("SELECT audit.pg_audit_purge(now() + interval '1 minute')")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(removed, 2);
    let rows: Vec<(String, serde_json::Value)> =
        sqlx::query_as("SELECT operation, context FROM audit.pg_audit_log")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].1["retention"]["audit_rows_removed"],
        serde_json::json!(2)
    );
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_retention_tokens")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(tokens, 0);
    db.drop_with_role(&role).await;
}

#[tokio::test]
async fn trigger_functions_are_security_definer_with_a_pinned_search_path() {
    let (db, role) = setup(fresh_db!().await).await;
    let functions: Vec<(String, bool, Option<Vec<String>>)> = sqlx::query_as(
        "SELECT p.proname::text, p.prosecdef, p.proconfig FROM pg_proc p
         WHERE p.pronamespace = 'audit'::regnamespace AND p.proname LIKE 'pg_audit_fn_%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(!functions.is_empty());
    for (name, definer, config) in functions {
        assert!(definer, "{name}");
        let config = config.unwrap_or_default();
        assert_eq!(
            config.first().map(String::as_str),
            Some("search_path=pg_catalog, pg_temp"),
            "{name}"
        );
        // The output settings too, so a row reads the same whatever the session's.
        for setting in [
            "TimeZone=UTC",
            "IntervalStyle=postgres",
            "extra_float_digits=1",
            "bytea_output=hex",
            "lc_monetary=C",
        ] {
            assert!(
                config.iter().any(|c| c == setting),
                "{name}: {setting} in {config:?}"
            );
        }
    }
    // A hostile object in the caller's search_path cannot stand in for ours.
    db.exec(&format!(
        "CREATE SCHEMA evil; GRANT USAGE ON SCHEMA evil TO \"{role}\";
         CREATE FUNCTION evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS 'SELECT ''{{\"evil\": true}}''::jsonb';"
    ))
    .await;
    let mut app = db.connect_as(Some(&role)).await;
    sqlx::query("SET search_path = evil, public")
        .execute(&mut app)
        .await
        .unwrap();
    sqlx::query("INSERT INTO orders VALUES (5, 50)")
        .execute(&mut app)
        .await
        .unwrap();
    let data: serde_json::Value =
        sqlx::query_scalar("SELECT new_data FROM audit.pg_audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(data, serde_json::json!({"id": 5, "total": 50}));
    drop(app);
    db.drop_with_role(&role).await;
}
