//! A differential test of the audit triggers against an oracle: the simplest obviously
//! correct form, a row-level trigger on a twin of each audited table (schema `oracle`, the
//! same columns and key, never partitioned), whose OLD and NEW rows PostgreSQL pairs itself.
//! A seeded random workload runs every statement on the audited table and on its twin, in
//! the same transaction; after each statement the audit rows it wrote must equal the
//! oracle's (operation, old and new row, changed columns, record id), and at the end replaying
//! each table's audit log must reproduce the table.

use crate::{Dice, TestDb};
use serde_json::{Map, Value};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::collections::BTreeMap;

/// The audited tables: `(name, key columns, DDL with `{s}` for the schema)`. The twin of the
/// partitioned table is a plain table, so a row moved between partitions is one UPDATE in
/// the oracle too.
const TABLES: &[(&str, &[&str], &str)] = &[
    ("k", &["id"], "CREATE TABLE {s}.k (id int PRIMARY KEY, v int NOT NULL, s text)"),
    (
        "c",
        &["a", "b"],
        "CREATE TABLE {s}.c (a int, b int, v int NOT NULL, PRIMARY KEY (a, b))",
    ),
    ("nk", &[], "CREATE TABLE {s}.nk (v int NOT NULL, s text)"),
    (
        "d",
        &["id"],
        "CREATE TABLE {s}.d (id int, v int NOT NULL, CONSTRAINT d_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED)",
    ),
    (
        "bk",
        &["id"],
        "CREATE TABLE {s}.bk (id int PRIMARY KEY, v int NOT NULL);
         CREATE FUNCTION {s}.bk_shift() RETURNS trigger LANGUAGE plpgsql AS
           'BEGIN IF NEW.v % 5 = 0 THEN NEW.id := NEW.id + 1000; END IF; RETURN NEW; END';
         CREATE TRIGGER bk_shift BEFORE UPDATE ON {s}.bk FOR EACH ROW EXECUTE FUNCTION {s}.bk_shift()",
    ),
    (
        "ch",
        &["id"],
        "CREATE TABLE {s}.ch (id int PRIMARY KEY, k_id int REFERENCES {s}.k (id) ON DELETE CASCADE ON UPDATE CASCADE, v int NOT NULL)",
    ),
];

const PARTITIONED: &str = "CREATE TABLE public.p (id int, region int, v int NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
     CREATE TABLE public.p0 PARTITION OF public.p FOR VALUES IN (0);
     CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES IN (1);
     CREATE TABLE public.p2 PARTITION OF public.p FOR VALUES IN (2, 3)";
const PARTITIONED_TWIN: &str =
    "CREATE TABLE oracle.p (id int, region int, v int NOT NULL, PRIMARY KEY (id, region))";

const ORACLE: &str = "
CREATE TABLE oracle.log (seq bigserial PRIMARY KEY, table_name text, op text, old_data jsonb, new_data jsonb);
CREATE FUNCTION oracle.record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb(OLD) = to_jsonb(NEW) THEN
        RETURN NULL;
    END IF;
    INSERT INTO oracle.log (table_name, op, old_data, new_data)
    VALUES (TG_TABLE_NAME, TG_OP,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END $$;
CREATE FUNCTION oracle.record_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO oracle.log (table_name, op) VALUES (TG_TABLE_NAME, 'TRUNCATE');
    RETURN NULL;
END $$;";

/// One audit row, as compared: operation, old row, new row, changed columns (sorted),
/// record id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Recorded {
    table: String,
    operation: String,
    old: Option<String>,
    new: Option<String>,
    changed: Option<Vec<String>>,
    record_id: Option<String>,
}

/// What a run covered.
#[derive(Debug, Clone, Copy, Default)]
pub struct OracleReport {
    /// Statements that ran (on both the audited tables and the twins).
    pub statements: usize,
    /// Statements rolled back to their savepoint (they failed, or the dice said so).
    pub rolled_back: usize,
    /// Transactions committed.
    pub committed: usize,
    /// Audit rows compared.
    pub rows: usize,
}

/// A number in `0..n`, for SQL text.
fn roll(dice: &mut Dice, n: u64) -> i64 {
    dice.below(n) as i64
}

