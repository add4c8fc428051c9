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

use sqlx::Connection;

#[tokio::test]
async fn a_cast_to_json_defined_by_the_table_owner_runs_as_the_audit_role_and_gains_nothing() {
    let db = fresh_db!().await;
    let owner = format!("{}_owner", db.name);
    db.exec(&format!(
        "CREATE ROLE \"{owner}\" LOGIN; GRANT CREATE, USAGE ON SCHEMA public TO \"{owner}\";"
    ))
    .await;
    let mut as_owner = db.connect_as(Some(&owner)).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TYPE mood AS ENUM ('ok');
         CREATE FUNCTION mood_json(mood) RETURNS json LANGUAGE plpgsql AS $$
         BEGIN
             PERFORM set_config('evil.ran_as', current_user, false);
             BEGIN
                 EXECUTE 'ALTER ROLE \"{owner}\" SUPERUSER';
                 PERFORM set_config('evil.escalated', 'yes', false);
             EXCEPTION WHEN OTHERS THEN
                 PERFORM set_config('evil.escalated', 'no', false);
             END;
             RETURN to_json($1::text);
         END $$;
         CREATE CAST (mood AS json) WITH FUNCTION mood_json(mood);
         CREATE TABLE moods (id int PRIMARY KEY, m mood);"
    )))
    .execute(&mut as_owner)
    .await
    .unwrap();
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    sqlx::query("INSERT INTO moods VALUES (1, 'ok')")
        .execute(&mut as_owner)
        .await
        .unwrap();
    let (ran_as, escalated): (String, String) =
        sqlx::query_as("SELECT current_setting('evil.ran_as'), current_setting('evil.escalated')")
            .fetch_one(&mut as_owner)
            .await
            .unwrap();
    assert_eq!(ran_as, SchemaSettings::default().writer_role());
    assert_eq!(escalated, "no");
    let superuser: bool = sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = $1")
        .bind(&owner)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(!superuser);
    let recorded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_log WHERE table_name = 'moods'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(recorded, 1, "the write committed and was audited");
    as_owner.close().await.ok();
    db.drop_with_role(&owner).await;
}

#[tokio::test]
async fn the_audit_role_can_append_to_the_audit_log_and_do_nothing_else() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let role = SchemaSettings::default().writer_role();
    let attributes: (bool, bool, bool) =
        sqlx::query_as("SELECT rolcanlogin, rolsuper, rolinherit FROM pg_roles WHERE rolname = $1")
            .bind(&role)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(attributes, (false, false, false));
    let owners: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT pg_get_userbyid(proowner)::text FROM pg_proc \
         WHERE pronamespace = 'audit'::regnamespace AND proname LIKE 'pg\\_audit\\_fn\\_%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(owners, std::slice::from_ref(&role));
    let mut conn = db.connect_as(None).await;
    for (sql, allowed) in [
        ("INSERT INTO audit.pg_audit_log (schema_name, table_name, operation) VALUES ('x', 'y', 'INSERT')", true),
        ("SELECT count(*) FROM audit.pg_audit_log", false),
        ("UPDATE audit.pg_audit_log SET table_name = 'z'", false),
        ("DELETE FROM audit.pg_audit_log", false),
        ("SELECT count(*) FROM audit.pg_audit_tables", false),
        ("INSERT INTO audit.pg_api_audit_log (request_id) VALUES (gen_random_uuid())", false),
        ("CREATE TABLE audit.planted (x int)", false),
        ("CREATE TABLE public.planted (x int)", false),
        ("SELECT count(*) FROM public.orders", false),
    ] {
        let outcome = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "BEGIN; SET LOCAL ROLE \"{role}\"; {sql}; ROLLBACK;"
        )))
        .execute(&mut conn)
        .await;
        if outcome.is_err() {
            sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.ok();
        }
        assert_eq!(outcome.is_ok(), allowed, "{sql}: {outcome:?}");
    }
}

