//! pgbench's own TPC-B workload on two databases made identically (`pgbench -i`), one of them
//! then audited by pg-audit, measured in interleaved rounds. Issue target: audited TPS ≥ 0.80
//! of plain.

use crate::pgbench::{Pgbench, Report};
use crate::{median, met, statements, BoxError};
use pg_audit::{ActionKind, MigrationReport, SchemaSettings};
use pg_audit_testing::{public_rules, TestDb};
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

/// The target: audited TPS ÷ plain TPS of the same round, median over rounds.
const TARGET: f64 = 0.80;

/// The tables each TPC-B transaction UPDATEs, all by the same random delta.
const UPDATED: [&str; 3] = ["pgbench_accounts", "pgbench_tellers", "pgbench_branches"];
/// The table each TPC-B transaction INSERTs one row into.
const INSERTED: &str = "pgbench_history";

/// The flags of the TPC-B measurement.
pub(crate) struct TpcbArgs {
    /// `pgbench -i -s`.
    pub(crate) scale: u32,
    /// `pgbench -T`, per run.
    pub(crate) seconds: u32,
    /// `pgbench -c`.
    pub(crate) clients: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Plain,
    Audited,
}

/// Audit rows of the pgbench tables by (table, operation).
type Recorded = BTreeMap<(String, String), i64>;

/// What `pgbench_history` holds after a run.
#[derive(Clone, Copy)]
struct History {
    /// One per transaction of the run.
    rows: i64,
    /// Transactions whose delta was 0: their UPDATEs change nothing and are not recorded.
    zero_deltas: i64,
}

/// Measures `rounds` interleaved rounds (plain first in odd rounds, audited first in even
/// ones) and returns the markdown table. Both databases are dropped when this returns, also
/// on an error.
pub(crate) async fn measure(
    pgbench: &Pgbench,
    args: &TpcbArgs,
    rounds: usize,
) -> Result<String, BoxError> {
    let plain = TestDb::new("bench_triggers::tpcb_plain").await;
    let audited = TestDb::new("bench_triggers::tpcb_audited").await;
    for db in [&plain, &audited] {
        eprintln!("TPC-B: pgbench -i -s {} {}", args.scale, db.name);
        pgbench.init(&db.name, args.scale).await?;
    }
    let settings = SchemaSettings::default();
    let audit_schema = settings.audit_schema.clone();
    let migration = pg_audit::migrate(&audited.pool, &settings, &public_rules()).await?;
    require_attached(&migration)?;
    let mut recorded = audit_rows(&audited, &audit_schema).await?;

    let (mut plain_tps, mut audited_tps) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [Side::Plain, Side::Audited]
        } else {
            [Side::Audited, Side::Plain]
        };
        for side in order {
            let db = if side == Side::Plain {
                &plain
            } else {
                &audited
            };
            // Neither run pays for the dirty pages of the one before it.
            sqlx::raw_sql(AssertSqlSafe("CHECKPOINT"))
                .execute(&db.pool)
                .await?;
            let report = pgbench.run(&db.name, args.clients, args.seconds).await?;
            match side {
                Side::Plain => plain_tps.push(report.tps),
                Side::Audited => {
                    let now = audit_rows(&audited, &audit_schema).await?;
                    let history = history(&audited).await?;
                    require_audited(&recorded, &now, &report, history)?;
                    recorded = now;
                    audited_tps.push(report.tps);
                }
            }
        }
        eprintln!(
            "TPC-B round {}/{rounds}: plain {:.0} tps, audited {:.0} tps (every transaction audited), ratio {:.3}",
            round + 1,
            plain_tps[round],
            audited_tps[round],
            audited_tps[round] / plain_tps[round]
        );
    }
    plain.pool.close().await;
    audited.pool.close().await;
    Ok(table(args, &plain_tps, &audited_tps))
}

/// Fails unless migrate attached audit triggers to every pgbench table.
fn require_attached(migration: &MigrationReport) -> Result<(), BoxError> {
    let plan = migration
        .attach
        .as_ref()
        .ok_or("selftest: migrate ran no attach on the audited TPC-B database")?;
    for table in UPDATED.into_iter().chain([INSERTED]) {
        match plan.action("public", table) {
            Some(action) if action.kind == ActionKind::Create => {}
            other => {
                return Err(format!(
                    "selftest: migrate did not attach public.{table} in the audited TPC-B database (plan: {:?})",
                    other.map(|action| action.kind)
                )
                .into())
            }
        }
    }
    Ok(())
}

async fn audit_rows(db: &TestDb, audit_schema: &str) -> Result<Recorded, BoxError> {
    let sql = statements::tpcb_audit_rows(audit_schema);
    let rows: Vec<(String, String, i64)> = sqlx::query_as(AssertSqlSafe(sql.as_str().to_string()))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(table, operation, count)| ((table, operation), count))
        .collect())
}

async fn history(db: &TestDb) -> Result<History, BoxError> {
    let sql = statements::tpcb_history();
    let (rows, zero_deltas) = sqlx::query_as(AssertSqlSafe(sql.as_str().to_string()))
        .fetch_one(&db.pool)
        .await?;
    Ok(History { rows, zero_deltas })
}

