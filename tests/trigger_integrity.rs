//! The attacks and accidents of the trigger-integrity review, one named test each: writes
//! that went unrecorded or were recorded under the wrong name or with the wrong pairing,
//! schemas that made the user's own write fail, and record ids that depended on the writing
//! session's settings.

use pg_audit::{attach_sql, migrate, SchemaSettings};
use pg_audit_testing::{fresh_db, public_rules, TestDb};
use serde_json::{json, Value};
use std::collections::BTreeSet;

async fn audited(db: &TestDb, schema_sql: &str) {
    db.exec(schema_sql).await;
    migrate(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap();
}

/// `(schema, table, operation, record_id, old, new)` of every audit row, oldest first.
type Logged = (
    String,
    String,
    String,
    Option<String>,
    Option<Value>,
    Option<Value>,
);

async fn log(db: &TestDb) -> Vec<Logged> {
    sqlx::query_as(
        "SELECT schema_name, table_name, operation, record_id, old_data, new_data \
         FROM audit.pg_audit_log ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_row_moved_to_another_partition_is_one_update_with_its_own_old_and_new_row() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE p (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE p0 PARTITION OF p FOR VALUES IN (0);
         CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
         INSERT INTO p VALUES (1, 0, 'a'), (2, 0, 'b'), (3, 1, 'c')",
    )
    .await;
    db.exec("UPDATE p SET region = 1 - region, v = v || '!'")
        .await;
    db.exec("UPDATE p SET region = 0 WHERE id = 1").await;
    let updates: Vec<_> = log(&db)
        .await
        .into_iter()
        .filter(|r| r.2 == "UPDATE")
        .collect();
    assert_eq!(updates.len(), 4, "{updates:#?}");
    // (A MERGE that moves a row leaves PostgreSQL 15's transition tables empty, so it is
    // not in this test: see "How the triggers work" in the README.)
    for (_, table, _, _, old, new) in &updates {
        assert_eq!(table, "p");
        let (old, new) = (old.as_ref().unwrap(), new.as_ref().unwrap());
        assert_eq!(
            old["id"], new["id"],
            "each old row paired with its own new row"
        );
    }
    assert_eq!(updates[3].3.as_deref(), Some("[1,0]"));
}

#[tokio::test]
async fn a_moved_row_dropped_by_the_destination_s_before_trigger_is_recorded_as_the_delete_it_became(
) {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE p (id int, region int, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE p0 PARTITION OF p FOR VALUES IN (0);
         CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
         CREATE FUNCTION drop_lost() RETURNS trigger LANGUAGE plpgsql AS
           'BEGIN IF NEW.v = ''lost'' THEN RETURN NULL; END IF; RETURN NEW; END';
         CREATE TRIGGER drop_lost BEFORE INSERT ON p1 FOR EACH ROW EXECUTE FUNCTION drop_lost();
         INSERT INTO p VALUES (1, 0, 'lost'), (2, 0, 'kept'), (3, 0, 'stays')",
    )
    .await;
    db.exec("UPDATE p SET region = 1 WHERE id < 3").await;
    db.exec("UPDATE p SET v = 'still' WHERE id = 3").await;
    let rows: Vec<(String, Option<Value>, Option<Value>)> = log(&db)
        .await
        .into_iter()
        .map(|r| (r.2, r.4, r.5))
        .collect();
    let remaining: i64 = sqlx::query_scalar("SELECT count(*) FROM p")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(remaining, 2, "PostgreSQL dropped the lost row");
    // The lost row is a DELETE; the kept one, whose key changed with its partition, cannot
    // be paired by key either, so it reads as DELETE + INSERT; later statements pair again.
    let deleted: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.0 == "DELETE")
        .map(|r| r.1.as_ref().unwrap()["v"].to_string())
        .collect();
    assert_eq!(
        deleted,
        BTreeSet::from(["\"kept\"".to_string(), "\"lost\"".to_string()])
    );
    let inserted: Vec<&Value> = rows
        .iter()
        .filter(|r| r.0 == "INSERT")
        .map(|r| r.2.as_ref().unwrap())
        .collect();
    assert_eq!(inserted, vec![&json!({"id": 2, "region": 1, "v": "kept"})]);
    let last = rows.last().unwrap();
    assert_eq!(last.0, "UPDATE");
    assert_eq!(last.2.as_ref().unwrap()["v"], json!("still"));
}

