//! The privilege attacks of the trigger-integrity review, each tried as a table owner would:
//! objects planted where pg-audit's own statements could resolve them.

use pg_audit::{attach, migrate, registered_rules, status, SchemaSettings};
use pg_audit_testing::attacks::{EVIDENCE, PLANTED_UNNEST};
use pg_audit_testing::{fresh_db, public_rules, TestDb};

async fn evidence(db: &TestDb) -> i64 {
    sqlx::query_scalar(EVIDENCE)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_function_planted_in_public_never_runs_in_migrate_attach_or_status() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        .await;
    db.exec(PLANTED_UNNEST).await;
    // The attack is live: an unqualified call under the default search_path runs it.
    db.exec("SELECT count(*) FROM unnest('{1}'::smallint[])")
        .await;
    assert_eq!(evidence(&db).await, 1);

    let settings = SchemaSettings::default();
    migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    attach(&db.pool, &settings, &public_rules(), &Default::default())
        .await
        .unwrap();
    status(&db.pool, &settings).await.unwrap();
    registered_rules(&db.pool, &settings).await.unwrap();
    pg_audit::attach_sql(&db.pool, &settings, &public_rules())
        .await
        .unwrap();
    assert_eq!(
        evidence(&db).await,
        1,
        "pg-audit never ran the planted function"
    );
    // The application's own session is left with its search_path.
    let path: String = sqlx::query_scalar("SHOW search_path")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(path, "\"$user\", public");
}

#[tokio::test]
async fn no_audit_trigger_has_a_when_clause_resolved_with_the_caller_s_operators() {
    let db = fresh_db!().await;
    db.exec(
        "CREATE TABLE orders (id int PRIMARY KEY, total int);
         CREATE TABLE p (id int, region int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE p0 PARTITION OF p FOR VALUES IN (0);
         CREATE TABLE nokey (v text)",
    )
    .await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let definitions: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname LIKE 'pg\\_audit\\_%' AND NOT tgisinternal",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(definitions.len() >= 10, "{definitions:#?}");
    for definition in definitions {
        assert!(!definition.contains(" WHEN "), "{definition}");
    }
}
