//! Attach planning: create, replace, drop, unchanged, excluded — applied in one transaction
//! with a lock timeout, idempotent, and remembered exclusions.

use pg_audit::{
    attach, migrate, status, ActionKind, AttachOptions, Error, SchemaSettings, TablePattern,
    TableRules, TableState, Tables,
};
use pg_audit_testing::{fresh_db, public_rules, TestDb};
use std::time::{Duration, Instant};

/// One attach run with the default settings.
async fn run(
    db: &TestDb,
    rules: &TableRules,
    options: &AttachOptions,
) -> pg_audit::Result<pg_audit::AttachPlan> {
    attach(&db.pool, &SchemaSettings::default(), rules, options).await
}

fn kinds(plan: &pg_audit::AttachPlan) -> Vec<(String, ActionKind)> {
    plan.actions
        .iter()
        .map(|a| (a.table.name.clone(), a.kind))
        .collect()
}

async fn setup(db: TestDb) -> TestDb {
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, secret text); CREATE TABLE sessions (id int PRIMARY KEY);").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db
}

async fn trigger_count(db: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname LIKE 'pg_audit%'",
    )
    .bind(table)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_second_attach_with_no_change_does_nothing() {
    let db = setup(fresh_db!().await).await;
    let plan = run(&db, &public_rules(), &AttachOptions::default())
        .await
        .unwrap();
    assert!(!plan.has_changes(), "{plan}");
    assert_eq!(
        kinds(&plan),
        [
            ("orders".into(), ActionKind::Unchanged),
            ("sessions".into(), ActionKind::Unchanged)
        ]
    );
}

#[tokio::test]
async fn a_dry_run_reports_the_plan_and_changes_nothing() {
    let db = setup(fresh_db!().await).await;
    db.exec("CREATE TABLE fresh (id int PRIMARY KEY)").await;
    let options = AttachOptions {
        dry_run: true,
        exclude: vec![TablePattern::parse("orders").unwrap()],
        ..Default::default()
    };
    let plan = run(&db, &public_rules(), &options).await.unwrap();
    assert!(!plan.applied);
    assert_eq!(
        plan.action("public", "fresh").unwrap().kind,
        ActionKind::Create
    );
    assert_eq!(
        plan.action("public", "orders").unwrap().kind,
        ActionKind::Drop
    );
    assert_eq!(trigger_count(&db, "fresh").await, 0);
    assert_eq!(trigger_count(&db, "orders").await, 4);
    assert!(plan.to_string().contains("create   public.fresh"), "{plan}");
}

#[tokio::test]
async fn an_excluded_table_loses_its_triggers_and_stays_excluded_until_included() {
    let db = setup(fresh_db!().await).await;
    let exclude = AttachOptions {
        exclude: vec![TablePattern::parse("public.sessions").unwrap()],
        ..Default::default()
    };
    let plan = run(&db, &public_rules(), &exclude).await.unwrap();
    assert_eq!(
        plan.action("public", "sessions").unwrap().kind,
        ActionKind::Drop
    );
    assert_eq!(trigger_count(&db, "sessions").await, 0);
    // A later plain attach keeps it excluded.
    let plan = run(&db, &public_rules(), &AttachOptions::default())
        .await
        .unwrap();
    assert_eq!(
        plan.action("public", "sessions").unwrap().kind,
        ActionKind::Excluded
    );
    assert_eq!(trigger_count(&db, "sessions").await, 0);
    // Until it is included again.
    let include = AttachOptions {
        include: vec![TablePattern::parse("sessions").unwrap()],
        ..Default::default()
    };
    let plan = run(&db, &public_rules(), &include).await.unwrap();
    assert_eq!(
        plan.action("public", "sessions").unwrap().kind,
        ActionKind::Create
    );
    assert_eq!(trigger_count(&db, "sessions").await, 4);
}