#[tokio::test]
async fn a_key_changed_by_the_user_s_before_trigger_is_paired_with_its_own_row() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         CREATE FUNCTION shift() RETURNS trigger LANGUAGE plpgsql AS
           'BEGIN NEW.id := NEW.id + 10; RETURN NEW; END';
         CREATE TRIGGER shift BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION shift();
         INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)",
    )
    .await;
    // Every key moves, though the SET list never names the key.
    db.exec("UPDATE t SET v = v + 100").await;
    let updates: Vec<_> = log(&db)
        .await
        .into_iter()
        .filter(|r| r.2 == "UPDATE")
        .collect();
    assert_eq!(updates.len(), 3);
    for (_, _, _, record_id, old, new) in &updates {
        let (old, new) = (old.as_ref().unwrap(), new.as_ref().unwrap());
        assert_eq!(new["v"].as_i64(), old["v"].as_i64().map(|v| v + 100));
        assert_eq!(new["id"].as_i64(), old["id"].as_i64().map(|id| id + 10));
        assert_eq!(record_id.as_deref(), Some(new["id"].to_string().as_str()));
    }
}

#[tokio::test]
async fn a_deferrable_key_with_transient_duplicates_pairs_each_row_with_its_own() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE t (id int, v text, CONSTRAINT t_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED);
         INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
    )
    .await;
    // Key 2 is held by two rows while the second UPDATE runs; a pairing by key would match
    // each of them with the other's new row.
    db.exec(
        "BEGIN; UPDATE t SET id = 2 WHERE v = 'a'; UPDATE t SET v = v || '!'; UPDATE t SET id = 1 WHERE v = 'a!'; COMMIT",
    )
    .await;
    let rows = log(&db).await;
    assert_eq!(rows.len(), 5, "{rows:#?}");
    for (_, _, operation, _, old, new) in rows {
        assert_eq!(operation, "UPDATE");
        let (old, new) = (old.unwrap(), new.unwrap());
        let (old_v, new_v) = (old["v"].as_str().unwrap(), new["v"].as_str().unwrap());
        assert!(
            new_v == old_v || new_v == format!("{old_v}!"),
            "{old} paired with {new}"
        );
    }
}

#[tokio::test]
async fn updates_after_the_key_column_is_renamed_or_retyped_are_recorded_and_never_fail() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 1)",
    )
    .await;
    db.exec("ALTER TABLE t RENAME COLUMN id TO ident").await;
    db.exec("UPDATE t SET v = 2").await;
    db.exec("UPDATE t SET ident = 5").await;
    db.exec("ALTER TABLE t ALTER COLUMN ident TYPE bigint")
        .await;
    db.exec("UPDATE t SET v = 3").await;
    let operations: Vec<String> = log(&db).await.into_iter().map(|r| r.2).collect();
    assert_eq!(operations, ["UPDATE", "UPDATE", "UPDATE"]);
}

#[tokio::test]
async fn renamed_moved_and_detached_tables_are_recorded_under_the_name_they_have_at_the_write() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY);
         CREATE TABLE p (id int, region int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE p0 PARTITION OF p FOR VALUES IN (0);
         CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
         CREATE SCHEMA other",
    )
    .await;
    db.exec("ALTER TABLE t RENAME TO renamed; INSERT INTO renamed VALUES (1)")
        .await;
    db.exec("ALTER TABLE renamed SET SCHEMA other; INSERT INTO other.renamed VALUES (2)")
        .await;
    db.exec("INSERT INTO p1 VALUES (1, 1)").await;
    db.exec("ALTER TABLE p DETACH PARTITION p1; INSERT INTO p1 VALUES (2, 1)")
        .await;
    let names: Vec<(String, String)> = log(&db).await.into_iter().map(|r| (r.0, r.1)).collect();
    let expected = [
        ("public", "renamed"),
        ("other", "renamed"),
        ("public", "p"),
        ("public", "p1"),
    ];
    assert_eq!(names, expected.map(|(s, t)| (s.to_string(), t.to_string())));
}