/// Fails unless the run added an audit row for every row it wrote: one INSERT per
/// transaction, and one UPDATE of each updated table per transaction that changed something.
fn require_audited(
    before: &Recorded,
    after: &Recorded,
    run: &Report,
    history: History,
) -> Result<(), BoxError> {
    let transactions = run.transactions as i64;
    if history.rows != transactions {
        return Err(format!(
            "selftest: public.{INSERTED} holds {} rows after an audited TPC-B run of \
             {transactions} transactions",
            history.rows
        )
        .into());
    }
    let changed = transactions - history.zero_deltas;
    let expected = UPDATED
        .into_iter()
        .map(|table| (table, "UPDATE", changed))
        .chain([(INSERTED, "INSERT", transactions)]);
    for (table, operation, rows) in expected {
        let key = (table.to_string(), operation.to_string());
        let added = after.get(&key).copied().unwrap_or(0) - before.get(&key).copied().unwrap_or(0);
        if added != rows {
            return Err(format!(
                "selftest: the audited TPC-B run wrote {rows} {operation}s of public.{table} \
                 ({transactions} transactions, {} with delta 0) but the audit log gained \
                 {added}: the database is not audited as measured",
                history.zero_deltas
            )
            .into());
        }
    }
    Ok(())
}

/// The markdown table: TPS medians, the median and range of the per-round ratios.
fn table(args: &TpcbArgs, plain: &[f64], audited: &[f64]) -> String {
    let ratios: Vec<f64> = plain.iter().zip(audited).map(|(p, a)| a / p).collect();
    let ratio = median(&ratios);
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut out = format!(
        "pgbench TPC-B: `pgbench -i -s {scale}` in two fresh databases, the audited one then \
         migrated (every pgbench table attached); `pgbench -c {clients} -T {seconds}` after a \
         CHECKPOINT, {rounds} interleaved rounds; TPS medians, ratio = median of the per-round \
         audited ÷ plain.\n\n",
        scale = args.scale,
        clients = args.clients,
        seconds = args.seconds,
        rounds = ratios.len(),
    );
    out.push_str(
        "| Workload | plain TPS | audited TPS | ratio (median) | min..max | target | met |\n",
    );
    out.push_str("|---|---:|---:|---:|---|---|---|\n");
    out.push_str(&format!(
        "| pgbench TPC-B (scale {}, {} clients, {} s) | {:.0} | {:.0} | {ratio:.2} | {low:.2}..{high:.2} | ≥ {TARGET:.2} | {} |\n",
        args.scale,
        args.clients,
        args.seconds,
        median(plain),
        median(audited),
        met(ratio >= TARGET)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit rows after `updates` UPDATEs of each updated table (`accounts` of
    /// pgbench_accounts) and `inserts` INSERTs.
    fn recorded(accounts: i64, updates: i64, inserts: i64) -> Recorded {
        UPDATED
            .iter()
            .map(|&table| {
                let count = if table == "pgbench_accounts" {
                    accounts
                } else {
                    updates
                };
                ((table.to_string(), "UPDATE".to_string()), count)
            })
            .chain([((INSERTED.to_string(), "INSERT".to_string()), inserts)])
            .collect()
    }

    const RUN: Report = Report {
        transactions: 500,
        tps: 25.0,
    };

    const HISTORY: History = History {
        rows: 500,
        zero_deltas: 2,
    };

    #[test]
    fn a_run_is_audited_when_every_changing_write_gained_its_row() {
        let before = recorded(1000, 1000, 1000);
        let after = recorded(1498, 1498, 1500);
        assert!(require_audited(&before, &after, &RUN, HISTORY).is_ok());
        let first = recorded(498, 498, 500);
        assert!(require_audited(&Recorded::new(), &first, &RUN, HISTORY).is_ok());
    }

    #[test]
    fn a_run_whose_account_updates_went_unrecorded_fails_the_selftest() {
        let before = recorded(1000, 1000, 1000);
        let after = recorded(1000, 1498, 1500);
        let error = require_audited(&before, &after, &RUN, HISTORY)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("wrote 498 UPDATEs of public.pgbench_accounts"),
            "{error}"
        );
        assert!(error.contains("gained 0"), "{error}");
        assert!(require_audited(&Recorded::new(), &Recorded::new(), &RUN, HISTORY).is_err());
    }

    #[test]
    fn no_op_updates_recorded_anyway_fail_the_selftest_too() {
        let after = recorded(500, 500, 500);
        assert!(require_audited(&Recorded::new(), &after, &RUN, HISTORY).is_err());
    }

    #[test]
    fn a_history_that_does_not_match_the_run_fails_the_selftest() {
        let stale = History {
            rows: 1000,
            zero_deltas: 2,
        };
        let after = recorded(498, 498, 500);
        let error = require_audited(&Recorded::new(), &after, &RUN, stale)
            .unwrap_err()
            .to_string();
        assert!(error.contains("holds 1000 rows"), "{error}");
    }

    #[test]
    fn the_ratio_is_the_median_of_the_rounds_ratios_with_their_range() {
        let args = TpcbArgs {
            scale: 10,
            seconds: 20,
            clients: 2,
        };
        // Per-round ratios 0.95, 0.50, 1.00: median 0.95, where the ratio of the TPS
        // medians would say 400 / 800 = 0.50.
        let row = table(&args, &[200.0, 800.0, 900.0], &[190.0, 400.0, 900.0]);
        assert!(
            row.contains("| pgbench TPC-B (scale 10, 2 clients, 20 s) | 800 | 400 | 0.95 | 0.50..1.00 | ≥ 0.80 | yes |"),
            "{row}"
        );
    }
}
