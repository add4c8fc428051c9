//! The log at scale: both logs are partitioned by month (UTC) and a row of any time lands;
//! the append-only guard, the grants and the ownership hold on every partition, present and
//! made later by maintenance; retention drops whole partitions, waits at most the lock
//! timeout and records itself; UPDATE rows are stored compact and read back whole; a
//! populated log of the previous version upgrades without losing a row.

use chrono::{DateTime, Datelike, Utc};
use pg_audit::{
    attach, maintain, migrate, migrate_until, migrate_zero, status, AttachOptions, Audit,
    SchemaSettings, Settings,
};
use pg_audit_testing::{create_audit_tables, fresh_db, public_rules, TestDb};
use serde_json::Value;
use sqlx::{Connection, Row};
use std::time::{Duration, Instant};

const FOUR_HUNDRED_DAYS: Duration = Duration::from_secs(400 * 86_400);

fn retaining(retention: Duration) -> SchemaSettings {
    SchemaSettings {
        retention: Some(retention),
        ..SchemaSettings::default()
    }
}

/// Writes a data-log row of time `at` (an SQL timestamptz literal) as the owner, through the
/// view (as a trigger function rendered before migration 7 would), and returns its id.
async fn row_at(db: &TestDb, at: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, new_data, updated_at)
         VALUES ('public', 'fixture', 'INSERT', '{\"id\": 1}', $1::timestamptz) RETURNING id",
    )
    .bind(at)
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("a row at {at} did not land: {e}"))
}

async fn request_at(db: &TestDb, at: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, response_code, created_at)
         VALUES (gen_random_uuid(), '/orders', 'POST', 201, $1::timestamptz) RETURNING id",
    )
    .bind(at)
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("a request at {at} did not land: {e}"))
}

