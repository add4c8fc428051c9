//! `pg-audit attach --baseline`: the baseline run, with a progress bar per table on a
//! terminal and one summary line per table otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pg_audit_runtime::{baseline, BaselineProgress, Result, SchemaSettings, TableRules};
use sqlx::PgPool;
use std::io::IsTerminal;

/// Runs the baseline and prints what it did.
pub(crate) async fn run_baseline(
    pool: &PgPool,
    settings: &SchemaSettings,
    rules: &TableRules,
) -> Result<()> {
    let terminal = std::io::stderr().is_terminal();
    let mut bar: Option<(String, ProgressBar)> = None;
    let report = baseline(pool, settings, rules, |p: &BaselineProgress| {
        if !terminal {
            return;
        }
        let name = p.table.to_string();
        if bar.as_ref().is_none_or(|(shown, _)| *shown != name) {
            let new = ProgressBar::with_draw_target(
                Some(p.estimated_rows.max(p.rows_recorded)),
                ProgressDrawTarget::stderr(),
            );
            new.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} rows, {per_sec}, eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            new.set_message(format!("baseline {name}"));
            bar = Some((name, new));
        }
        if let Some((_, shown)) = &bar {
            if shown.length().is_some_and(|len| len < p.rows_recorded) {
                shown.set_length(p.rows_recorded);
            }
            shown.set_position(p.rows_recorded);
            if p.finished {
                shown.finish();
            }
        }
    })
    .await?;
    for (table, rows) in &report.completed {
        println!("baseline {table}: {rows} rows recorded");
    }
    for table in &report.keyless {
        println!("baseline {table}: skipped, no primary key (its rows cannot be told apart)");
    }
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "baseline: {} rows in {seconds:.1} s ({:.0} rows/s), {} tables already had one",
        report.rows(),
        report.rows() as f64 / seconds.max(0.001),
        report.already_done.len()
    );
    Ok(())
}
