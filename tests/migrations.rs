//! Migrations: idempotent, serialized across concurrent runners, reversible to zero without
//! touching application data, and exportable as plain SQL.

use pg_audit::{migrate, migrate_zero, migration_files, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules, CapturedEvents, TestDb};
use sqlx::postgres::PgPoolOptions;

/// Every migration, oldest first.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, "audit_tables"),
    (2, "api_log_request_key"),
    (3, "positional_update_pairing"),
    (4, "audit_role"),
    (5, "log_time_indexes"),
    (6, "living_schema"),
    (7, "partitioned_log"),
    (8, "lean_trigger_bodies"),
];

fn migrations(from: i32) -> Vec<(i32, String)> {
    MIGRATIONS
        .iter()
        .filter(|(v, _)| *v >= from)
        .map(|(v, n)| (*v, n.to_string()))
        .collect()
}

async fn count(db: &TestDb, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

#[tokio::test]
async fn migrate_is_idempotent_and_attaches_existing_tables_the_first_time() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    let first = migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    assert_eq!(first.applied, migrations(1));
    assert!(first
        .attach
        .as_ref()
        .unwrap()
        .action("public", "orders")
        .is_some());
    let second = migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    assert!(second.applied.is_empty() && second.attach.is_none());
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_audit_migrations").await,
        MIGRATIONS.len() as i64
    );
}

#[tokio::test]
async fn concurrent_migrations_from_separate_pools_apply_once() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    let mut runs = Vec::new();
    for _ in 0..4 {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(db.options.clone())
            .await
            .unwrap();
        runs.push(tokio::spawn(async move {
            migrate(&pool, &SchemaSettings::default(), &public_rules()).await
        }));
    }
    let mut applied = 0;
    for run in runs {
        applied += run.await.unwrap().unwrap().applied.len();
    }
    assert_eq!(applied, MIGRATIONS.len());
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_audit_migrations").await,
        MIGRATIONS.len() as i64
    );
    db.exec("INSERT INTO orders VALUES (1)").await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_audit_log").await,
        1,
        "one trigger set, not four"
    );
}

#[tokio::test]
async fn zero_removes_everything_of_ours_and_keeps_application_data() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, v text); CREATE TABLE nokey (v text);")
        .await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db.exec("INSERT INTO orders VALUES (1, 'kept'); INSERT INTO nokey VALUES ('kept');")
        .await;
    let report = migrate_zero(&db.pool, &SchemaSettings::default())
        .await
        .unwrap();
    let mut all = migrations(1);
    all.reverse();
    assert_eq!(report.reverted, all);
    assert!(report.schema_dropped);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM orders WHERE v = 'kept'").await,
        1
    );
    db.exec("UPDATE orders SET v = 'still writable'; INSERT INTO nokey VALUES ('x');")
        .await;
    // And back again.
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db.exec("INSERT INTO orders VALUES (2, 'audited again')")
        .await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_audit_log").await,
        1
    );
}

#[tokio::test]
async fn zero_keeps_a_schema_that_existed_before_or_holds_other_objects() {
    let db = fresh_db!().await;
    db.exec("CREATE SCHEMA audit; CREATE TABLE audit.notes (n text); INSERT INTO audit.notes VALUES ('mine');").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let report = migrate_zero(&db.pool, &SchemaSettings::default())
        .await
        .unwrap();
    assert!(!report.schema_dropped);
    assert_eq!(count(&db, "SELECT count(*) FROM audit.notes").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM pg_class WHERE relnamespace = 'audit'::regnamespace AND relname LIKE 'pg_audit%'").await, 0);
    // Zero on a database that was never migrated does nothing.
    assert!(migrate_zero(&db.pool, &SchemaSettings::default())
        .await
        .unwrap()
        .reverted
        .is_empty());
}

#[tokio::test]
async fn a_non_default_audit_schema_with_an_awkward_name_works() {
    let db = fresh_db!().await;
    let settings = SchemaSettings {
        audit_schema: "Audit Trail$x\"".into(),
        ..SchemaSettings::default()
    };
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    db.exec("INSERT INTO orders VALUES (1)").await;
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM \"Audit Trail$x\"\"\".pg_audit_log"
        )
        .await,
        1
    );
    migrate_zero(&db.pool, &settings).await.unwrap();
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'Audit Trail$x\"'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn exported_migration_files_build_the_same_schema_with_plain_psql_style_execution() {
    let db = fresh_db!().await;
    let files = migration_files(&SchemaSettings::default()).unwrap();
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let mut expected = vec!["0000_bootstrap.up.sql".to_string()];
    for (version, name) in MIGRATIONS {
        expected.push(format!("{version:04}_{name}.up.sql"));
        expected.push(format!("{version:04}_{name}.down.sql"));
    }
    assert_eq!(names, expected);
    for (name, sql) in &files {
        if name.ends_with(".up.sql") {
            db.exec(sql.as_str()).await;
        }
    }
    assert_eq!(count(&db, "SELECT count(*) FROM pg_class WHERE relnamespace = 'audit'::regnamespace AND relname = 'pg_audit_log'").await, 1);
    for (_, down) in files.iter().rev().filter(|(n, _)| n.ends_with(".down.sql")) {
        db.exec(down.as_str()).await;
    }
    assert_eq!(count(&db, "SELECT count(*) FROM pg_class WHERE relnamespace = 'audit'::regnamespace AND relname = 'pg_audit_log'").await, 0);
}