/// The partition holding data-log row `id`.
async fn partition_of(db: &TestDb, id: i64) -> String {
    sqlx::query_scalar("SELECT tableoid::regclass::text FROM audit.pg_audit_log_data WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn scalar<T>(db: &TestDb, sql: &'static str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

async fn partition_names(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar("SELECT partition_name FROM audit.pg_audit_partitions() ORDER BY 1")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

fn month_partition(at: DateTime<Utc>) -> String {
    format!("audit.pg_audit_log_data_{:04}_{:02}", at.year(), at.month())
}

#[tokio::test]
async fn a_row_of_any_time_lands_and_maintenance_gives_it_its_months_partition() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        .await;
    create_audit_tables(&db).await;
    // The months ahead exist from the first migrate on: this one and three more.
    let now: DateTime<Utc> = scalar(&db, "SELECT now()").await;
    let names = partition_names(&db).await;
    let mut month = now.date_naive().with_day(1).unwrap();
    for _ in 0..4 {
        let name = format!("pg_audit_log_data_{:04}_{:02}", month.year(), month.month());
        assert!(names.contains(&name), "{name} missing from {names:?}");
        month = month.checked_add_months(chrono::Months::new(1)).unwrap();
    }
    // An audited write lands in this month's partition.
    db.exec("INSERT INTO orders VALUES (1, 10)").await;
    let id: i64 = scalar(&db, "SELECT max(id) FROM audit.pg_audit_log").await;
    assert_eq!(partition_of(&db, id).await, month_partition(now));

    // Rows of any time land: month boundaries, other time zones, years ahead and behind,
    // and the infinities.
    let times = [
        ("2041-01-31 23:59:59.999999+00", "2041_01"),
        ("2041-02-01 00:00:00+00", "2041_02"),
        ("2041-02-01 09:00:00+14", "2041_01"),
        ("2052-02-29 12:00:00+00", "2052_02"),
        ("1999-12-31 23:59:59+00", "1999_12"),
        ("1970-01-01 00:00:00+00", "1970_01"),
    ];
    let mut ids = Vec::new();
    for (at, month) in times {
        ids.push((row_at(&db, at).await, at, month));
    }
    let future = row_at(&db, "infinity").await;
    let past = row_at(&db, "-infinity").await;
    let before: i64 = scalar(&db, "SELECT count(*) FROM audit.pg_audit_log").await;
    for (id, _, _) in &ids {
        assert_eq!(
            partition_of(&db, *id).await,
            "audit.pg_audit_log_data_default"
        );
    }

    // Maintenance, from a session in another time zone, gives each month its partition
    // (bounds in UTC) and moves the rows there; the infinities stay in the default one.
    let mut far_east = db.connect_as(None).await;
    sqlx::raw_sql("SET TimeZone = 'Pacific/Kiritimati'")
        .execute(&mut far_east)
        .await
        .unwrap();
    let created: Vec<String> = sqlx::query_scalar("SELECT audit.pg_audit_create_partitions(3)")
        .fetch_one(&mut far_east)
        .await
        .unwrap();
    assert!(
        created.contains(&"pg_audit_log_data_2041_01".to_string()),
        "{created:?}"
    );
    for (id, at, month) in &ids {
        assert_eq!(
            partition_of(&db, *id).await,
            format!("audit.pg_audit_log_data_{month}"),
            "row at {at}"
        );
    }
    for id in [future, past] {
        assert_eq!(
            partition_of(&db, id).await,
            "audit.pg_audit_log_data_default"
        );
    }
    let bounds = sqlx::query(
        "SELECT (lower_bound AT TIME ZONE 'UTC')::text, (upper_bound AT TIME ZONE 'UTC')::text FROM audit.pg_audit_partitions()
         WHERE partition_name = 'pg_audit_log_data_2041_02'",
    )
    .fetch_one(&mut far_east)
    .await
    .unwrap();
    assert_eq!(
        (bounds.get::<String, _>(0), bounds.get::<String, _>(1)),
        (
            "2041-02-01 00:00:00".to_string(),
            "2041-03-01 00:00:00".to_string()
        ),
        "bounds are UTC months whatever the session's time zone"
    );
    let after: i64 = scalar(&db, "SELECT count(*) FROM audit.pg_audit_log").await;
    assert_eq!(before, after, "no row is lost or added by moving them");
    // With the DDL trail on, a maintenance run that made partitions records itself.
    attach(
        &db.pool,
        &SchemaSettings::default(),
        &public_rules(),
        &AttachOptions {
            ddl_trail: Some(true),
            ..AttachOptions::default()
        },
    )
    .await
    .unwrap();
    row_at(&db, "2052-02-29 12:00:00+00").await;
    row_at(&db, "2060-06-01 00:00:00+00").await;
    maintain(&db.pool, &SchemaSettings::default())
        .await
        .unwrap();
    let recorded: Value = scalar(
        &db,
        "SELECT new_data FROM audit.pg_audit_log WHERE operation = 'DDL' ORDER BY id DESC LIMIT 1",
    )
    .await;
    assert_eq!(recorded["command_tag"], "pg-audit maintain");
    assert_eq!(
        recorded["partitions_created"],
        serde_json::json!(["pg_audit_log_data_2060_06"])
    );
    // A second run has nothing to do.
    let again = maintain(&db.pool, &SchemaSettings::default())
        .await
        .unwrap();
    assert!(again.partitions_created.is_empty(), "{again:?}");
    assert!(status(&db.pool, &SchemaSettings::default())
        .await
        .unwrap()
        .findings
        .is_empty());
}

#[tokio::test]
async fn every_partition_present_and_made_later_keeps_the_guard_the_owner_and_no_grants() {
    let db = fresh_db!().await;
    let reader = format!("reader_{}", &db.name[db.name.len() - 8..]);
    create_audit_tables(&db).await;
    // A careless operator's default privileges would hand every new table of the schema out.
    db.exec(&format!(
        "CREATE ROLE \"{reader}\" NOLOGIN;
         ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT ALL ON TABLES TO PUBLIC, \"{reader}\";"
    ))
    .await;
    let id = row_at(&db, "2043-07-10 12:00:00+00").await;
    let report = maintain(&db.pool, &SchemaSettings::default())
        .await
        .unwrap();
    assert!(
        report
            .partitions_created
            .contains(&"pg_audit_log_data_2043_07".to_string()),
        "{report:?}"
    );
    assert_eq!(
        partition_of(&db, id).await,
        "audit.pg_audit_log_data_2043_07"
    );

    let grants: i64 = scalar(
        &db,
        "SELECT count(*) FROM pg_class AS c
         JOIN pg_inherits AS i ON i.inhrelid = c.oid
         CROSS JOIN LATERAL aclexplode(c.relacl) AS a
         WHERE i.inhparent IN ('audit.pg_audit_log_data'::regclass, 'audit.pg_api_audit_log'::regclass)
           AND a.grantee <> c.relowner",
    )
    .await;
    assert_eq!(grants, 0, "no partition has grants of its own");
    let foreign_owners: i64 = scalar(
        &db,
        "SELECT count(*) FROM pg_class AS c
         JOIN pg_inherits AS i ON i.inhrelid = c.oid
         JOIN pg_class AS l ON l.oid = i.inhparent
         WHERE l.oid IN ('audit.pg_audit_log_data'::regclass, 'audit.pg_api_audit_log'::regclass)
           AND c.relowner <> l.relowner",
    )
    .await;
    assert_eq!(foreign_owners, 0);

    // The guard holds on the new partition, for its owner, also in replica mode.
    for sql in [
        "UPDATE audit.pg_audit_log_data_2043_07 SET table_name = 'forged'",
        "DELETE FROM audit.pg_audit_log_data_2043_07",
        "TRUNCATE audit.pg_audit_log_data_2043_07",
        "TRUNCATE audit.pg_api_audit_log_default",
        "SET session_replication_role = replica; DELETE FROM audit.pg_audit_log_data_2043_07",
    ] {
        let mut conn = db.connect_as(None).await;
        let error = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect_err(sql)
            .to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert!(status(&db.pool, &SchemaSettings::default())
        .await
        .unwrap()
        .findings
        .is_empty());

    // status reports a partition's own grant and a disabled guard on it.
    db.exec(&format!(
        "GRANT SELECT ON audit.pg_audit_log_data_2043_07 TO \"{reader}\";
         ALTER TABLE audit.pg_api_audit_log_default DISABLE TRIGGER pg_audit_append_only;"
    ))
    .await;
    let findings = status(&db.pool, &SchemaSettings::default())
        .await
        .unwrap()
        .findings;
    assert!(
        findings
            .iter()
            .any(|f| f.object == "pg_audit_log_data_2043_07"
                && f.problem.contains("privileges of its own")),
        "{findings:?}"
    );
    assert!(
        findings.iter().any(
            |f| f.object == "pg_api_audit_log_default.pg_audit_append_only"
                && f.problem.contains("not ENABLE ALWAYS")
        ),
        "{findings:?}"
    );
    db.exec(&format!(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA audit REVOKE ALL ON TABLES FROM PUBLIC, \"{reader}\";"
    ))
    .await;
    db.drop_with_role(&reader).await;
}

#[tokio::test]
async fn retention_drops_whole_partitions_records_the_run_and_purge_still_cuts_inside_one() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        .await;
    create_audit_tables(&db).await;
    db.exec("INSERT INTO orders VALUES (1, 10), (2, 20)").await;
    row_at(&db, "2001-05-03 10:00:00+00").await;
    row_at(&db, "2001-05-04 10:00:00+00").await;
    row_at(&db, "2001-06-03 10:00:00+00").await;
    request_at(&db, "2001-05-04 10:00:00+00").await;
    let kept_rows: i64 = scalar(
        &db,
        "SELECT count(*) FROM audit.pg_audit_log WHERE updated_at > now() - interval '1 day'",
    )
    .await;

    let report = maintain(&db.pool, &retaining(FOUR_HUNDRED_DAYS))
        .await
        .unwrap();
    let mut dropped = report.partitions_dropped.clone();
    dropped.sort();
    assert_eq!(
        dropped,
        [
            "pg_api_audit_log_2001_05",
            "pg_audit_log_data_2001_05",
            "pg_audit_log_data_2001_06"
        ],
        "{report:?}"
    );
    assert_eq!((report.audit_rows_removed, report.api_rows_removed), (3, 1));
    assert!(report.partitions_kept.is_empty());
    let old: i64 = scalar(
        &db,
        "SELECT (SELECT count(*) FROM audit.pg_audit_log WHERE updated_at < '2002-01-01')
              + (SELECT count(*) FROM audit.pg_api_audit_log WHERE created_at < '2002-01-01')",
    )
    .await;
    assert_eq!(old, 0);
    // The recent rows stay, and each drop is recorded in the log itself.
    let recent: i64 = scalar(
        &db,
        "SELECT count(*) FROM audit.pg_audit_log WHERE updated_at > now() - interval '1 day' AND operation <> 'DELETE'",
    )
    .await;
    assert!(recent >= kept_rows, "{recent} < {kept_rows}");
    let runs: Vec<Value> = sqlx::query_scalar(
        "SELECT context -> 'retention' FROM audit.pg_audit_log
         WHERE operation = 'DELETE' AND table_name = 'pg_audit_log' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let removed: i64 = runs
        .iter()
        .map(|r| {
            r["audit_rows_removed"].as_i64().unwrap() + r["api_rows_removed"].as_i64().unwrap()
        })
        .sum();
    assert_eq!(removed, 4, "{runs:?}");
    assert!(runs
        .iter()
        .all(|r| r["partitions_dropped"].as_array().unwrap().len() == 1));
    // Nothing is left to drop.
    let again = maintain(&db.pool, &retaining(FOUR_HUNDRED_DAYS))
        .await
        .unwrap();
    assert!(again.partitions_dropped.is_empty(), "{again:?}");

    // pg_audit_purge still removes rows older than a cutoff inside a partition.
    let early = row_at(&db, "now").await;
    db.exec("SELECT pg_sleep(0.01)").await;
    let cutoff: DateTime<Utc> = scalar(&db, "SELECT clock_timestamp()").await;
    db.exec("INSERT INTO orders VALUES (3, 30)").await;
    let purged: i64 = sqlx::query_scalar("SELECT audit.pg_audit_purge($1)")
        .bind(cutoff)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(purged >= 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM audit.pg_audit_log WHERE id = $1")
        .bind(early)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let newest: i64 = scalar(
        &db,
        "SELECT count(*) FROM audit.pg_audit_log WHERE record_id = '3'",
    )
    .await;
    assert_eq!(newest, 1);

    // A careless cutoff is refused, and retention is the owner's alone.
    let mut conn = db.connect_as(None).await;
    let error = sqlx::raw_sql("SELECT audit.pg_audit_drop_partitions(now() + interval '1 day')")
        .execute(&mut conn)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("cutoff in the past"), "{error}");
    assert!(maintain(&db.pool, &retaining(Duration::ZERO))
        .await
        .is_err());
    let stranger = format!("stranger_{}", &db.name[db.name.len() - 8..]);
    db.exec(&format!(
        "CREATE ROLE \"{stranger}\" LOGIN; GRANT USAGE ON SCHEMA audit TO \"{stranger}\";"
    ))
    .await;
    let mut conn = db.connect_as(Some(&stranger)).await;
    for sql in [
        "SELECT audit.pg_audit_drop_partitions('2001-01-01')",
        "SELECT audit.pg_audit_create_partitions(1)",
    ] {
        let error = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect_err(sql)
            .to_string();
        assert!(error.contains("permission denied"), "{sql}: {error}");
    }
    conn.close().await.ok();
    db.drop_with_role(&stranger).await;
}

#[tokio::test]
async fn a_retention_drop_waits_at_most_the_lock_timeout_and_keeps_the_partition_for_later() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    row_at(&db, "2001-05-03 10:00:00+00").await;
    maintain(&db.pool, &SchemaSettings::default())
        .await
        .unwrap();
    // A long reader of the log holds a lock the drop must wait for.
    let mut reader = db.connect_as(None).await;
    let mut held = reader.begin().await.unwrap();
    sqlx::query("SELECT count(*) FROM audit.pg_audit_log")
        .execute(&mut *held)
        .await
        .unwrap();
    let settings = SchemaSettings {
        lock_timeout: Duration::from_millis(200),
        ..retaining(FOUR_HUNDRED_DAYS)
    };
    let started = Instant::now();
    let report = maintain(&db.pool, &settings).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(report.partitions_kept, ["pg_audit_log_data_2001_05"]);
    assert!(report.partitions_dropped.is_empty());
    held.rollback().await.unwrap();
    let report = maintain(&db.pool, &settings).await.unwrap();
    assert_eq!(report.partitions_dropped, ["pg_audit_log_data_2001_05"]);
}

#[tokio::test]
async fn update_rows_are_stored_as_their_changed_values_and_read_back_whole() {
    let db = fresh_db!().await;
    db.exec(
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int, tags text[], doc jsonb, note text)",
    )
    .await;
    create_audit_tables(&db).await;
    db.exec(
        "INSERT INTO items SELECT i, 'item ' || i, i, ARRAY['a'], jsonb_build_object('n', i), NULL
         FROM generate_series(1, 200) AS i",
    )
    .await;
    db.exec("UPDATE items SET qty = qty + 1 WHERE id % 2 = 0")
        .await;
    db.exec("UPDATE items SET note = 'x', doc = doc || '{\"m\": 1}' WHERE id % 3 = 0")
        .await;
    db.exec("UPDATE items SET name = name WHERE id = 5").await;
    let mismatched: i64 = scalar(
        &db,
        "SELECT count(*) FROM (
             SELECT DISTINCT ON (l.record_id) l.record_id, l.new_data
             FROM audit.pg_audit_log AS l
             WHERE l.table_name = 'items' AND l.operation IN ('INSERT', 'UPDATE')
             ORDER BY l.record_id, l.id DESC) AS latest
         JOIN items AS i ON i.id::text = latest.record_id
         WHERE latest.new_data <> to_jsonb(i)",
    )
    .await;
    assert_eq!(mismatched, 0, "the view gives every new row whole");
    let stored = sqlx::query(
        "SELECT d.new_values, l.changed_fields FROM audit.pg_audit_log_data AS d
         JOIN audit.pg_audit_log AS l USING (id)
         WHERE d.operation = 'UPDATE' AND d.record_id = '6' ORDER BY d.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let stored: Vec<(Value, Value)> = stored
        .iter()
        .map(|r| (r.get("new_values"), r.get("changed_fields")))
        .collect();
    assert_eq!(
        stored,
        [
            (serde_json::json!({"qty": 7}), serde_json::json!(["qty"])),
            (
                serde_json::json!({"note": "x", "doc": {"n": 6, "m": 1}}),
                serde_json::json!(["doc", "note"])
            ),
        ]
    );
    // A row written the way a trigger function rendered before migration 7 writes it (the
    // whole new row, through the view) is stored as given and reads back the same.
    let id: i64 = scalar(
        &db,
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, old_data, new_data, changed_fields, record_id)
         VALUES ('public', 'items', 'UPDATE', '{\"id\": 1, \"qty\": 1}', '{\"id\": 1, \"qty\": 2}', '[\"qty\"]', '1')
         RETURNING id",
    )
    .await;
    let row = sqlx::query(
        "SELECT d.new_values, l.new_data FROM audit.pg_audit_log_data AS d
         JOIN audit.pg_audit_log AS l USING (id) WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        row.get::<Value, _>(0),
        serde_json::json!({"id": 1, "qty": 2})
    );
    assert_eq!(
        row.get::<Value, _>(1),
        serde_json::json!({"id": 1, "qty": 2})
    );
}

