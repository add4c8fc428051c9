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
