//! # pg-audit
//!
//! A trigger-based audit trail for PostgreSQL, for axum + tower + sqlx services: every
//! INSERT, UPDATE, DELETE and TRUNCATE is recorded by database triggers, and every API request
//! that caused them, with who, from where and which request attached.
//!
//! This crate is the public face of the toolkit; it re-exports the runtime
//! (`pg-audit-runtime`) and the macros (`pg-audit-macros`). The README has the full story:
//! the tables, the settings, the `pg-audit` command and the privilege model.
//!
//! ```no_run
//! # async fn run(pool: sqlx::PgPool) -> pg_audit::Result<()> {
//! use pg_audit::{migrate, SchemaSettings, TableRules, Tables};
//! // Creates the audit schema and attaches triggers to every table of `public`.
//! let report = migrate(&pool, &SchemaSettings::default(), &TableRules::from_tables(&Tables::PUBLIC)?).await?;
//! if let Some(plan) = report.attach {
//!     print!("{plan}");
//! }
//! # Ok(()) }
//! ```

pub use pg_audit_macros::{audit_tables, audited_handler};
pub use pg_audit_runtime::*;