#[tokio::test]
async fn a_role_with_the_audit_role_s_name_that_can_log_in_is_refused_clearly() {
    let db = fresh_db!().await;
    let settings = SchemaSettings {
        audit_schema: format!("{}_trap", db.name),
        ..SchemaSettings::default()
    };
    let role = settings.writer_role();
    db.exec(&format!("CREATE ROLE \"{role}\" LOGIN")).await;
    let error = migrate(&db.pool, &settings, &public_rules())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("can log in or holds attributes of its own"),
        "{error}"
    );
    db.drop_with_role(&role).await;
}

/// A function planted in `public` for a call pg-audit's reads make unqualified
/// (`host(inet)`), counting its runs in a sequence, which a rolled-back read cannot undo.
const PLANTED_AHEAD_OF_THE_CATALOG: &str = "
CREATE SEQUENCE public.planted_runs;
GRANT USAGE ON SEQUENCE public.planted_runs TO PUBLIC;
CREATE FUNCTION public.host(inet) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.planted_runs');
    RETURN pg_catalog.host($1);
END $$;";

async fn planted_runs(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.planted_runs",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_function_planted_ahead_of_the_catalog_never_runs_in_the_query_api_or_the_writer() {
    use axum::routing::post;
    use pg_audit::query::{self, ApiLogFilter, AuditLogFilter};
    use pg_audit::{Audit, Settings, WriterSettings};
    use std::time::Duration;

    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        .await;
    db.exec(PLANTED_AHEAD_OF_THE_CATALOG).await;
    // A database whose sessions search public before the catalog: the attack is live there.
    db.exec(&format!(
        "ALTER DATABASE {} SET search_path = public, pg_catalog",
        db.name
    ))
    .await;
    // The application's own pool, opened after the setting; the writer is given it too.
    let app_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with((*db.pool.connect_options()).clone())
        .await
        .unwrap();
    sqlx::query("SELECT host('10.0.0.1'::inet)")
        .execute(&app_pool)
        .await
        .unwrap();
    assert_eq!(
        planted_runs(&app_pool).await,
        1,
        "the planted function is what an unqualified call runs"
    );

    let settings = Settings {
        writer: WriterSettings {
            flush_interval: Duration::from_millis(20),
            ..WriterSettings::default()
        },
        ..Settings::default()
    };
    let audit = Audit::builder(app_pool.clone())
        .settings(settings)
        .writer_pool(app_pool.clone())
        .start()
        .await
        .unwrap();
    sqlx::query("INSERT INTO orders VALUES (1, 10)")
        .execute(&app_pool)
        .await
        .unwrap();
    let app = axum::Router::new()
        .route("/ping", post(|| async { "pong" }))
        .layer(audit.layer());
    let addr = pg_audit_testing::serve(app).await;
    let reply = pg_audit_testing::send(addr, "POST", "/ping", &[]).await;
    assert_eq!(reply.status, 200);
    let stats = audit.shutdown().await;
    assert_eq!(stats.written, 1, "{stats:?}");

    let changes = query::audit_log(&app_pool, "audit", &AuditLogFilter::default())
        .await
        .unwrap();
    assert_eq!(changes.entries.len(), 1);
    let requests = query::api_log(&app_pool, "audit", &ApiLogFilter::default())
        .await
        .unwrap();
    assert_eq!(requests.entries.len(), 1);
    // Inside the caller's own transaction too, which keeps its search_path afterwards.
    let mut tx = app_pool.begin().await.unwrap();
    query::audit_log(&mut *tx, "audit", &AuditLogFilter::default())
        .await
        .unwrap();
    let path: String = sqlx::query_scalar("SHOW search_path")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(path, "public, pg_catalog");
    tx.rollback().await.unwrap();

    assert_eq!(
        planted_runs(&app_pool).await,
        1,
        "no read or write of pg-audit's ran the planted function"
    );
}