#[tokio::test]
async fn invalid_settings_are_refused_before_any_sql_runs() {
    let db = fresh_db!().await;
    for schema in ["", &"s".repeat(64), "a\0b"] {
        let settings = SchemaSettings {
            audit_schema: schema.to_string(),
            ..SchemaSettings::default()
        };
        let error = migrate(&db.pool, &settings, &public_rules())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                pg_audit::Error::Invalid {
                    what: "audit schema",
                    ..
                }
            ),
            "{error}"
        );
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'audit%' OR nspname LIKE 's%s'"
        )
        .await,
        0
    );
}

async fn recorded_checksum(db: &TestDb) -> String {
    sqlx::query_scalar("SELECT checksum FROM audit.pg_audit_migrations WHERE version = 1")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn flipping_track_db_users_leaves_the_migrations_and_their_checksums_alone() {
    let db = fresh_db!().await;
    let off = SchemaSettings::default();
    let on = SchemaSettings {
        track_db_users: true,
        ..SchemaSettings::default()
    };
    migrate(&db.pool, &off, &public_rules()).await.unwrap();
    let before = recorded_checksum(&db).await;
    let (events, _guard) = CapturedEvents::start();
    let again = migrate(&db.pool, &on, &public_rules()).await.unwrap();
    assert!(again.applied.is_empty());
    assert_eq!(events.warnings(), Vec::<String>::new());
    assert_eq!(recorded_checksum(&db).await, before);
    assert_eq!(
        migration_files(&off).unwrap(),
        migration_files(&on).unwrap()
    );
}

#[tokio::test]
async fn a_schema_migrated_by_release_0_1_is_brought_up_to_date_without_a_warning() {
    let db = fresh_db!().await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let current = recorded_checksum(&db).await;
    // What release 0.1 recorded for migration 1 with the default settings: its text then
    // held the context functions too.
    db.exec("UPDATE audit.pg_audit_migrations SET checksum = '27c0f4d14c0c845f' WHERE version = 1")
        .await;
    let (events, _guard) = CapturedEvents::start();
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    assert_eq!(events.warnings(), Vec::<String>::new());
    assert_eq!(recorded_checksum(&db).await, current);
}

#[tokio::test]
async fn an_applied_migration_whose_text_changed_is_warned_about() {
    let db = fresh_db!().await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db.exec("UPDATE audit.pg_audit_migrations SET checksum = '0000000000000000' WHERE version = 1")
        .await;
    let (events, _guard) = CapturedEvents::start();
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    let warnings = events.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("migration changed since it was applied"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn the_context_functions_come_with_attach_after_the_exported_migration_files() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    for (name, sql) in migration_files(&SchemaSettings::default()).unwrap() {
        if name.ends_with(".up.sql") {
            db.exec(sql.as_str()).await;
        }
    }
    let context = "SELECT count(*) FROM pg_proc WHERE pronamespace = 'audit'::regnamespace AND proname = 'pg_audit_context'";
    assert_eq!(count(&db, context).await, 0);
    let attach = pg_audit::attach_sql(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db.exec(attach.as_str()).await;
    assert_eq!(count(&db, context).await, 1);
    db.exec("INSERT INTO orders VALUES (1)").await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_audit_log").await,
        1
    );
}

async fn api_log_indexes(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'audit' AND tablename LIKE 'pg\\_api\\_audit\\_log%' \
         AND indexname IN ('pg_api_audit_log_request_key', 'pg_api_audit_log_request_idx') ORDER BY indexname",
    // After migration 7 the former log is a partition of the new one, keeping its indexes.
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn migration_2_makes_api_log_rows_unique_by_request_id_and_time() {
    let db = fresh_db!().await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    // Every partition of the API log has the unique key (migration 7 made it each one's).
    let without_key = count(
        &db,
        "SELECT count(*) FROM audit.pg_audit_partitions() AS p
         WHERE p.log_table = 'pg_api_audit_log' AND NOT EXISTS (
             SELECT 1 FROM pg_indexes AS i
             WHERE i.schemaname = 'audit' AND i.tablename = p.partition_name
               AND i.indexdef LIKE 'CREATE UNIQUE INDEX % (request_id, created_at)')",
    )
    .await;
    assert_eq!(without_key, 0);
    let insert = "INSERT INTO audit.pg_api_audit_log (request_id, created_at) \
                  VALUES ('0190a0a0-0000-7000-8000-000000000001', '2026-01-01T00:00:00Z') ON CONFLICT DO NOTHING";
    db.exec(insert).await;
    db.exec(insert).await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_api_audit_log").await,
        1
    );
}

#[tokio::test]
async fn migration_2_keeps_rows_written_twice_before_it_and_makes_later_ones_unique() {
    let db = fresh_db!().await;
    let settings = SchemaSettings::default();
    // A schema at migration 1 holding a row the earlier writer wrote twice.
    for (name, sql) in migration_files(&settings).unwrap() {
        if name.starts_with("0000") || name == "0001_audit_tables.up.sql" {
            db.exec(sql.as_str()).await;
        }
    }
    db.exec(
        "INSERT INTO audit.pg_audit_migrations (version, name, checksum) \
         SELECT 1, 'audit_tables', '721cb60912ca38db'",
    )
    .await;
    let twice = "INSERT INTO audit.pg_api_audit_log (request_id, created_at) \
                 VALUES ('0190a0a0-0000-7000-8000-000000000002', '2026-01-01T00:00:00Z')";
    db.exec(twice).await;
    db.exec(twice).await;
    let report = migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    assert_eq!(report.applied, migrations(2));
    let indexes = api_log_indexes(&db).await;
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    assert!(
        indexes[0].contains("(request_id)") && indexes[1].contains("WHERE (id > 2)"),
        "{indexes:?}"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_api_audit_log").await,
        2
    );
    let later = "INSERT INTO audit.pg_api_audit_log (request_id, created_at) \
                 VALUES ('0190a0a0-0000-7000-8000-000000000003', '2026-01-01T00:00:00Z') ON CONFLICT DO NOTHING";
    db.exec(later).await;
    db.exec(later).await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_api_audit_log").await,
        3
    );
}

#[tokio::test]
async fn a_schema_migrated_before_the_audit_role_keeps_every_write_working_after_migrate() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    let settings = SchemaSettings::default();
    migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    // The state a schema of migration 3 is in: context functions without the role's grant,
    // migration 4 not applied.
    let role = settings.writer_role();
    db.exec(&format!(
        "REVOKE EXECUTE ON FUNCTION audit.pg_audit_context(), audit.pg_audit_is_json(text),
             audit.pg_audit_truncate_context(jsonb, name, name, text, text) FROM \"{role}\";
         DELETE FROM audit.pg_audit_migrations WHERE version = 4;"
    ))
    .await;
    let report = migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    // Migration 4 alone: the later ones stay recorded.
    assert_eq!(report.applied, migrations(4)[..1]);
    db.exec("INSERT INTO orders VALUES (1); UPDATE orders SET id = 2; TRUNCATE orders")
        .await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM audit.pg_audit_log").await,
        3
    );
}