/// Every identifier the generated trigger SQL contains, from the SQL itself.
async fn identifiers_of_the_generated_sql(db: &TestDb) -> BTreeSet<String> {
    // A partitioned table's body also counts an UPDATE's rows and pairs them by key.
    db.exec(
        "CREATE TABLE sample (id int PRIMARY KEY, v int);
         CREATE TABLE sample_p (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
         CREATE TABLE sample_p1 PARTITION OF sample_p FOR VALUES FROM (0) TO (100);",
    )
    .await;
    let sql = attach_sql(&db.pool, &SchemaSettings::default(), &public_rules())
        .await
        .unwrap()
        .to_string();
    db.exec("DROP TABLE sample, sample_p").await;
    let system = ["ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"];
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase() || c == '_'))
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| !system.contains(&w.as_str()))
        .collect()
}

#[tokio::test]
async fn columns_named_after_every_identifier_of_the_generated_sql_capture_nothing() {
    let db = fresh_db!().await;
    let names = identifiers_of_the_generated_sql(&db).await;
    assert!(names.len() > 50, "{names:?}");
    for name in [
        "oj",
        "j",
        "pg_audit_table_name",
        "pg_audit_schema_name",
        "relname",
    ] {
        assert!(names.contains(name), "{name} {names:?}");
    }
    let columns: Vec<String> = names.iter().map(|n| format!("\"{n}\" int")).collect();
    // A plain table, and a partitioned one written through its root and directly to a
    // partition (whose trigger looks up the root's name in the catalog).
    audited(
        &db,
        &format!(
            "CREATE TABLE hostile (pk int PRIMARY KEY, {columns});
             CREATE TABLE hostile_p (pk int PRIMARY KEY, {columns}) PARTITION BY RANGE (pk);
             CREATE TABLE hostile_p1 PARTITION OF hostile_p FOR VALUES FROM (0) TO (10);
             CREATE TABLE hostile_p2 PARTITION OF hostile_p FOR VALUES FROM (10) TO (100);",
            columns = columns.join(", ")
        ),
    )
    .await;
    for (table, partition) in [("hostile", "hostile"), ("hostile_p", "hostile_p2")] {
        db.exec(&format!(
            "INSERT INTO {table} (pk, \"j\", \"t\") VALUES (1, 7, 8), (2, 9, 10);
             UPDATE {table} SET \"oj\" = 1, \"changed\" = 2;
             UPDATE {table} SET pk = pk + 10;
             DELETE FROM {partition} WHERE pk = 11;"
        ))
        .await;
    }
    let rows = log(&db).await;
    let operations: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    let one_table = [
        "INSERT", "INSERT", "UPDATE", "UPDATE", "UPDATE", "UPDATE", "DELETE",
    ];
    assert_eq!(operations, [one_table, one_table].concat());
    for (schema, table, _, record_id, old, new) in &rows {
        assert!(
            schema == "public" && (table == "hostile" || table == "hostile_p"),
            "{schema}.{table}"
        );
        let row = new.as_ref().or(old.as_ref()).unwrap();
        assert_eq!(
            row.as_object().map(|o| o.len()),
            Some(names.len() + 1),
            "the whole row, not one column"
        );
        assert_eq!(record_id.as_deref(), Some(row["pk"].to_string().as_str()));
    }
    assert_eq!(
        rows.last().unwrap().1,
        "hostile_p",
        "the partition's delete under the root"
    );
}