#[tokio::test]
async fn the_audit_handle_maintains_the_log_in_the_background() {
    let db = fresh_db!().await;
    create_audit_tables(&db).await;
    row_at(&db, "2001-05-03 10:00:00+00").await;
    let audit = Audit::builder(db.pool.clone())
        .settings(Settings {
            schema: retaining(FOUR_HUNDRED_DAYS),
            ..Settings::default()
        })
        .maintenance_interval(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let old: i64 = scalar(
            &db,
            "SELECT count(*) FROM audit.pg_audit_log WHERE updated_at < '2002-01-01'",
        )
        .await;
        if old == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the background maintenance did not drop the old partition"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recorded: i64 = scalar(
        &db,
        "SELECT count(*) FROM audit.pg_audit_log WHERE operation = 'DELETE' AND context ? 'retention'",
    )
    .await;
    assert_eq!(recorded, 1);
    audit.shutdown().await;
}

/// The rows of both logs up to the given ids, as the contract reads them.
async fn both_logs(db: &TestDb, (data_ids, api_ids): (i64, i64)) -> (Vec<Value>, Vec<Value>) {
    let data = sqlx::query_scalar(
        "SELECT to_jsonb(l) FROM audit.pg_audit_log AS l WHERE l.id <= $1 ORDER BY l.id",
    )
    .bind(data_ids)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let api = sqlx::query_scalar(
        "SELECT to_jsonb(l) FROM audit.pg_api_audit_log AS l WHERE l.id <= $1 ORDER BY l.id",
    )
    .bind(api_ids)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    (data, api)
}