/// One statement of the workload, with `{s}` for the schema (`public` or `oracle`).
fn statement(dice: &mut Dice) -> String {
    let (a, b, m) = (roll(dice, 40), roll(dice, 40), roll(dice, 5) + 2);
    let r = roll(dice, m as u64);
    let v = roll(dice, 100);
    match roll(dice, 25) {
        // DDL within the workload: columns added to a plain and to a partitioned table (the
        // twins get the same), then written; with automatic attach on, the triggers are
        // re-rendered inside the statement's transaction.
        22 => format!("ALTER TABLE {{s}}.k ADD COLUMN IF NOT EXISTS e{} int", b % 3),
        23 => format!("ALTER TABLE {{s}}.p ADD COLUMN IF NOT EXISTS e{} int", b % 3),
        24 => format!(
            "UPDATE {{s}}.{} SET e{} = {v} WHERE id % {m} = {r}",
            if a % 2 == 0 { "k" } else { "p" },
            b % 3
        ),
        0 => format!("INSERT INTO {{s}}.k VALUES ({a}, {v}, 's{b}') ON CONFLICT (id) DO UPDATE SET v = {{s}}.k.v + EXCLUDED.v"),
        1 => format!("INSERT INTO {{s}}.k SELECT g, g % 7, NULL FROM generate_series({a}, {a} + {b} % 9) AS g ON CONFLICT DO NOTHING"),
        2 => format!("UPDATE {{s}}.k SET v = v + 1 WHERE id % {m} = {r}"),
        3 => format!("UPDATE {{s}}.k SET id = id + {} WHERE id % {m} = {r}", b + 1),
        4 => format!("DELETE FROM {{s}}.k WHERE id % {m} = {r}"),
        5 => format!(
            "MERGE INTO {{s}}.k AS t USING (SELECT g AS id FROM generate_series({a}, {a} + 5) AS g) AS src ON t.id = src.id \
             WHEN MATCHED AND t.v % 3 = 0 THEN DELETE \
             WHEN MATCHED THEN UPDATE SET v = t.v + {v}, s = 'merged' \
             WHEN NOT MATCHED THEN INSERT VALUES (src.id, {v}, 'new')"
        ),
        6 => format!("WITH u AS (UPDATE {{s}}.k SET s = 'cte' WHERE id % {m} = {r} RETURNING id) INSERT INTO {{s}}.c SELECT id, {b}, 1 FROM u ON CONFLICT DO NOTHING"),
        7 => format!("INSERT INTO {{s}}.c SELECT g % 6, g / 6, {v} FROM generate_series({a}, {a} + 8) AS g ON CONFLICT (a, b) DO UPDATE SET v = EXCLUDED.v + 1"),
        8 => format!("UPDATE {{s}}.c SET b = b + 1 WHERE a = {}", a % 6),
        9 => format!("UPDATE {{s}}.c SET a = b, b = a WHERE v % {m} = {r}"),
        10 => format!("INSERT INTO {{s}}.nk SELECT g % 4, 'n' || (g % 3) FROM generate_series(1, {}) AS g", b % 6 + 1),
        11 => format!("UPDATE {{s}}.nk SET v = v + 1 WHERE v % {m} = {r}"),
        12 => format!("DELETE FROM {{s}}.nk WHERE v = {}", a % 5),
        13 => format!("INSERT INTO {{s}}.d SELECT g, g FROM generate_series({a}, {a} + 6) AS g ON CONFLICT DO NOTHING"),
        // Shifts keys over each other: the deferrable key holds transient duplicates.
        14 => "UPDATE {s}.d SET id = id + 1".to_string(),
        15 => format!("UPDATE {{s}}.d SET v = v * 2 WHERE id % {m} = {r}"),
        16 => format!("INSERT INTO {{s}}.bk SELECT g, g FROM generate_series({a}, {a} + 4) AS g ON CONFLICT DO NOTHING"),
        // The user's BEFORE trigger moves the key of every row whose new v is a multiple
        // of 5, though the SET list never names the key.
        17 => format!("UPDATE {{s}}.bk SET v = v + {} WHERE id % {m} = {r}", v % 4 + 1),
        18 => format!("INSERT INTO {{s}}.p SELECT g, g % 4, {v} FROM generate_series({a}, {a} + 5) AS g ON CONFLICT DO NOTHING"),
        // Moves rows between partitions.
        19 => format!("UPDATE {{s}}.p SET region = (region + {}) % 4, v = v + 1 WHERE id % {m} = {r}", b % 3 + 1),
        20 => format!("INSERT INTO {{s}}.ch SELECT g, id, {v} FROM {{s}}.k, generate_series({a}, {a} + 2) AS g WHERE {{s}}.k.id = {} ON CONFLICT DO NOTHING", a % 10),
        _ => {
            if dice.chance(20) {
                "TRUNCATE {s}.nk".to_string()
            } else {
                format!("DELETE FROM {{s}}.k WHERE id = {a}")
            }
        }
    }
}

