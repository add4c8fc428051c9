//! The audit triggers against an oracle (a plain row-level trigger on a twin of each table)
//! over a seeded random workload: INSERT, UPDATE, DELETE, MERGE, ON CONFLICT, writable CTEs,
//! key changes by the SET list and by the user's BEFORE trigger, partition moves, deferrable
//! keys with transient duplicates, cascades, TRUNCATE, savepoints and rollbacks, over keyed,
//! composite-keyed, keyless and partitioned tables, and columns added by DDL (with automatic
//! attach too). `PG_AUDIT_ORACLE_SEED` replays a seed;
//! `examples/oracle_soak.rs` runs many.

use pg_audit_testing::{fresh_db, oracle};

#[tokio::test]
async fn audit_rows_equal_the_oracle_s_and_replaying_the_log_reproduces_every_table() {
    let seed = pg_audit_testing::seed_from_env("PG_AUDIT_ORACLE_SEED");
    let db = fresh_db!().await;
    oracle::prepare(&db).await;
    match oracle::run(&db, seed, 2000).await {
        Ok(report) => {
            println!("seed {seed}: {report:?}");
            assert!(report.rows > 1000, "the workload wrote rows: {report:?}");
            assert!(report.committed > 100, "{report:?}");
        }
        Err(difference) => panic!("{difference}\n(replay with PG_AUDIT_ORACLE_SEED={seed})"),
    }
}

#[tokio::test]
async fn with_automatic_attach_and_ddl_in_the_workload_audit_rows_still_equal_the_oracle_s() {
    let seed = pg_audit_testing::seed_from_env("PG_AUDIT_ORACLE_SEED");
    let db = fresh_db!().await;
    oracle::prepare_living(&db).await;
    match oracle::run(&db, seed, 1500).await {
        Ok(report) => {
            println!("seed {seed}: {report:?}");
            assert!(report.rows > 500, "the workload wrote rows: {report:?}");
        }
        Err(difference) => panic!("{difference}\n(replay with PG_AUDIT_ORACLE_SEED={seed})"),
    }
    let ddl: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit.pg_audit_log WHERE operation = 'DDL' AND table_name IN ('k', 'p')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(ddl > 0, "the workload's DDL is in the trail (seed {seed})");
}
