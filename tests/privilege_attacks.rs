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

/// Plants, as the table owner `owner`, a cast to json for a column type of a new table
/// `moods`: the cast tries to make `owner` a superuser and notes as whom it ran.
async fn plant_json_cast(as_owner: &mut sqlx::PgConnection, owner: &str) {
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
    .execute(as_owner)
    .await
    .unwrap();
}

/// Writes to `moods` as the session `writer` and asserts the planted cast ran as the audit
/// role, gained `owner` nothing, and the write committed and was audited once.
async fn assert_json_cast_gains_nothing(
    db: &TestDb,
    writer: &mut sqlx::PgConnection,
    owner: &str,
    settings: &SchemaSettings,
) {
    sqlx::query("INSERT INTO public.moods VALUES (1, 'ok')")
        .execute(&mut *writer)
        .await
        .unwrap();
    let (ran_as, escalated): (String, String) =
        sqlx::query_as("SELECT current_setting('evil.ran_as'), current_setting('evil.escalated')")
            .fetch_one(&mut *writer)
            .await
            .unwrap();
    assert_eq!(ran_as, settings.writer_role());
    assert_eq!(escalated, "no");
    let superuser: bool = sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = $1")
        .bind(owner)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(!superuser);
    let recorded: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{}\".pg_audit_log WHERE table_name = 'moods'",
        settings.audit_schema
    )))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(recorded, 1, "the write committed and was audited");
}

#[tokio::test]
async fn a_cast_to_json_defined_by_the_table_owner_runs_as_the_audit_role_and_gains_nothing() {
    let db = fresh_db!().await;
    let owner = format!("{}_owner", db.name);
    db.exec(&format!(
        "CREATE ROLE \"{owner}\" LOGIN; GRANT CREATE, USAGE ON SCHEMA public TO \"{owner}\";"
    ))
    .await;
    let mut as_owner = db.connect_as(Some(&owner)).await;
    plant_json_cast(&mut as_owner, &owner).await;
    let settings = SchemaSettings::default();
    migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    assert_json_cast_gains_nothing(&db, &mut as_owner, &owner, &settings).await;
    as_owner.close().await.ok();
    db.drop_with_roles(&[&owner]).await;
}

/// An audit schema of this test's own: its audit role, named after it, belongs to the whole
/// cluster (the database name's tail is the hash unique to the test's call).
fn managed_schema(db: &TestDb) -> String {
    format!("managed_{}", &db.name[db.name.len() - 12..])
}

/// Managed PostgreSQL: no superuser. An administrator role with CREATEROLE owns the
/// database and runs migrate; a table owner plants the cast; an application role writes.
#[tokio::test]
async fn on_managed_postgresql_a_createrole_administrator_migrates_and_the_owner_s_cast_gains_nothing(
) {
    let db = fresh_db!().await;
    let (admin, owner, app) = (
        format!("{}_admin", db.name),
        format!("{}_owner", db.name),
        format!("{}_app", db.name),
    );
    db.exec(&format!(
        "CREATE ROLE \"{admin}\" LOGIN CREATEROLE;
         CREATE ROLE \"{owner}\" LOGIN;
         CREATE ROLE \"{app}\" LOGIN;
         ALTER DATABASE \"{db}\" OWNER TO \"{admin}\";
         ALTER SCHEMA public OWNER TO \"{admin}\";
         GRANT CREATE, USAGE ON SCHEMA public TO \"{owner}\";",
        db = db.name
    ))
    .await;
    let mut as_owner = db.connect_as(Some(&owner)).await;
    plant_json_cast(&mut as_owner, &owner).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "GRANT INSERT, SELECT ON public.moods TO \"{app}\""
    )))
    .execute(&mut as_owner)
    .await
    .unwrap();
    let settings = SchemaSettings {
        audit_schema: managed_schema(&db),
        ..SchemaSettings::default()
    };
    let admin_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.options.clone().username(&admin))
        .await
        .unwrap();
    // Attaching takes the table owner's rights, which the administrator lacks so far.
    let error = migrate(&admin_pool, &settings, &public_rules())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!("public.moods (owner \"{owner}\")"))
            && error.contains(&format!("run: GRANT \"{owner}\" TO \"{admin}\";")),
        "{error}"
    );
    // As on most managed services, the administrator is a member of the roles it manages.
    db.exec(&format!("GRANT \"{owner}\" TO \"{admin}\"")).await;
    migrate(&admin_pool, &settings, &public_rules())
        .await
        .unwrap();
    let report = status(&admin_pool, &settings).await.unwrap();
    assert!(report.is_as_declared(), "{report:?}");
    admin_pool.close().await;
    let mut as_app = db.connect_as(Some(&app)).await;
    assert_json_cast_gains_nothing(&db, &mut as_app, &owner, &settings).await;
    as_app.close().await.ok();
    as_owner.close().await.ok();
    db.drop_with_roles(&[&admin, &owner, &app, &settings.writer_role()])
        .await;
}

#[tokio::test]
async fn without_createrole_migrate_says_in_one_line_what_an_administrator_must_run() {
    let db = fresh_db!().await;
    let admin = format!("{}_admin", db.name);
    db.exec(&format!(
        "CREATE ROLE \"{admin}\" LOGIN;
         ALTER DATABASE \"{db}\" OWNER TO \"{admin}\";
         ALTER SCHEMA public OWNER TO \"{admin}\";
         CREATE TABLE orders (id int PRIMARY KEY);
         ALTER TABLE orders OWNER TO \"{admin}\";",
        db = db.name
    ))
    .await;
    let settings = SchemaSettings {
        audit_schema: managed_schema(&db),
        ..SchemaSettings::default()
    };
    let role = settings.writer_role();
    let admin_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.options.clone().username(&admin))
        .await
        .unwrap();
    let error = migrate(&admin_pool, &settings, &public_rules())
        .await
        .unwrap_err()
        .to_string();
    assert!(!error.contains('\n'), "{error}");
    assert!(
        error.contains(&format!(
            "CREATE ROLE \"{role}\" NOLOGIN NOINHERIT; GRANT \"{role}\" TO \"{admin}\";"
        )),
        "{error}"
    );
    // The role exists (made by another database's migrate) but the admin is no member.
    db.exec(&format!("CREATE ROLE \"{role}\" NOLOGIN NOINHERIT"))
        .await;
    let error = migrate(&admin_pool, &settings, &public_rules())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!("run: GRANT \"{role}\" TO \"{admin}\";")),
        "{error}"
    );
    let schema_made: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(&settings.audit_schema)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(!schema_made, "nothing was left half-made");
    // What the message says to run is all it takes.
    db.exec(&format!("GRANT \"{role}\" TO \"{admin}\"")).await;
    migrate(&admin_pool, &settings, &public_rules())
        .await
        .unwrap();
    admin_pool.close().await;
    db.exec("INSERT INTO orders VALUES (1)").await;
    let recorded: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{}\".pg_audit_log",
        settings.audit_schema
    )))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(recorded, 1);
    db.drop_with_roles(&[&admin, &role]).await;
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
    db.drop_with_roles(&[&role]).await;
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
