//! The baseline (existing rows recorded once as SNAPSHOT rows, in batches, resumable, while
//! the application writes) and the table as of any time, rebuilt from the trail and
//! compared with snapshots of the real table taken at random moments of a random workload.

use pg_audit::query::{table_as_of, RowAsOf};
use pg_audit::{attach, baseline, migrate, SchemaSettings, TablePattern, TableRules};
use pg_audit_testing::{fresh_db, public_rules, seed_from_env, Dice, TestDb};
use serde_json::Value;
use std::collections::BTreeMap;

async fn setup(db: &TestDb, rules: &TableRules) {
    let settings = SchemaSettings::default();
    migrate(&db.pool, &settings, rules).await.unwrap();
    attach(&db.pool, &settings, rules, &Default::default())
        .await
        .unwrap();
}

/// The table's rows now, by record id, as the trail would hold them.
async fn actual(db: &TestDb) -> BTreeMap<String, Value> {
    let rows: Vec<(String, Value)> =
        sqlx::query_as("SELECT id::text, to_jsonb(t) FROM items AS t ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    rows.into_iter().collect()
}

fn rebuilt(rows: Vec<RowAsOf>) -> BTreeMap<String, Value> {
    rows.into_iter()
        .map(|r| {
            let data = serde_json::to_value(r.row_data.expect("a row has data")).unwrap();
            (r.record_id, data)
        })
        .collect()
}

async fn snapshot_rows(db: &TestDb, table: &str) -> Vec<(String, Value)> {
    sqlx::query_as(
        "SELECT record_id, new_data FROM audit.pg_audit_log \
         WHERE table_name = $1 AND operation = 'SNAPSHOT' ORDER BY id",
    )
    .bind(table)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_baseline_records_every_row_once_masked_and_resumes_after_an_interruption() {
    let db = fresh_db!().await;
    db.exec(
        "CREATE TABLE items (id int PRIMARY KEY, v int, secret text);
         INSERT INTO items SELECT g, g, 'pw' || g FROM generate_series(1, 12345) AS g;
         CREATE TABLE pairs (a int, b text, PRIMARY KEY (b, a));
         INSERT INTO pairs SELECT g % 3, 'k' || g FROM generate_series(1, 7) AS g;
         CREATE TABLE loose (v int); INSERT INTO loose VALUES (1);
         ANALYZE",
    )
    .await;
    let rules = TableRules {
        mask: vec![(TablePattern::parse("items").unwrap(), vec!["secret".into()])],
        ..public_rules()
    };
    setup(&db, &rules).await;
    let settings = SchemaSettings::default();

    // Interrupted after its first batch committed.
    let (sender, mut first_batch) = tokio::sync::mpsc::unbounded_channel();
    let pool = db.pool.clone();
    let (run_settings, run_rules) = (settings.clone(), rules.clone());
    let interrupted = tokio::spawn(async move {
        baseline(&pool, &run_settings, &run_rules, |p| {
            let _ = sender.send(p.clone());
        })
        .await
    });
    let progress = first_batch.recv().await.expect("a batch is reported");
    interrupted.abort();
    let _ = interrupted.await;
    assert!(!progress.finished || progress.table.name != "items");

    let report = baseline(&db.pool, &settings, &rules, |_| {}).await.unwrap();
    assert_eq!(report.keyless.len(), 1, "{report:?}");
    let items = snapshot_rows(&db, "items").await;
    assert_eq!(items.len(), 12345, "each row exactly once across both runs");
    let mut ids: Vec<i64> = items.iter().map(|(id, _)| id.parse().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12345);
    assert!(items.iter().all(|(_, row)| row["secret"] == "********"));
    let pairs = snapshot_rows(&db, "pairs").await;
    assert_eq!(pairs.len(), 7);
    assert!(pairs.iter().any(|(id, _)| id == "[\"k1\",1]"), "{pairs:?}");
    assert!(snapshot_rows(&db, "loose").await.is_empty());

    // Once: a later run records nothing.
    let again = baseline(&db.pool, &settings, &rules, |_| {}).await.unwrap();
    assert_eq!(again.rows(), 0);
    assert_eq!(again.already_done.len(), 2);
}

#[tokio::test]
async fn writes_made_during_the_baseline_are_never_lost_to_it() {
    let db = fresh_db!().await;
    db.exec(
        "CREATE TABLE items (id int PRIMARY KEY, v int);
         INSERT INTO items SELECT g, 0 FROM generate_series(1, 30000) AS g;",
    )
    .await;
    setup(&db, &public_rules()).await;
    let writer_pool = db.pool.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = stop.clone();
    let writer = tokio::spawn(async move {
        let mut dice = Dice::new(7);
        let mut writes = 0u64;
        while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
            let id = 1 + dice.below(30000) as i32;
            sqlx::query("UPDATE items SET v = v + 1 WHERE id = $1")
                .bind(id)
                .execute(&writer_pool)
                .await
                .unwrap();
            writes += 1;
        }
        writes
    });
    baseline(
        &db.pool,
        &SchemaSettings::default(),
        &public_rules(),
        |_| {},
    )
    .await
    .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = writer.await.unwrap();
    assert!(writes > 0);
    let now = chrono::Utc::now();
    let rows = table_as_of(&db.pool, "audit", "public", "items", now, None)
        .await
        .unwrap();
    assert_eq!(
        rebuilt(rows),
        actual(&db).await,
        "{writes} concurrent writes"
    );
}

#[tokio::test]
async fn the_table_rebuilt_as_of_random_moments_equals_what_it_held_then() {
    let seed = seed_from_env("PG_AUDIT_AS_OF_SEED");
    let mut dice = Dice::new(seed);
    let db = fresh_db!().await;
    db.exec(
        "CREATE TABLE items (id int PRIMARY KEY, v int, note text);
         INSERT INTO items SELECT g, g, 'n' FROM generate_series(1, 40) AS g;",
    )
    .await;
    setup(&db, &public_rules()).await;
    baseline(
        &db.pool,
        &SchemaSettings::default(),
        &public_rules(),
        |_| {},
    )
    .await
    .unwrap();
    let mut moments: Vec<(chrono::DateTime<chrono::Utc>, BTreeMap<String, Value>)> = Vec::new();
    for step in 0..150 {
        let mut statements = Vec::new();
        for _ in 0..=dice.below(3) {
            let id = 1 + dice.below(60);
            statements.push(match dice.below(100) {
                0..=29 => format!("INSERT INTO items VALUES ({id}, {}, 'i') ON CONFLICT (id) DO NOTHING", dice.below(1000)),
                30..=64 => format!("UPDATE items SET v = {}, note = note || 'u' WHERE id = {id}", dice.below(1000)),
                65..=79 => format!("DELETE FROM items WHERE id = {id}"),
                80..=89 => format!("UPDATE items SET id = {} WHERE id = {id} AND NOT EXISTS (SELECT 1 FROM items WHERE id = {})", id + 100, id + 100),
                90..=91 => "TRUNCATE items".to_string(),
                _ => format!("UPDATE items SET v = v WHERE id = {id}"),
            });
        }
        // One statement at a time, as an application sends them: each its own statement time.
        let mut tx = db.pool.begin().await.unwrap();
        for statement in &statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        if dice.chance(10) {
            tx.rollback().await.unwrap();
        } else {
            tx.commit().await.unwrap();
        }
        if dice.chance(25) || step == 149 {
            let at: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
                .fetch_one(&db.pool)
                .await
                .unwrap();
            moments.push((at, actual(&db).await));
        }
    }
    assert!(moments.len() > 5);
    for (at, expected) in &moments {
        let rows = table_as_of(&db.pool, "audit", "public", "items", *at, None)
            .await
            .unwrap();
        assert_eq!(
            &rebuilt(rows),
            expected,
            "seed {seed} (PG_AUDIT_AS_OF_SEED), at {at}"
        );
        // One record: the same answer as the whole table gives for it.
        let (one, row) = expected
            .iter()
            .next()
            .map_or(("1".to_string(), None), |(k, v)| {
                (k.clone(), Some(v.clone()))
            });
        let single = table_as_of(&db.pool, "audit", "public", "items", *at, Some(&one))
            .await
            .unwrap();
        assert_eq!(
            rebuilt(single).get(&one).cloned(),
            row,
            "seed {seed}, record {one} at {at}"
        );
    }
}

#[tokio::test]
async fn as_of_is_refused_without_a_finished_baseline_and_before_it() {
    let db = fresh_db!().await;
    db.exec("CREATE TABLE items (id int PRIMARY KEY)").await;
    setup(&db, &public_rules()).await;
    let before = chrono::Utc::now();
    let error = table_as_of(&db.pool, "audit", "public", "items", before, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("no finished baseline"), "{error}");
    baseline(
        &db.pool,
        &SchemaSettings::default(),
        &public_rules(),
        |_| {},
    )
    .await
    .unwrap();
    let error = table_as_of(&db.pool, "audit", "public", "items", before, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("before the baseline"), "{error}");
    let error = table_as_of(
        &db.pool,
        "audit",
        "public",
        "items",
        chrono::Utc::now(),
        Some("a\0b"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("NUL"), "{error}");
}
