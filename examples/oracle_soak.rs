//! The differential trigger test of `tests/trigger_oracle.rs` as a longer soak run: many
//! seeds, each on a fresh database, each with many statements.
//!
//! ```text
//! cargo run --release --example oracle_soak [-- --seeds N --statements M --first-seed S]
//! ```
//!
//! Prints one line per seed and a total; on a difference, prints it with its seed and exits
//! with status 1.

use pg_audit_testing::{fresh_db, oracle};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, not {v}"))
        })
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let seeds = arg("--seeds", 10);
    let statements = arg("--statements", 20_000) as usize;
    let first = arg("--first-seed", 1);
    let (mut total_statements, mut total_rows) = (0, 0);
    for seed in first..first + seeds {
        let db = fresh_db!().await;
        oracle::prepare(&db).await;
        match oracle::run(&db, seed, statements).await {
            Ok(report) => {
                println!("seed {seed}: {report:?}");
                total_statements += report.statements;
                total_rows += report.rows;
            }
            Err(difference) => {
                eprintln!("{difference}");
                std::process::exit(1);
            }
        }
    }
    println!(
        "seeds {first}..={}: {total_statements} statements, {total_rows} audit rows, all equal to the oracle's",
        first + seeds - 1
    );
}
