//! How the triggers read the pg_audit.* settings: app context is recorded, context-free
//! writes are marked as direct database writes, and malformed values never abort the write.

use pg_audit::{migrate, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules, TestDb};
use serde_json::{json, Value};
use sqlx::Connection;

#[derive(Debug, sqlx::FromRow)]
struct Context {
    updated_by: Option<String>,
    ip_address: Option<String>,
    api_name: Option<String>,
    http_method: Option<String>,
    request_id: Option<String>,
    context: Option<Value>,
    is_db_user: bool,
    db_user: Option<String>,
    application_name: Option<String>,
    transaction_id: Option<i64>,
}

async fn setup(db: TestDb, settings: &SchemaSettings) -> TestDb {
    db.exec("CREATE TABLE t (id int PRIMARY KEY, v int); CREATE TABLE k (v int);")
        .await;
    migrate(&db.pool, settings, &public_rules()).await.unwrap();
    db
}

/// Writes one row to `t` (keyed, statement-level) and one to `k` (keyless, row-level) in a
/// transaction with the given settings, and returns what both audit rows recorded.
async fn write_with(db: &TestDb, settings: &[(&str, &str)]) -> (Context, Context) {
    let mut conn = db.connect_as(None).await;
    let mut tx = conn.begin().await.unwrap();
    for (name, value) in settings {
        sqlx::query("SELECT set_config($1, $2, true)")
            .bind(name)
            .bind(value)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO t VALUES ((SELECT coalesce(max(id), 0) + 1 FROM t), 1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO k VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let read = |table: &'static str| {
        sqlx::query_as::<_, Context>(
            "SELECT updated_by, host(ip_address) AS ip_address, api_name, http_method, request_id::text AS request_id, context,
                    is_db_user, db_user, application_name, transaction_id
             FROM audit.pg_audit_log WHERE table_name = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(table)
        .fetch_one(&db.pool)
    };
    (read("t").await.unwrap(), read("k").await.unwrap())
}

#[tokio::test]
async fn app_context_is_recorded_with_the_database_role() {
    let db = setup(fresh_db!().await, &SchemaSettings::default()).await;
    let (keyed, keyless) = write_with(
        &db,
        &[
            ("pg_audit.user_id", "5f0e7c1a-0000-4000-8000-000000000001"),
            ("pg_audit.ip", "2001:db8::7"),
            ("pg_audit.api_name", "/orders/{id}"),
            ("pg_audit.http_method", "patch"),
            (
                "pg_audit.request_id",
                "0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b",
            ),
            (
                "pg_audit.context",
                r#"{"tenant": "acme", "reason": "support"}"#,
            ),
        ],
    )
    .await;
    for row in [&keyed, &keyless] {
        assert_eq!(
            row.updated_by.as_deref(),
            Some("5f0e7c1a-0000-4000-8000-000000000001")
        );
        assert_eq!(row.ip_address.as_deref(), Some("2001:db8::7"));
        assert_eq!(row.api_name.as_deref(), Some("/orders/{id}"));
        assert_eq!(row.http_method.as_deref(), Some("PATCH"));
        assert_eq!(
            row.request_id.as_deref(),
            Some("0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b")
        );
        assert_eq!(
            row.context,
            Some(json!({"tenant": "acme", "reason": "support"}))
        );
        assert!(!row.is_db_user);
        assert_eq!(row.db_user.as_deref(), Some("postgres"));
        assert!(row.transaction_id.is_some());
    }
}

#[tokio::test]
async fn a_write_without_context_is_a_db_user_write_with_role_address_and_application() {
    let db = setup(fresh_db!().await, &SchemaSettings::default()).await;
    sqlx::query("SET application_name = 'nightly psql'")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut conn = db.connect_as(None).await;
    sqlx::query("SET application_name = 'nightly psql'")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO t VALUES (1, 1)")
        .execute(&mut conn)
        .await
        .unwrap();
    let row: Context = sqlx::query_as(
        "SELECT updated_by, host(ip_address) AS ip_address, api_name, http_method, request_id::text AS request_id, context,
                is_db_user, db_user, application_name, transaction_id
         FROM audit.pg_audit_log",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(row.is_db_user);
    assert_eq!(row.db_user.as_deref(), Some("postgres"));
    assert_eq!(row.ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(row.application_name.as_deref(), Some("nightly psql"));
    assert!(row.updated_by.is_none() && row.request_id.is_none() && row.context.is_none());
}

#[tokio::test]
async fn with_track_db_users_off_no_client_address_is_recorded_for_direct_writes() {
    let db = setup(
        fresh_db!().await,
        &SchemaSettings {
            track_db_users: false,
            ..SchemaSettings::default()
        },
    )
    .await;
    let (keyed, _) = write_with(&db, &[]).await;
    assert!(keyed.is_db_user);
    assert_eq!(keyed.db_user.as_deref(), Some("postgres"));
    assert!(keyed.ip_address.is_none());
}

#[tokio::test]
async fn malformed_context_values_never_abort_the_write_and_become_null() {
    let db = setup(fresh_db!().await, &SchemaSettings::default()).await;
    let cases: &[(&str, &str)] = &[
        ("pg_audit.request_id", "not-a-uuid"),
        (
            "pg_audit.request_id",
            "0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5bXX",
        ),
        (
            "pg_audit.request_id",
            "{0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b}",
        ),
        ("pg_audit.ip", "999.1.1.1"),
        ("pg_audit.ip", "1.2.3.4/33"),
        ("pg_audit.ip", ":::"),
        ("pg_audit.ip", "fe80::1%eth0"),
        ("pg_audit.ip", "1.2.3.4'; DROP TABLE t; --"),
        ("pg_audit.ip", "12345::"),
        ("pg_audit.context", "{broken"),
        ("pg_audit.context", r#"{"a": "\u0000"}"#),
        ("pg_audit.context", r#"{"a": "\ud800"}"#),
        ("pg_audit.context", "1e999999"),
        ("pg_audit.context", &"[".repeat(5000)),
        ("pg_audit.context", "V"),
        ("pg_audit.context", "{\"a\": 1,}"),
        ("pg_audit.context", "{\"a\"\n: tru}"),
        ("pg_audit.context", "{\"a\":1,}"),
        ("pg_audit.context", "{\"a\":01}"),
        ("pg_audit.context", r#"{"a":"\u0000"}"#),
        ("pg_audit.context", r#"{"a":"x\"}"#),
        ("pg_audit.context", "{\"a\":1e99999}"),
    ];
    for (name, value) in cases {
        let (keyed, keyless) = write_with(&db, &[(name, value), ("pg_audit.user_id", "u")]).await;
        for row in [&keyed, &keyless] {
            assert!(row.request_id.is_none(), "{name}={value}");
            assert!(row.ip_address.is_none(), "{name}={value}");
            if *name == "pg_audit.context" {
                // Kept as a string, cut with a marker past 4096 characters.
                let kept = if value.chars().count() > 4096 {
                    format!("{}...[cut]", value.chars().take(4088).collect::<String>())
                } else {
                    value.to_string()
                };
                assert_eq!(
                    row.context,
                    Some(Value::String(kept)),
                    "bad JSON is kept as a string"
                );
            }
            assert_eq!(row.updated_by.as_deref(), Some("u"));
        }
    }
}

#[tokio::test]
async fn odd_but_valid_values_are_kept() {
    let db = setup(fresh_db!().await, &SchemaSettings::default()).await;
    let cases: &[(&str, &str, &str)] = &[
        ("pg_audit.ip", "::ffff:10.1.2.3", "::ffff:10.1.2.3"),
        ("pg_audit.ip", "1:2:3:4::1.2.3.4", "1:2:3:4::102:304"),
        ("pg_audit.ip", "0.0.0.0", "0.0.0.0"),
        ("pg_audit.ip", "::", "::"),
        ("pg_audit.ip", "FE80::ABCD", "fe80::abcd"),
    ];
    for (name, value, stored) in cases {
        let (keyed, _) = write_with(&db, &[(name, value), ("pg_audit.user_id", "u")]).await;
        assert_eq!(keyed.ip_address.as_deref(), Some(*stored), "{value}");
    }
    let (keyed, _) = write_with(
        &db,
        &[
            ("pg_audit.user_id", "alice@example.com"),
            (
                "pg_audit.context",
                r#"{"n": [1, -2.5e3, true, null, {"s": "a\"b\\c\u00e9"}], "empty": {}}"#,
            ),
        ],
    )
    .await;
    assert_eq!(keyed.updated_by.as_deref(), Some("alice@example.com"));
    let (compact, _) = write_with(
        &db,
        &[
            ("pg_audit.user_id", "u"),
            (
                "pg_audit.context",
                r#"{"t":"a\"b","n":-1.5e3,"ok":true,"z":null}"#,
            ),
        ],
    )
    .await;
    assert_eq!(
        compact.context,
        Some(json!({"t": "a\"b", "n": -1500, "ok": true, "z": null}))
    );
    assert_eq!(
        keyed.context,
        Some(json!({"n": [1, -2500, true, null, {"s": "a\"b\\cé"}], "empty": {}}))
    );
}

#[tokio::test]
async fn settings_of_a_committed_transaction_do_not_reach_the_next_write_on_the_connection() {
    let db = setup(fresh_db!().await, &SchemaSettings::default()).await;
    let mut conn = db.connect_as(None).await;
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT set_config('pg_audit.user_id', 'alice', true), set_config('pg_audit.request_id', '0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO t VALUES (1, 1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("INSERT INTO t VALUES (2, 2)")
        .execute(&mut conn)
        .await
        .unwrap();
    let rows: Vec<(Option<String>, bool)> =
        sqlx::query_as("SELECT updated_by, is_db_user FROM audit.pg_audit_log ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(rows, vec![(Some("alice".to_string()), false), (None, true)]);
}