#[tokio::test]
async fn declared_exclusions_and_the_settings_list_drop_triggers_too() {
    let db = setup(fresh_db!().await).await;
    static DECLARED: Tables = pg_audit::audit_tables! { exclude: [sessions] };
    let rules = TableRules::from_tables(&DECLARED).unwrap();
    let plan = run(&db, &rules, &AttachOptions::default()).await.unwrap();
    assert_eq!(
        plan.action("public", "sessions").unwrap().kind,
        ActionKind::Drop
    );
    let settings = SchemaSettings {
        excluded_tables: vec!["orders".into()],
        ..SchemaSettings::default()
    };
    let plan = attach(
        &db.pool,
        &settings,
        &public_rules().with_settings(&settings).unwrap(),
        &AttachOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        plan.action("public", "orders").unwrap().kind,
        ActionKind::Drop
    );
    // No longer declared: audited again.
    assert_eq!(
        plan.action("public", "sessions").unwrap().kind,
        ActionKind::Create
    );
    let plan = run(&db, &public_rules(), &AttachOptions::default())
        .await
        .unwrap();
    assert_eq!(
        kinds(&plan),
        [
            ("orders".into(), ActionKind::Create),
            ("sessions".into(), ActionKind::Unchanged)
        ]
    );
}

#[tokio::test]
async fn changed_rules_a_disabled_trigger_or_a_new_table_are_planned_and_fixed() {
    let db = setup(fresh_db!().await).await;
    static MASKED: Tables = pg_audit::audit_tables! { mask: { orders: [secret] } };
    let masked = TableRules::from_tables(&MASKED).unwrap();
    let plan = run(&db, &masked, &AttachOptions::default()).await.unwrap();
    assert_eq!(
        plan.action("public", "orders").unwrap().kind,
        ActionKind::Replace
    );
    assert_eq!(
        plan.action("public", "sessions").unwrap().kind,
        ActionKind::Unchanged
    );
    db.exec("INSERT INTO orders VALUES (1, 'top')").await;
    let stored: serde_json::Value =
        sqlx::query_scalar("SELECT new_data->'secret' FROM audit.pg_audit_log")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, serde_json::json!("********"));

    db.exec("ALTER TABLE sessions DISABLE TRIGGER pg_audit_insert; CREATE TABLE later (id int PRIMARY KEY);").await;
    let report = status(&db.pool, &SchemaSettings::default()).await.unwrap();
    let state = |name: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table.name == name)
            .unwrap()
            .state
    };
    assert_eq!(state("sessions"), TableState::Stale);
    assert_eq!(state("later"), TableState::NotAudited);
    assert_eq!(state("orders"), TableState::Audited);
    let plan = run(&db, &masked, &AttachOptions::default()).await.unwrap();
    assert_eq!(
        plan.action("public", "sessions").unwrap().kind,
        ActionKind::Replace
    );
    assert_eq!(
        plan.action("public", "later").unwrap().kind,
        ActionKind::Create
    );
    assert!(status(&db.pool, &SchemaSettings::default())
        .await
        .unwrap()
        .tables
        .iter()
        .all(|t| t.state == TableState::Audited));
}