/// The rows of `after` that differ from `before`'s (or are missing), for a readable failure.
fn differences(before: &[Value], after: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = before
        .iter()
        .filter(|row| !after.contains(row))
        .map(|row| format!("lost or changed: {row}"))
        .collect();
    out.extend(
        after
            .iter()
            .filter(|row| !before.contains(row))
            .map(|row| format!("new: {row}")),
    );
    out
}

#[tokio::test]
async fn a_populated_log_of_the_previous_version_upgrades_without_losing_a_row() {
    let db = fresh_db!().await;
    let suffix = &db.name[db.name.len() - 8..];
    let (reader, writer) = (format!("reader_{suffix}"), format!("writer_{suffix}"));
    let settings = SchemaSettings::default();
    migrate_until(&db.pool, &settings, 6).await.unwrap();
    // A log as version 6 kept it: whole new rows, every operation, times past and far
    // ahead, rows purged meanwhile, and privileges granted on it.
    db.exec(&format!(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, old_data, new_data, changed_fields, record_id,
             ip_address, updated_at, updated_by, is_db_user, db_user, application_name, api_name, http_method, request_id,
             transaction_id, context)
         SELECT 'public', 'orders', (ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'DDL', 'SNAPSHOT'])[1 + i % 6],
                CASE WHEN i % 6 IN (1, 2) THEN jsonb_build_object('id', i, 'total', i) END,
                CASE WHEN i % 6 IN (0, 1, 5) THEN jsonb_build_object('id', i, 'total', i + 1)
                     WHEN i % 6 = 4 THEN jsonb_build_object('command_tag', 'ALTER TABLE') END,
                CASE WHEN i % 6 = 1 THEN '[\"total\"]'::jsonb END, i::text,
                '192.0.2.1', CASE WHEN i = 7 THEN '2031-05-05' ELSE now() - make_interval(days => i) END,
                'user ' || (i % 5), i % 2 = 0, 'postgres', 'app', '/orders', 'POST', gen_random_uuid(), i, '{{\"tenant\": 1}}'
         FROM generate_series(1, 300) AS i;
         INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, request_payload, response_body,
             response_code, user_id, ip_address, created_at, duration_ms)
         SELECT gen_random_uuid(), '/orders', 'POST', '{{\"a\": 1}}', '{{\"ok\": true}}', 200 + i % 3, 'u', '192.0.2.2',
                CASE WHEN i = 3 THEN '2031-05-05' ELSE now() - make_interval(days => i) END, i / 3.0
         FROM generate_series(1, 40) AS i;
         SELECT audit.pg_audit_purge(now() - interval '290 days');
         CREATE ROLE \"{reader}\" NOLOGIN; CREATE ROLE \"{writer}\" NOLOGIN;
         GRANT USAGE ON SCHEMA audit TO \"{reader}\", \"{writer}\";
         GRANT SELECT ON audit.pg_audit_log, audit.pg_api_audit_log TO \"{reader}\";
         GRANT INSERT ON audit.pg_api_audit_log TO \"{writer}\";"
    ))
    .await;
    let last_id: i64 = scalar(&db, "SELECT last_value FROM audit.pg_audit_log_id_seq").await;
    let last_api_id: i64 = scalar(&db, "SELECT max(id) FROM audit.pg_api_audit_log").await;
    let before = both_logs(&db, (i64::MAX, i64::MAX)).await;
    assert!(before.0.len() > 250 && before.1.len() == 40);

    db.exec("CREATE TABLE orders (id int PRIMARY KEY, total int)")
        .await;
    let report = migrate(&db.pool, &settings, &public_rules()).await.unwrap();
    assert_eq!(
        report.applied,
        [
            (7, "partitioned_log".to_string()),
            (8, "lean_trigger_bodies".to_string())
        ]
    );
    let (data, api) = both_logs(&db, (last_id, last_api_id)).await;
    let purge_record = data
        .iter()
        .filter(|r| r["context"].get("retention").is_some())
        .count();
    assert_eq!(purge_record, 1);
    assert_eq!(
        differences(&before.0, &data),
        Vec::<String>::new(),
        "every data-log row reads as before"
    );
    assert_eq!(
        differences(&before.1, &api),
        Vec::<String>::new(),
        "every API-log row reads as before"
    );
    let kept: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT tableoid::regclass::text FROM audit.pg_audit_log_data ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(
        kept.iter().any(|p| p.contains("_before_")) && kept.iter().any(|p| p.ends_with("_2031_05")),
        "{kept:?}"
    );

    // Privileges carry over to what is read under the old names; new rows continue the ids.
    let mut conn = db.connect_as(None).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET ROLE \"{reader}\"; SELECT count(*) FROM audit.pg_audit_log; SELECT count(*) FROM audit.pg_api_audit_log;
         RESET ROLE; SET ROLE \"{writer}\";
         INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, response_code) VALUES (gen_random_uuid(), '/x', 'GET', 200);
         RESET ROLE;"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.ok();
    db.exec("INSERT INTO orders VALUES (1, 1); UPDATE orders SET total = 2")
        .await;
    let first_new: i64 = scalar(
        &db,
        "SELECT min(id) FROM audit.pg_audit_log WHERE table_name = 'orders' AND record_id = '1' AND updated_at > now() - interval '1 minute'",
    )
    .await;
    assert!(first_new > last_id, "{first_new} <= {last_id}");
    let newest: Value = scalar(
        &db,
        "SELECT new_data FROM audit.pg_audit_log WHERE operation = 'UPDATE' ORDER BY id DESC LIMIT 1",
    )
    .await;
    assert_eq!(newest, serde_json::json!({"id": 1, "total": 2}));
    assert!(status(&db.pool, &settings)
        .await
        .unwrap()
        .findings
        .is_empty());

    // And back: reverting every migration leaves no audit schema behind.
    migrate_zero(&db.pool, &settings).await.unwrap();
    let schema: i64 = scalar(
        &db,
        "SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'",
    )
    .await;
    assert_eq!(schema, 0);
    db.drop_with_roles(&[&reader, &writer]).await;
}
