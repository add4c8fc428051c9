//! The `pg-audit` command: migrate the audit schema, attach triggers, report status, export
//! SQL and read the audit log. It parses arguments and calls the runtime; it has no SQL of
//! its own.
#![warn(unreachable_pub)]

mod args;
mod error;
mod log;
mod progress;
mod run;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match run::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pg-audit: error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
