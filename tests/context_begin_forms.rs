//! `pg_audit::begin` on every kind of executor: a pool, a pooled connection, and a
//! connection already in a transaction (a savepoint), in and out of a scope.

use pg_audit::{begin, migrate, scope, AuditContext, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules, TestDb};

async fn setup(db: TestDb) -> TestDb {
    db.exec("CREATE TABLE t (id int PRIMARY KEY)").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db
}

/// `(id, updated_by, request_id, is_db_user)` of every audited INSERT, in order.
async fn inserts(db: &TestDb) -> Vec<(String, Option<String>, Option<String>, bool)> {
    sqlx::query_as(
        "SELECT new_data->>'id', updated_by, request_id::text, is_db_user
         FROM audit.pg_audit_log WHERE operation = 'INSERT' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn begin_on_a_pooled_connection_and_on_an_open_transaction_carries_the_context() {
    let db = setup(fresh_db!().await).await;
    let ctx = AuditContext::new().with_user("alice").unwrap();
    let pool = db.pool.clone();
    scope(ctx.clone(), async move {
        // A pooled connection: BEGIN and the settings in one statement.
        let mut conn = pool.acquire().await.unwrap();
        let mut tx = begin(&mut *conn).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // A transaction begun without the context (plain sqlx): begin() on it opens a
        // savepoint, which a custom BEGIN cannot, and still applies the context.
        let mut outer = pool.begin().await.unwrap();
        let mut savepoint = begin(&mut *outer).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut *savepoint)
            .await
            .unwrap();
        savepoint.commit().await.unwrap();
        outer.commit().await.unwrap();
    })
    .await;
    let rows = inserts(&db).await;
    let request_id = ctx.request_id().to_string();
    assert_eq!(rows.len(), 2);
    for (row, id) in rows.iter().zip(["1", "2"]) {
        assert_eq!(row.0, id);
        assert_eq!(row.1.as_deref(), Some("alice"));
        assert_eq!(row.2.as_deref(), Some(request_id.as_str()));
        assert!(!row.3);
    }
}

#[tokio::test]
async fn a_rolled_back_savepoint_takes_its_context_with_it() {
    let db = setup(fresh_db!().await).await;
    let pool = db.pool.clone();
    let mut outer = pool.begin().await.unwrap();
    scope(AuditContext::system("inner-job"), async {
        let savepoint = begin(&mut *outer).await.unwrap();
        savepoint.rollback().await.unwrap();
    })
    .await;
    // Out of the scope, on the same transaction: the savepoint's settings are gone.
    sqlx::query("INSERT INTO t VALUES (3)")
        .execute(&mut *outer)
        .await
        .unwrap();
    outer.commit().await.unwrap();
    let rows = inserts(&db).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, None);
    assert_eq!(rows[0].2, None);
    assert!(rows[0].3);
}

#[tokio::test]
async fn outside_a_scope_begin_is_a_plain_transaction_on_every_executor() {
    let db = setup(fresh_db!().await).await;
    let mut tx = begin(&db.pool).await.unwrap();
    sqlx::query("INSERT INTO t VALUES (4)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut savepoint = begin(&mut *tx).await.unwrap();
    sqlx::query("INSERT INTO t VALUES (5)")
        .execute(&mut *savepoint)
        .await
        .unwrap();
    savepoint.commit().await.unwrap();
    tx.commit().await.unwrap();
    let rows = inserts(&db).await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.1.is_none() && r.2.is_none() && r.3));
}