#[tokio::test]
async fn remove_drops_every_trigger_and_a_later_attach_restores_the_rules() {
    let db = setup(fresh_db!().await).await;
    let plan = run(
        &db,
        &public_rules(),
        &AttachOptions {
            remove: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(plan.actions.iter().all(|a| a.kind == ActionKind::Drop));
    let functions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_proc WHERE proname LIKE 'pg_audit_fn_%'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((trigger_count(&db, "orders").await, functions), (0, 0));
    db.exec("INSERT INTO orders VALUES (1, 'x')").await;
    let plan = run(&db, &public_rules(), &AttachOptions::default())
        .await
        .unwrap();
    assert!(plan.actions.iter().all(|a| a.kind == ActionKind::Create));
}

#[tokio::test]
async fn a_renamed_or_dropped_table_is_handled() {
    let db = setup(fresh_db!().await).await;
    db.exec("ALTER TABLE orders RENAME TO purchases; DROP TABLE sessions;")
        .await;
    let plan = run(&db, &public_rules(), &AttachOptions::default())
        .await
        .unwrap();
    assert_eq!(kinds(&plan), [("purchases".into(), ActionKind::Replace)]);
    db.exec("INSERT INTO purchases VALUES (1, 'x')").await;
    let names: Vec<String> = sqlx::query_scalar("SELECT table_name FROM audit.pg_audit_log")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(names, ["purchases"], "recorded once, under the new name");
    let registered: Vec<String> =
        sqlx::query_scalar("SELECT table_name FROM audit.pg_audit_tables ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(registered, ["purchases"]);
}

#[tokio::test]
async fn mistakes_in_rules_or_options_are_clear_errors() {
    let db = setup(fresh_db!().await).await;
    let unknown = AttachOptions {
        exclude: vec![TablePattern::parse("nosuch").unwrap()],
        ..Default::default()
    };
    let error = run(&db, &public_rules(), &unknown).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown table nosuch: no such table in the audited schemas"
    );
    static TYPO: Tables = pg_audit::audit_tables! { mask: { orders: [secrte] } };
    let error = run(
        &db,
        &TableRules::from_tables(&TYPO).unwrap(),
        &AttachOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("masked column secrte does not exist in table public.orders"),
        "{error}"
    );
    static KEY: Tables = pg_audit::audit_tables! { mask: { orders: [id] } };
    let error = run(
        &db,
        &TableRules::from_tables(&KEY).unwrap(),
        &AttachOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("part of its primary key"),
        "{error}"
    );
    assert_eq!(
        trigger_count(&db, "orders").await,
        4,
        "a failed attach changes nothing"
    );
}

#[tokio::test]
async fn attach_gives_up_after_the_lock_timeout_behind_a_long_transaction() {
    let db = setup(fresh_db!().await).await;
    db.exec("CREATE TABLE busy (id int PRIMARY KEY)").await;
    let mut blocker = db.connect_as(None).await;
    sqlx::raw_sql("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE;")
        .execute(&mut blocker)
        .await
        .unwrap();
    let settings = SchemaSettings {
        lock_timeout: Duration::from_millis(300),
        ..SchemaSettings::default()
    };
    let started = Instant::now();
    let error = attach(
        &db.pool,
        &settings,
        &public_rules(),
        &AttachOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::LockTimeout(_)), "{error}");
    assert!(started.elapsed() < Duration::from_secs(30));
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut blocker)
        .await
        .unwrap();
    assert_eq!(trigger_count(&db, "busy").await, 0);
}

#[tokio::test]
async fn a_new_partition_makes_the_parent_stale_until_attached() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE m (id int, k int, PRIMARY KEY (id, k)) PARTITION BY LIST (k); CREATE TABLE m1 PARTITION OF m FOR VALUES IN (1);").await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
    db.exec("CREATE TABLE m2 PARTITION OF m FOR VALUES IN (2)")
        .await;
    let report = status(&db.pool, &SchemaSettings::default()).await.unwrap();
    assert_eq!(report.tables[0].state, TableState::Stale);
    run(&db, &public_rules(), &AttachOptions::default())
        .await
        .unwrap();
    db.exec("INSERT INTO m2 VALUES (1, 2)").await;
    let names: Vec<String> = sqlx::query_scalar("SELECT table_name FROM audit.pg_audit_log")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(names, ["m"]);
}

#[tokio::test]
async fn a_table_audited_by_another_audit_schema_is_a_clear_error() {
    let db = setup(fresh_db!().await).await;
    let other = SchemaSettings {
        audit_schema: "audit_b".into(),
        ..SchemaSettings::default()
    };
    let error = pg_audit::migrate(&db.pool, &other, &public_rules())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("already has the audit triggers of audit schema audit"),
        "{error}"
    );
    assert_eq!(
        trigger_count(&db, "orders").await,
        4,
        "the first audit schema's triggers are untouched"
    );
}