async fn exec(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Sets up the tables, their twins and the oracle in `db` and attaches pg-audit to the
/// audited ones (schema `public`).
pub async fn prepare(db: &TestDb) {
    db.exec("CREATE SCHEMA oracle").await;
    db.exec(ORACLE).await;
    for (name, _, ddl) in TABLES {
        db.exec(&ddl.replace("{s}", "public")).await;
        db.exec(&ddl.replace("{s}", "oracle")).await;
        db.exec(&format!(
            "CREATE TRIGGER oracle_row AFTER INSERT OR UPDATE OR DELETE ON oracle.{name} FOR EACH ROW EXECUTE FUNCTION oracle.record();
             CREATE TRIGGER oracle_truncate AFTER TRUNCATE ON oracle.{name} FOR EACH STATEMENT EXECUTE FUNCTION oracle.record_truncate()"
        ))
        .await;
    }
    db.exec(PARTITIONED).await;
    db.exec(PARTITIONED_TWIN).await;
    db.exec("CREATE TRIGGER oracle_row AFTER INSERT OR UPDATE OR DELETE ON oracle.p FOR EACH ROW EXECUTE FUNCTION oracle.record()")
        .await;
    crate::create_audit_tables(db).await;
}

/// Like [`prepare`], with automatic attach and the DDL trail on, so the workload's DDL
/// re-renders the audited tables' triggers inside its own transaction.
pub async fn prepare_living(db: &TestDb) {
    prepare(db).await;
    let plan = pg_audit_runtime::attach(
        &db.pool,
        &pg_audit_runtime::SchemaSettings::default(),
        &crate::public_rules(),
        &pg_audit_runtime::AttachOptions {
            automatic_attach: Some(true),
            ddl_trail: Some(true),
            ..Default::default()
        },
    )
    .await
    .expect("turn automatic attach on");
    assert!(plan.automatic_attach && plan.ddl_trail, "{plan:?}");
}

fn key_columns(table: &str) -> &'static [&'static str] {
    if table == "p" {
        return &["id", "region"];
    }
    TABLES
        .iter()
        .find(|(name, _, _)| *name == table)
        .map_or(&[], |(_, key, _)| key)
}

/// The record id pg-audit gives a row: the key's text, or `[a,b]` of its JSON values.
fn record_id(table: &str, row: &Value) -> Option<String> {
    match key_columns(table) {
        [] => None,
        [single] => row.get(*single).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        columns => Some(format!(
            "[{}]",
            columns
                .iter()
                .map(|c| row.get(*c).map(Value::to_string).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(",")
        )),
    }
}

fn changed(old: &Value, new: &Value) -> Vec<String> {
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let mut keys: Vec<String> = new
        .as_object()
        .unwrap_or(&empty)
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort();
    keys
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    table_name: String,
    operation: String,
    old_data: Option<Value>,
    new_data: Option<Value>,
    changed_fields: Option<Value>,
    record_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OracleRow {
    seq: i64,
    table_name: String,
    op: String,
    old_data: Option<Value>,
    new_data: Option<Value>,
}

/// The audit rows written since id `after`, and the last id.
async fn audit_rows(conn: &mut PgConnection, after: i64) -> Result<(Vec<Recorded>, i64), String> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, table_name, operation, old_data, new_data, changed_fields, record_id \
         FROM audit.pg_audit_log WHERE id > $1 AND operation <> 'DDL' ORDER BY id",
    )
    .bind(after)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| e.to_string())?;
    let last = rows.last().map_or(after, |r| r.id);
    let recorded = rows
        .into_iter()
        .map(|row| {
            let mut changed: Option<Vec<String>> = row
                .changed_fields
                .and_then(|c| serde_json::from_value(c).ok());
            if let Some(list) = changed.as_mut() {
                list.sort();
            }
            Recorded {
                table: row.table_name,
                operation: row.operation,
                old: row.old_data.map(|v| v.to_string()),
                new: row.new_data.map(|v| v.to_string()),
                changed,
                record_id: row.record_id,
            }
        })
        .collect();
    Ok((recorded, last))
}

/// The oracle's rows written since `after`, with the changed columns and record id the
/// audit row of each should carry, and the last seq.
async fn oracle_rows(conn: &mut PgConnection, after: i64) -> Result<(Vec<Recorded>, i64), String> {
    let rows: Vec<OracleRow> = sqlx::query_as(
        "SELECT seq, table_name, op, old_data, new_data FROM oracle.log WHERE seq > $1 ORDER BY seq",
    )
    .bind(after)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| e.to_string())?;
    let last = rows.last().map_or(after, |r| r.seq);
    let recorded = rows
        .into_iter()
        .map(|row| {
            let changed = match (&row.old_data, &row.new_data) {
                (Some(o), Some(n)) => Some(changed(o, n)),
                _ => None,
            };
            let record_id = row
                .new_data
                .as_ref()
                .or(row.old_data.as_ref())
                .and_then(|r| record_id(&row.table_name, r));
            Recorded {
                table: row.table_name,
                operation: row.op,
                old: row.old_data.map(|v| v.to_string()),
                new: row.new_data.map(|v| v.to_string()),
                changed,
                record_id,
            }
        })
        .collect();
    Ok((recorded, last))
}