#[tokio::test]
async fn migration_8_gives_a_schema_of_migration_7_the_lean_trigger_and_context_bodies() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        .await;
    let settings = SchemaSettings::default();
    migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    // The state migration 7 left, with bodies an earlier version rendered standing in: a
    // trigger function that records nothing, a context function that names another user,
    // the registry's hash of the older trigger SQL, migration 8 not applied.
    let function: String = sqlx::query_scalar(
        "SELECT p.oid::regprocedure::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid \
         WHERE t.tgrelid = 'orders'::regclass AND t.tgname = 'pg_audit_insert'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    db.exec(&format!(
        "CREATE OR REPLACE FUNCTION {function} RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
         CREATE OR REPLACE FUNCTION audit.pg_audit_context() RETURNS TABLE (user_id text, ip_address inet,
             api_name text, http_method text, request_id uuid, context jsonb, is_db_user boolean, db_user text,
             application_name text, transaction_id bigint)
         LANGUAGE sql STABLE AS $$ SELECT NULL::text, NULL::inet, NULL::text, NULL::text, NULL::uuid,
             NULL::jsonb, true, 'older body'::text, NULL::text, txid_current() $$;
         UPDATE audit.pg_audit_tables SET definition_hash = 'rendered by migration 7';
         DELETE FROM audit.pg_audit_migrations WHERE version = 8;"
    ))
    .await;
    let report = migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    assert_eq!(report.applied, migrations(8));
    db.exec("INSERT INTO orders VALUES (1, 5); UPDATE orders SET total = 6")
        .await;
    let rows: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT table_name, db_user, new_data IS NOT NULL FROM audit.pg_audit_log ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .all(|(table, user, whole)| table == "orders" && user == "postgres" && *whole),
        "{rows:?}"
    );
}
