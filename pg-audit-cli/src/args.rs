//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Trigger-based PostgreSQL audit trail: migrate the audit schema, attach audit triggers,
/// report status, export the SQL and read the audit log.
#[derive(Debug, Parser)]
#[command(name = "pg-audit", version)]
pub(crate) struct Cli {
    /// PostgreSQL URL, e.g. postgres://user@host:5432/db.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// Schema holding the audit tables.
    #[arg(long, default_value = "audit", global = true)]
    pub audit_schema: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Apply pending migrations (the first one attaches every eligible table).
    Migrate {
        /// Revert every migration: drop all audit triggers, functions and tables.
        #[arg(long)]
        zero: bool,
    },
    /// Attach (or remove) audit triggers as the application declared them.
    Attach(AttachArgs),
    /// Show each table: audited, not audited, excluded or stale.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Exit with status 3 when anything is not as declared: a table not audited or
        /// stale, or a problem of the audit schema (for monitoring and CI).
        #[arg(long)]
        check: bool,
    },
    /// Print the migration and trigger SQL, or write it as numbered files.
    Sql {
        /// Write numbered .sql files into this directory instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Query the audit log, newest first.
    Log(LogArgs),
    /// Make both logs' partitions ahead and, with --retain, drop the partitions whose rows
    /// are all older than the retention (for cron; the Audit handle does it in the
    /// background). Each run that changes something is recorded in the log.
    Maintain(MaintainArgs),
}

/// `pg-audit maintain` flags.
#[derive(Debug, Args)]
pub(crate) struct MaintainArgs {
    /// Drop the partitions whose rows are all older than this: a number and a unit,
    /// d (days), w (weeks) or h (hours), e.g. 400d.
    #[arg(long, value_parser = parse_period)]
    pub retain: Option<std::time::Duration>,
    /// Months ahead to make partitions for (0 to 36).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=36))]
    pub ahead: u32,
    /// The longest an audited write may wait for a partition's drop, and maintenance for a
    /// lock: a number and a unit, ms, s or m (default 1s).
    #[arg(long, default_value = "1s", value_parser = parse_wait)]
    pub lock_timeout: std::time::Duration,
    /// List the partitions afterwards.
    #[arg(long)]
    pub list: bool,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// A retention period: `400d`, `8w`, `36h`.
pub(crate) fn parse_period(text: &str) -> Result<std::time::Duration, String> {
    parse_amount(
        text,
        &[("d", 86_400_000), ("w", 7 * 86_400_000), ("h", 3_600_000)],
    )
}

/// A lock wait: `500ms`, `2s`, `1m`.
pub(crate) fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    parse_amount(text, &[("ms", 1), ("s", 1_000), ("m", 60_000)])
}

fn parse_amount(text: &str, units: &[(&str, u64)]) -> Result<std::time::Duration, String> {
    let known = || {
        units
            .iter()
            .map(|(unit, _)| *unit)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
        format!(
            "{text:?} has no unit; write a number and one of {}",
            known()
        )
    })?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} does not start with a whole number"))?;
    let millis = units
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, millis)| *millis)
        .ok_or_else(|| format!("unknown unit {unit:?} in {text:?}; use one of {}", known()))?;
    if number == 0 {
        return Err(format!("{text:?} is no time at all"));
    }
    number
        .checked_mul(millis)
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn periods_and_waits_take_a_number_and_a_unit() {
        assert_eq!(parse_period("400d"), Ok(Duration::from_secs(400 * 86_400)));
        assert_eq!(parse_period("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_wait("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_wait("2s"), Ok(Duration::from_secs(2)));
        for bad in [
            "",
            "400",
            "d",
            "-3d",
            "3x",
            "0d",
            "1.5d",
            "99999999999999999999d",
            "3 d",
        ] {
            assert!(parse_period(bad).is_err(), "{bad:?} was taken");
        }
        assert!(parse_wait("3d").is_err());
    }
}

/// `pg-audit attach` flags (django-pg-audit's, plus --include and --schema).
#[derive(Debug, Args)]
pub(crate) struct AttachArgs {
    /// Show the plan without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Tables to exclude (table or schema.table); remembered until --include.
    #[arg(long, num_args = 1..)]
    pub exclude: Vec<String>,
    /// Tables excluded earlier with --exclude to audit again.
    #[arg(long, num_args = 1..)]
    pub include: Vec<String>,
    /// Only these schemas in this run (default: the declared ones).
    #[arg(long, num_args = 1..)]
    pub schema: Vec<String>,
    /// Remove every audit trigger.
    #[arg(long, conflicts_with_all = ["exclude", "include"])]
    pub remove: bool,
    /// Attach new tables and re-attach altered ones automatically, inside their DDL's
    /// transaction (an event trigger; needs a superuser; turns the DDL trail on too).
    #[arg(long, conflicts_with = "no_auto")]
    pub auto: bool,
    /// Turn the automatic attach off.
    #[arg(long)]
    pub no_auto: bool,
    /// Record DDL on audited tables and on the audit schema as DDL rows (event triggers;
    /// needs a superuser).
    #[arg(long, conflicts_with = "no_ddl_trail")]
    pub ddl_trail: bool,
    /// Then record the rows that exist in each audited table without a baseline yet, once,
    /// as SNAPSHOT rows (in batches, resumable; needed for `log --as-of`).
    #[arg(long, conflicts_with_all = ["dry_run", "remove"])]
    pub baseline: bool,
    /// Turn the DDL trail off (and the automatic attach, which needs it).
    #[arg(long, conflicts_with = "auto")]
    pub no_ddl_trail: bool,
}

/// `pg-audit log` filters.
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Only this table (table or schema.table).
    #[arg(long)]
    pub table: Option<String>,
    /// Only this record id (with --table).
    #[arg(long, requires = "table")]
    pub record: Option<String>,
    /// Only changes of this request id.
    #[arg(long)]
    pub request: Option<String>,
    /// Only changes by this user id.
    #[arg(long)]
    pub user: Option<String>,
    /// Only INSERT, UPDATE, DELETE or TRUNCATE.
    #[arg(long)]
    pub operation: Option<String>,
    /// Only changes since this time: RFC 3339 (2026-01-31T10:00:00Z), a UTC time
    /// (2026-01-31T10:00), a date (2026-01-31), or an age such as 30m, 2h, 7d.
    #[arg(long)]
    pub since: Option<String>,
    /// Instead of changes: the table's rows (with --record, one row) as they were at this
    /// time, rebuilt from the trail (needs the table's baseline: `attach --baseline`).
    /// Takes what --since takes; the table is in `public` unless written schema.table.
    #[arg(long, requires = "table", conflicts_with_all = ["request", "user", "operation", "since"])]
    pub as_of: Option<String>,
    /// At most this many rows, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}