/// Writes a row keyed by `key_sql` under one set of session settings, updates it under
/// another, and returns the distinct record ids its audit rows got.
async fn record_ids_across_settings(
    db: &TestDb,
    table: &str,
    key_type: &str,
    key_sql: &str,
    first: &str,
    second: &str,
) -> BTreeSet<Option<String>> {
    db.exec(&format!(
        "CREATE TABLE {table} (k {key_type} PRIMARY KEY, v int)"
    ))
    .await;
    pg_audit::attach(
        &db.pool,
        &SchemaSettings::default(),
        &public_rules(),
        &Default::default(),
    )
    .await
    .unwrap();
    db.exec(&format!(
        "BEGIN; {first}; INSERT INTO {table} VALUES ({key_sql}, 1); COMMIT;
         BEGIN; {second}; UPDATE {table} SET v = 2; DELETE FROM {table}; COMMIT;"
    ))
    .await;
    sqlx::query_scalar("SELECT record_id FROM audit.pg_audit_log WHERE table_name = $1")
        .bind(table)
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn a_row_has_one_record_id_whatever_the_writing_session_s_settings() {
    let db = fresh_db!().await;
    audited(&db, "SELECT 1").await;
    let cases = [
        (
            "timestamptz",
            "'2026-03-01 12:00:00+00'",
            "SET LOCAL TimeZone = 'UTC'",
            "SET LOCAL TimeZone = 'Asia/Tokyo'",
        ),
        (
            "date",
            "'2026-03-01'",
            "SET LOCAL DateStyle = 'ISO, YMD'",
            "SET LOCAL DateStyle = 'German, DMY'",
        ),
        (
            "interval",
            "'1 day 02:00'",
            "SET LOCAL IntervalStyle = 'postgres'",
            "SET LOCAL IntervalStyle = 'sql_standard'",
        ),
        (
            "float8",
            "0.1::float8",
            "SET LOCAL extra_float_digits = 3",
            "SET LOCAL extra_float_digits = -15",
        ),
        (
            "bytea",
            "'\\x00ff'::bytea",
            "SET LOCAL bytea_output = 'hex'",
            "SET LOCAL bytea_output = 'escape'",
        ),
    ];
    for (key_type, key_sql, first, second) in cases {
        let table = format!("keyed_{key_type}");
        let ids = record_ids_across_settings(&db, &table, key_type, key_sql, first, second).await;
        assert_eq!(ids.len(), 1, "{key_type}: {ids:?}");
        assert!(ids.iter().all(Option::is_some), "{key_type}: {ids:?}");
    }
}

#[tokio::test]
async fn keys_as_long_as_the_table_s_own_index_takes_never_fail_the_write_and_stay_findable() {
    let db = fresh_db!().await;
    // Random hex does not compress: each key is just below the B-tree entry limit of the
    // table's own primary key (2704 bytes), so the audit log's record index, which adds the
    // table's name and the JSON quoting of a composite key, could not take it whole.
    audited(
        &db,
        "CREATE TABLE long_key (id text PRIMARY KEY, v int);
         CREATE TABLE long_pair (a text, b text, v int, PRIMARY KEY (a, b));
         CREATE TABLE whole_keys (table_name text, record_id text)",
    )
    .await;
    db.exec(
        "INSERT INTO long_key SELECT string_agg(md5(i::text), ''), 1 FROM generate_series(1, 84) AS i;
         INSERT INTO long_pair
             SELECT string_agg(md5(i::text), '') FILTER (WHERE i <= 41) || 'ab\"c',
                    string_agg(md5(i::text), '') FILTER (WHERE i > 41), 1
             FROM generate_series(1, 83) AS i;
         INSERT INTO whole_keys SELECT 'long_key', id FROM long_key;
         INSERT INTO whole_keys SELECT 'long_pair', '[' || to_jsonb(a)::text || ',' || to_jsonb(b)::text || ']' FROM long_pair;
         UPDATE long_key SET v = 2;
         UPDATE long_pair SET v = 2;
         DELETE FROM long_key;
         DELETE FROM long_pair",
    )
    .await;
    for table in ["long_key", "long_pair"] {
        let whole: String =
            sqlx::query_scalar("SELECT record_id FROM whole_keys WHERE table_name = $1")
                .bind(table)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert!(whole.len() > 2650, "{table}: {} bytes", whole.len());
        let ids: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT record_id FROM audit.pg_audit_log WHERE table_name = $1 ORDER BY id",
        )
        .bind(table)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(ids.len(), 3, "{table}: INSERT, UPDATE and DELETE recorded");
        let stored = ids[0].clone().expect("a record id");
        assert!(ids.iter().all(|id| id.as_deref() == Some(stored.as_str())));
        let digest: String =
            sqlx::query_scalar("SELECT 'sha256:' || encode(sha256(convert_to($1, 'UTF8')), 'hex')")
                .bind(&whole)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(
            stored, digest,
            "{table}: stored as the digest of the whole key"
        );
        for lookup in [&whole, &stored] {
            let history = pg_audit::query::audit_log(
                &db.pool,
                "audit",
                &pg_audit::query::AuditLogFilter::record("public", table, lookup.as_str()),
            )
            .await
            .unwrap();
            assert_eq!(
                history.entries.len(),
                3,
                "{table}: its history by record id"
            );
        }
    }
    // A key that fits is stored as it is.
    db.exec("INSERT INTO long_key VALUES (repeat('x', 2000), 1)")
        .await;
    let short: String =
        sqlx::query_scalar("SELECT record_id FROM audit.pg_audit_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(short, "x".repeat(2000));
}

#[tokio::test]
async fn a_json_column_whose_text_changed_is_recorded_though_its_jsonb_value_is_equal() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE DOMAIN doc_json AS json;
         CREATE TABLE docs (id int PRIMARY KEY, doc json, docs json[], wrapped doc_json, v int);
         INSERT INTO docs VALUES (1, '{\"a\": 1, \"b\": 2}', ARRAY['{\"x\": 1}'::json], '[1, 2]', 0)",
    )
    .await;
    db.exec(
        "UPDATE docs SET doc = '{\"b\": 2, \"a\": 1}';
         UPDATE docs SET docs = ARRAY['{ \"x\" : 1 }'::json];
         UPDATE docs SET wrapped = '[1,2]';
         UPDATE docs SET doc = '{\"b\": 2, \"a\": 1}';
         UPDATE docs SET v = 1;
         UPDATE docs SET doc = '{\"a\": 1, \"a\": 3}', v = 2",
    )
    .await;
    let changed: Vec<Value> = sqlx::query_scalar(
        "SELECT changed_fields FROM audit.pg_audit_log WHERE operation = 'UPDATE' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        changed,
        vec![
            json!(["doc"]),
            json!(["docs"]),
            json!(["wrapped"]),
            json!(["v"]),
            json!(["doc", "v"]),
        ],
        "the text changes recorded, the UPDATE that rewrote the same text not"
    );
}