/// Runs `statements` random statements from `seed` in transactions of a few statements each,
/// comparing pg-audit with the oracle after each one and replaying the log at the end. An
/// error says which seed, statement and rows differ.
pub async fn run(db: &TestDb, seed: u64, statements: usize) -> Result<OracleReport, String> {
    let mut conn = PgConnection::connect_with(&db.options)
        .await
        .map_err(|e| e.to_string())?;
    // Both sides read rows with the settings the audit triggers pin.
    exec(&mut conn, "SET TimeZone = 'UTC'")
        .await
        .map_err(|e| e.to_string())?;
    let mut dice = Dice::new(seed);
    let mut report = OracleReport::default();
    let (mut audit_last, mut oracle_last) = (0_i64, 0_i64);
    while report.statements < statements {
        exec(&mut conn, "BEGIN").await.map_err(|e| e.to_string())?;
        for _ in 0..roll(&mut dice, 6) + 1 {
            let sql = statement(&mut dice);
            report.statements += 1;
            exec(&mut conn, "SAVEPOINT s")
                .await
                .map_err(|e| e.to_string())?;
            let outcome = async {
                exec(&mut conn, &sql.replace("{s}", "public")).await?;
                exec(&mut conn, &sql.replace("{s}", "oracle")).await?;
                // Deferred keys are checked here, not at COMMIT, so a duplicate rolls back
                // this statement only.
                exec(
                    &mut conn,
                    "SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED",
                )
                .await
            }
            .await;
            if outcome.is_err() || dice.chance(5) {
                exec(&mut conn, "ROLLBACK TO SAVEPOINT s")
                    .await
                    .map_err(|e| e.to_string())?;
                report.rolled_back += 1;
                continue;
            }
            exec(&mut conn, "RELEASE SAVEPOINT s")
                .await
                .map_err(|e| e.to_string())?;
            let (mut ours, a) = audit_rows(&mut conn, audit_last).await?;
            let (mut theirs, o) = oracle_rows(&mut conn, oracle_last).await?;
            (audit_last, oracle_last) = (a, o);
            ours.sort();
            theirs.sort();
            if ours != theirs {
                return Err(format!(
                    "seed {seed}, statement {}: {sql}\npg-audit recorded:\n{ours:#?}\nthe oracle recorded:\n{theirs:#?}",
                    report.statements
                ));
            }
            report.rows += ours.len();
        }
        if dice.chance(10) {
            exec(&mut conn, "ROLLBACK")
                .await
                .map_err(|e| e.to_string())?;
        } else {
            exec(&mut conn, "COMMIT").await.map_err(|e| e.to_string())?;
            report.committed += 1;
        }
    }
    replay(&mut conn, seed).await?;
    Ok(report)
}

/// A row as replay compares it: its non-NULL columns. A column added by the workload's DDL
/// reads NULL in every row written before, whose audit rows were written without it.
fn without_nulls(row: &Value) -> String {
    match row {
        Value::Object(columns) => Value::Object(
            columns
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        )
        .to_string(),
        other => other.to_string(),
    }
}

/// Replays each table's audit log onto an empty table (as a multiset of rows) and checks it
/// reproduces the table.
async fn replay(conn: &mut PgConnection, seed: u64) -> Result<(), String> {
    let log: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, table_name, operation, old_data, new_data, changed_fields, record_id \
         FROM audit.pg_audit_log WHERE operation <> 'DDL' ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| e.to_string())?;
    let mut state: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for AuditRow {
        table_name: table,
        operation,
        old_data: old,
        new_data: new,
        ..
    } in log
    {
        let rows = state.entry(table.clone()).or_default();
        if operation == "TRUNCATE" {
            rows.clear();
            continue;
        }
        if let Some(old) = old {
            let key = without_nulls(&old);
            match rows.get_mut(&key) {
                Some(count) if *count > 1 => *count -= 1,
                Some(_) => {
                    rows.remove(&key);
                }
                None => {
                    return Err(format!(
                        "seed {seed}: replaying {table}, a {operation} removes a row the log never held: {key}"
                    ))
                }
            }
        }
        if let Some(new) = new {
            *rows.entry(without_nulls(&new)).or_default() += 1;
        }
    }
    for table in TABLES.iter().map(|t| t.0).chain(["p"]) {
        let actual: Vec<Value> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT to_jsonb(t.*) FROM public.{table} AS t"
        )))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| e.to_string())?;
        let mut expected: BTreeMap<String, usize> = BTreeMap::new();
        for row in actual {
            *expected.entry(without_nulls(&row)).or_default() += 1;
        }
        let replayed = state.remove(table).unwrap_or_default();
        if replayed != expected {
            return Err(format!(
                "seed {seed}: replaying the log of {table} gives\n{replayed:#?}\nbut the table holds\n{expected:#?}"
            ));
        }
    }
    Ok(())
}
