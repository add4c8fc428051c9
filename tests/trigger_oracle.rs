//! The audit triggers against an oracle (a plain row-level trigger on a twin of each table)
//! over a seeded random workload: INSERT, UPDATE, DELETE, MERGE, ON CONFLICT, writable CTEs,
//! key changes by the SET list and by the user's BEFORE trigger, partition moves, deferrable
//! keys with transient duplicates, cascades, TRUNCATE, savepoints and rollbacks, over keyed,
//! composite-keyed, keyless and partitioned tables. `PG_AUDIT_ORACLE_SEED` replays a seed;
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