/// A session keeps the plan it chose for its trigger statements after a few one-row ones;
/// a bulk statement on the same connection must still be paired in linear time. With the
/// pairing joined by a nested loop, the 20,000-row UPDATE below took minutes (quadratic:
/// 3,000 rows took 15 s); the statement timeout turns such a plan into a failure here, with
/// a margin of two orders of magnitude over the seconds it takes.
#[tokio::test]
async fn a_bulk_statement_after_one_row_ones_on_the_same_connection_is_recorded_in_linear_time() {
    let db = fresh_db!().await;
    audited(
        &db,
        "CREATE TABLE items (id int PRIMARY KEY, qty int);
         CREATE TABLE parts (id int, region int, qty int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE parts_1 PARTITION OF parts FOR VALUES IN (1);
         CREATE TABLE parts_2 PARTITION OF parts FOR VALUES IN (2);",
    )
    .await;
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET statement_timeout = '120s'")
        .execute(&mut *conn)
        .await
        .unwrap();
    // (table, a row's values but its id, the same over generate_series' g)
    for (table, values, bulk_values) in [("items", "0", "0"), ("parts", "1, 0", "1 + g % 2, 0")] {
        let one_row = (1..=8).flat_map(|i| {
            [
                format!("INSERT INTO {table} VALUES ({i}, {values})"),
                format!("UPDATE {table} SET qty = qty + 1 WHERE id = {i}"),
                format!("DELETE FROM {table} WHERE id = {i}"),
            ]
        });
        let bulk = [
            format!(
                "INSERT INTO {table} SELECT g, {bulk_values} FROM generate_series(1, 20000) AS g"
            ),
            format!("UPDATE {table} SET qty = qty + 1"),
            format!("DELETE FROM {table}"),
        ];
        for statement in one_row.chain(bulk) {
            // The statements are this test's own text.
            let sql = sqlx::AssertSqlSafe(statement.clone());
            if let Err(e) = sqlx::raw_sql(sql).execute(&mut *conn).await {
                panic!("{statement}: {e} (a plan that does not scale with the rows?)");
            }
        }
    }
    drop(conn);
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT table_name, operation, count(*) FROM audit.pg_audit_log GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let expected: Vec<(String, String, i64)> = ["items", "parts"]
        .iter()
        .flat_map(|t| {
            [("DELETE", 20008), ("INSERT", 20008), ("UPDATE", 20008)]
                .map(|(op, n)| (t.to_string(), op.to_string(), n))
        })
        .collect();
    assert_eq!(counts, expected);
}
