//! The living schema: the automatic attach and the DDL trail, tried as an ordinary
//! (non-superuser) table owner would use them, with and without the automatic attach, and
//! the oracle that the triggers the automatic attach renders in SQL are, byte for byte, the
//! ones `attach` renders in Rust.

use pg_audit::{
    attach, attach_sql, migrate, migrate_zero, status, AttachOptions, SchemaSettings, TablePattern,
    TableRules,
};
use pg_audit_testing::{fresh_db, public_rules, TestDb};
use serde_json::Value;
use sqlx::{Connection, PgConnection};

/// An ordinary role that may create tables in `public` (and owns what it creates).
async fn table_owner(db: &TestDb) -> (String, PgConnection) {
    let owner = format!("{}_owner", db.name);
    db.exec(&format!(
        "CREATE ROLE \"{owner}\" LOGIN; GRANT CREATE, USAGE ON SCHEMA public TO \"{owner}\";"
    ))
    .await;
    let conn = db.connect_as(Some(&owner)).await;
    (owner, conn)
}

async fn run(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"));
}

async fn turn_on(db: &TestDb, rules: &TableRules, auto: bool) {
    let settings = SchemaSettings::default();
    migrate(&db.pool, &settings, rules).await.unwrap();
    let plan = attach(
        &db.pool,
        &settings,
        rules,
        &AttachOptions {
            automatic_attach: Some(auto),
            ddl_trail: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(plan.event_triggers_refused, None);
    assert_eq!((plan.automatic_attach, plan.ddl_trail), (auto, true));
}

/// The operations and record ids recorded for one table, oldest first.
async fn rows_of(db: &TestDb, table: &str) -> Vec<(String, Option<String>, Option<Value>)> {
    sqlx::query_as(
        "SELECT operation, record_id, new_data FROM audit.pg_audit_log \
         WHERE table_name = $1 AND operation <> 'DDL' ORDER BY id",
    )
    .bind(table)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

/// The DDL rows of one table: (command tag, db_user, description).
async fn ddl_of(db: &TestDb, table: &str) -> Vec<(String, String, Value)> {
    sqlx::query_as(
        "SELECT new_data->>'command_tag', db_user, new_data FROM audit.pg_audit_log \
         WHERE table_name = $1 AND operation = 'DDL' ORDER BY id",
    )
    .bind(table)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

async fn assert_as_declared(db: &TestDb, after: &str) {
    let report = status(&db.pool, &SchemaSettings::default()).await.unwrap();
    assert!(report.is_as_declared(), "after {after}:\n{report}");
}

#[tokio::test]
async fn tables_an_ordinary_owner_creates_are_audited_from_their_first_row() {
    let db = fresh_db!().await;
    let (owner, mut conn) = table_owner(&db).await;
    let rules = TableRules {
        schemas: vec!["public".into()],
        exclude: vec![TablePattern::parse("scratch").unwrap()],
        mask: vec![(
            TablePattern::parse("accounts").unwrap(),
            vec!["password".into()],
        )],
        ignore: vec![(
            TablePattern::parse("accounts").unwrap(),
            vec!["seen_at".into()],
        )],
    };
    turn_on(&db, &rules, true).await;

    // Created and written in one transaction: the first row is recorded.
    run(
        &mut conn,
        "BEGIN;
         CREATE TABLE accounts (id int PRIMARY KEY, password text, seen_at int);
         INSERT INTO accounts VALUES (1, 'hunter2', 0);
         COMMIT;
         UPDATE accounts SET seen_at = 1;
         CREATE TABLE scratch (id int PRIMARY KEY);
         INSERT INTO scratch VALUES (1);
         CREATE TABLE copied AS SELECT 1 AS id;
         INSERT INTO copied VALUES (2);
         SELECT 5 AS id INTO selected;
         INSERT INTO selected VALUES (6);
         CREATE TABLE events (id int, region int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE events_0 PARTITION OF events FOR VALUES IN (0);
         INSERT INTO events VALUES (1, 0);",
    )
    .await;
    let accounts = rows_of(&db, "accounts").await;
    assert_eq!(
        accounts.len(),
        1,
        "the ignored-only update writes no row: {accounts:?}"
    );
    assert_eq!(accounts[0].0, "INSERT");
    assert_eq!(
        accounts[0].2.as_ref().unwrap()["password"],
        "********",
        "a column masked by the declared rules is masked in a table created later"
    );
    assert!(
        rows_of(&db, "scratch").await.is_empty(),
        "excluded stays excluded"
    );
    assert_eq!(rows_of(&db, "copied").await.len(), 1);
    assert_eq!(rows_of(&db, "selected").await.len(), 1);
    assert_eq!(
        rows_of(&db, "events").await,
        [(
            "INSERT".into(),
            Some("[1,0]".into()),
            Some(serde_json::json!({"id": 1, "region": 0}))
        )]
    );
    assert_as_declared(&db, "the creates").await;
    // The automatic attach records what it did, run by the owner's DDL.
    let attached = ddl_of(&db, "accounts").await;
    assert_eq!(attached[0].0, "pg-audit automatic attach");
    assert_eq!(attached[0].1, owner);
    assert_eq!(attached[0].2["action"], "create");
    conn.close().await.ok();
    db.drop_with_role(&owner).await;
}

#[tokio::test]
async fn every_alter_of_an_audited_table_is_followed_within_its_transaction() {
    let db = fresh_db!().await;
    let (owner, mut conn) = table_owner(&db).await;
    db.exec("CREATE SCHEMA billing; CREATE SCHEMA archive;")
        .await;
    db.exec(&format!(
        "GRANT CREATE, USAGE ON SCHEMA billing, archive TO \"{owner}\";"
    ))
    .await;
    let rules = TableRules {
        schemas: vec!["public".into(), "billing".into()],
        ..Default::default()
    };
    run(
        &mut conn,
        "CREATE TABLE orders (id int PRIMARY KEY, total int)",
    )
    .await;
    turn_on(&db, &rules, true).await;
    let steps: &[(&str, &str, &str)] = &[
        ("ADD COLUMN", "ALTER TABLE orders ADD COLUMN note text", "INSERT INTO orders VALUES (1, 10, 'a')"),
        ("RENAME COLUMN", "ALTER TABLE orders RENAME COLUMN note TO remark", "UPDATE orders SET remark = 'b'"),
        ("DROP COLUMN", "ALTER TABLE orders DROP COLUMN remark", "UPDATE orders SET total = 11"),
        ("DROP KEY", "ALTER TABLE orders DROP CONSTRAINT orders_pkey", "UPDATE orders SET total = 12"),
        ("ADD KEY", "ALTER TABLE orders ADD PRIMARY KEY (id, total)", "UPDATE orders SET total = 13"),
        ("RENAME", "ALTER TABLE orders RENAME TO purchases", "UPDATE purchases SET total = 14"),
        ("SET SCHEMA", "ALTER TABLE purchases SET SCHEMA billing", "UPDATE billing.purchases SET total = 15"),
        ("DISABLE TRIGGER", "ALTER TABLE billing.purchases DISABLE TRIGGER pg_audit_update", "UPDATE billing.purchases SET total = 16"),
        ("DROP TRIGGER", "DROP TRIGGER pg_audit_update ON billing.purchases", "UPDATE billing.purchases SET total = 17"),
        ("PARTITIONED", "CREATE TABLE billing.lines (id int PRIMARY KEY) PARTITION BY RANGE (id);
                         CREATE TABLE billing.lines_0 PARTITION OF billing.lines FOR VALUES FROM (0) TO (10)",
         "INSERT INTO billing.lines VALUES (1)"),
        ("ATTACH PARTITION", "CREATE TABLE billing.lines_1 (id int PRIMARY KEY);
                              ALTER TABLE billing.lines ATTACH PARTITION billing.lines_1 FOR VALUES FROM (10) TO (20)",
         "INSERT INTO billing.lines VALUES (11)"),
        ("DETACH PARTITION", "ALTER TABLE billing.lines DETACH PARTITION billing.lines_1",
         "INSERT INTO billing.lines_1 VALUES (12)"),
        ("DROP PARTITION", "DROP TABLE billing.lines_0", "INSERT INTO billing.lines_1 VALUES (13)"),
    ];
    for (step, ddl, write) in steps {
        // The DDL and the write commit together: the write must be recorded.
        run(&mut conn, &format!("BEGIN; {ddl}; {write}; COMMIT;")).await;
        assert_as_declared(&db, step).await;
    }
    let purchases = rows_of(&db, "purchases").await;
    assert_eq!(
        purchases.len(),
        4,
        "every update after the rename: {purchases:?}"
    );
    assert_eq!(
        purchases[0].1.as_deref(),
        Some("[1,14]"),
        "the new composite key"
    );
    assert_eq!(rows_of(&db, "orders").await.len(), 5);
    assert_eq!(rows_of(&db, "lines").await.len(), 2);
    assert_eq!(
        rows_of(&db, "lines_1").await.len(),
        2,
        "the detached partition under its own name"
    );

    // The trail shows the gaps the owner opened, and who opened them.
    let trail = ddl_of(&db, "purchases").await;
    let disabled = trail
        .iter()
        .find(|(_, _, d)| d["triggers_not_enabled_always"].is_array())
        .expect("the disabled trigger is in the trail");
    assert_eq!(disabled.1, owner);
    assert!(trail.iter().any(|(tag, _, d)| tag == "DROP TRIGGER"
        && d["identity"] == "pg_audit_update on billing.purchases"));

    // Moved out of the audited schemas: no longer audited, as attach would have it.
    run(
        &mut conn,
        "ALTER TABLE billing.purchases SET SCHEMA archive",
    )
    .await;
    assert_as_declared(&db, "SET SCHEMA archive").await;
    run(&mut conn, "UPDATE archive.purchases SET total = 20").await;
    assert_eq!(rows_of(&db, "purchases").await.len(), 4);
    conn.close().await.ok();
    db.drop_with_role(&owner).await;
}

#[tokio::test]
async fn without_automatic_attach_the_trail_shows_every_gap_and_status_the_staleness() {
    let db = fresh_db!().await;
    let (owner, mut conn) = table_owner(&db).await;
    run(&mut conn, "CREATE TABLE orders (id int PRIMARY KEY, total int); CREATE TABLE gone (id int PRIMARY KEY)").await;
    turn_on(&db, &public_rules(), false).await;
    run(
        &mut conn,
        "ALTER TABLE orders DISABLE TRIGGER pg_audit_insert;
         INSERT INTO orders VALUES (1, 1);
         ALTER TABLE orders ENABLE ALWAYS TRIGGER pg_audit_insert;
         ALTER TABLE orders ADD COLUMN note text;
         CREATE TABLE fresh (id int PRIMARY KEY);
         DROP TABLE gone;",
    )
    .await;
    let report = status(&db.pool, &SchemaSettings::default()).await.unwrap();
    assert!(!report.is_as_declared());
    assert!((report.ddl_trail, report.automatic_attach) == (true, false));
    assert!(
        report.to_string().contains("not audited  public.fresh"),
        "{report}"
    );
    let tags: Vec<String> = ddl_of(&db, "orders")
        .await
        .into_iter()
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(tags, ["ALTER TABLE", "ALTER TABLE", "ALTER TABLE"]);
    let disabled = &ddl_of(&db, "orders").await[0];
    assert_eq!(disabled.1, owner);
    assert_eq!(
        disabled.2["triggers_not_enabled_always"],
        serde_json::json!(["public.orders.pg_audit_insert (D)"])
    );
    assert!(ddl_of(&db, "orders").await[1]
        .2
        .get("triggers_not_enabled_always")
        .is_none());
    assert_eq!(ddl_of(&db, "gone").await[0].0, "DROP TABLE");
    assert!(
        ddl_of(&db, "fresh").await.is_empty(),
        "an unaudited table's DDL is not audit DDL"
    );
    conn.close().await.ok();
    db.drop_with_role(&owner).await;
}

#[tokio::test]
async fn changes_to_the_audit_schema_and_its_guard_are_in_the_trail() {
    let db = fresh_db!().await;
    turn_on(&db, &public_rules(), false).await;
    db.exec(
        "ALTER TABLE audit.pg_audit_log_data DISABLE TRIGGER pg_audit_append_only;
         ALTER TABLE audit.pg_audit_log_data ENABLE ALWAYS TRIGGER pg_audit_append_only;
         CREATE INDEX planted_idx ON audit.pg_audit_log_data (db_user);
         DROP INDEX audit.planted_idx;",
    )
    .await;
    let log = ddl_of(&db, "pg_audit_log_data").await;
    assert_eq!(log.len(), 3, "{log:#?}");
    // Disabling the guard on the log disables its clone on every partition: all are named.
    let disabled = log[0].2["triggers_not_enabled_always"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        disabled[0],
        "audit.pg_audit_log_data.pg_audit_append_only (D)"
    );
    assert!(disabled.len() > 2, "{disabled:?}");
    assert!(disabled
        .iter()
        .all(|t| t.as_str().unwrap().ends_with(".pg_audit_append_only (D)")));
    assert_eq!(log[1].0, "ALTER TABLE");
    assert_eq!(log[2].0, "CREATE INDEX");
    let dropped: Vec<String> = sqlx::query_scalar(
        "SELECT new_data->>'identity' FROM audit.pg_audit_log WHERE new_data->>'command_tag' = 'DROP INDEX'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(dropped, ["audit.planted_idx"]);
    // pg-audit's own runs are one row each, not the DDL they issue.
    let runs: Vec<String> = sqlx::query_scalar(
        "SELECT new_data->>'command_tag' FROM audit.pg_audit_log \
         WHERE operation = 'DDL' AND schema_name = 'audit' AND table_name LIKE 'pg-audit %' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(runs, ["pg-audit attach"]);
}

#[tokio::test]
async fn the_triggers_rendered_in_sql_equal_attach_s_byte_for_byte() {
    let db = fresh_db!().await;
    db.exec(
        r#"CREATE SCHEMA "Odd ""Schema""";
           CREATE TABLE plain (id bigint PRIMARY KEY, total numeric, note text, doc json, docs json[]);
           CREATE TABLE composite (a int, "B c" text, d jsonb, e json, f json, PRIMARY KEY ("B c", a));
           CREATE TABLE keyless (v text, w int);
           CREATE TABLE "Odd ""Schema"""."it's\back" ("ключ" int PRIMARY KEY, "{{x}}" text, "a""b" int, secret text);
           CREATE TABLE parts (id int, region int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
           CREATE TABLE parts_b PARTITION OF parts FOR VALUES IN (1) PARTITION BY LIST (id);
           CREATE TABLE parts_b1 PARTITION OF parts_b FOR VALUES IN (1);
           CREATE TABLE parts_a PARTITION OF parts FOR VALUES IN (0);"#,
    )
    .await;
    let rules = TableRules {
        schemas: vec!["public".into(), "Odd \"Schema\"".into()],
        mask: vec![
            (
                TablePattern::parse("plain").unwrap(),
                vec!["note".into(), "total".into()],
            ),
            (
                TablePattern {
                    schema: None,
                    name: "it's\\back".into(),
                },
                vec!["secret".into(), "{{x}}".into()],
            ),
        ],
        ignore: vec![(
            TablePattern::parse("composite").unwrap(),
            vec!["d".into(), "e".into()],
        )],
        ..Default::default()
    };
    for keep_noop_updates in [false, true] {
        let settings = SchemaSettings {
            keep_noop_updates,
            ..Default::default()
        };
        migrate(&db.pool, &settings, &rules).await.unwrap();
        let rust = attach_sql(&db.pool, &settings, &rules).await.unwrap();
        let tables = [
            ("public", "plain"),
            ("public", "composite"),
            ("public", "keyless"),
            ("Odd \"Schema\"", "it's\\back"),
            ("public", "parts"),
        ];
        for (schema, table) in tables {
            let masked = rules.masked_columns(schema, table);
            let ignored = rules.ignored_columns(schema, table);
            let (sql, hash): (String, String) = sqlx::query_as(
                "SELECT r.create_sql, r.definition_hash FROM audit.pg_audit_render_table(\
                 (quote_ident($1) || '.' || quote_ident($2))::regclass::oid, $3, $4, $5) AS r",
            )
            .bind(schema)
            .bind(table)
            .bind(&masked)
            .bind(&ignored)
            .bind(keep_noop_updates)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            let pieces: Vec<&str> = rust.as_str().split("\n\n").collect();
            assert!(
                pieces.contains(&sql.as_str()),
                "{schema}.{table} (keep_noop {keep_noop_updates}) renders differently in SQL:\n{sql}"
            );
            let registered: String = sqlx::query_scalar(
                "SELECT definition_hash FROM audit.pg_audit_tables WHERE schema_name = $1 AND table_name = $2",
            )
            .bind(schema)
            .bind(table)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            assert_eq!(
                hash, registered,
                "{schema}.{table}: FNV-1a in SQL and in Rust"
            );
        }
        migrate_zero(&db.pool, &settings).await.unwrap();
    }
}

#[tokio::test]
async fn a_role_that_may_not_create_event_triggers_is_told_so_and_everything_else_works() {
    let db = fresh_db!().await;
    let schema = format!("{}_audit", db.name);
    let manager = format!("{}_mgr", db.name);
    let settings = SchemaSettings {
        audit_schema: schema.clone(),
        ..Default::default()
    };
    let writer = settings.writer_role();
    db.exec(&format!(
        "CREATE ROLE \"{manager}\" LOGIN; CREATE ROLE \"{writer}\" NOLOGIN NOINHERIT;
         GRANT \"{writer}\" TO \"{manager}\"; GRANT CREATE ON DATABASE \"{}\" TO \"{manager}\";
         GRANT CREATE, USAGE ON SCHEMA public TO \"{manager}\";",
        db.name
    ))
    .await;
    let pool = sqlx::PgPool::connect_with(db.options.clone().username(&manager))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE orders (id int PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    migrate(&pool, &settings, &public_rules()).await.unwrap();
    let plan = attach(
        &pool,
        &settings,
        &public_rules(),
        &AttachOptions {
            automatic_attach: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let reason = plan
        .event_triggers_refused
        .expect("the refusal is reported");
    assert!(
        reason.contains("superuser") && !reason.contains('\n'),
        "{reason}"
    );
    assert!(!plan.automatic_attach && !plan.ddl_trail);
    let report = status(&pool, &settings).await.unwrap();
    assert!(report.is_as_declared(), "{report}");
    assert!(!report.automatic_attach && !report.ddl_trail);
    assert!(
        report
            .to_string()
            .contains("not recorded: audit triggers disabled"),
        "{report}"
    );
    migrate_zero(&pool, &settings).await.unwrap();
    pool.close().await;
    db.drop_with_role(&manager).await;
    let mut admin = PgConnection::connect(&pg_audit_testing::database_url())
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP ROLE IF EXISTS \"{writer}\""
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

#[tokio::test]
async fn migrate_zero_removes_the_event_triggers_and_no_auto_leaves_the_trail() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
    turn_on(&db, &public_rules(), true).await;
    let settings = SchemaSettings::default();
    let plan = attach(
        &db.pool,
        &settings,
        &public_rules(),
        &AttachOptions {
            automatic_attach: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!plan.automatic_attach && plan.ddl_trail);
    db.exec("CREATE TABLE later (id int PRIMARY KEY)").await;
    let report = status(&db.pool, &settings).await.unwrap();
    assert!(
        report.to_string().contains("not audited  public.later"),
        "{report}"
    );
    migrate_zero(&db.pool, &settings).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_event_trigger")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    db.exec("CREATE TABLE after_zero (id int PRIMARY KEY); DROP TABLE orders;")
        .await;
}
