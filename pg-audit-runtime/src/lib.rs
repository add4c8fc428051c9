//! The runtime of pg-audit. Applications use it through the `pg-audit` facade crate, which
//! re-exports what is public here. The crate reads as a map in four groups:
//!
//! - **schema lifecycle** — [`migrate`], [`attach`], [`status`]: the audit schema, the
//!   triggers on the audited tables, and whether both match what the application declares;
//! - **request attribution** — [`AuditContext`] and [`begin`] (who, from where, which
//!   request, on the writing transaction), the `#[audited_handler]` support, the
//!   [`AuditLayer`] and the API-log writer behind [`Audit`], drained at
//!   [`shutdown_signal`];
//! - **reading** — the [`query`] API and the read-only [`viewer`];
//! - **foundation** — SQL templates, identifiers, settings and the [`Error`] type.
#![warn(missing_docs, unreachable_pub)]

// Schema lifecycle.
mod schema;
pub use schema::attach::{
    attach, attach_sql, ActionKind, ActionReason, AttachOptions, AttachPlan, Exclusion, Staleness,
    TableAction,
};
pub use schema::baseline::{baseline, BaselineProgress, BaselineReport, BASELINE_BATCH_ROWS};
pub use schema::maintain::{
    maintain, partition_table, partitions, LogPartition, MaintainReport, MAX_PARTITIONS_AHEAD,
};
pub use schema::migrate::{migrate, migrate_until, migrate_zero, migration_files, MigrationReport};
pub use schema::status::{
    registered_rules, status, Finding, StatusReport, TableState, TableStatus,
};
pub use schema::trigger::MASK;

// Request attribution.
mod audit;
mod context;
pub mod layer;
mod shutdown;
mod writer;
pub use audit::{Audit, AuditBuilder, DEFAULT_MAINTENANCE_INTERVAL, DEFAULT_SHUTDOWN_TIMEOUT};
pub use context::{
    begin, current, scope, AuditContext, Begin, MAX_CONTEXT_TEXT, MAX_EXTRA_CONTEXT,
};
pub use layer::handler::AuditUser;
pub use layer::request::{RequestAudit, UNMATCHED_ROUTE};
pub use layer::{AuditLayer, AuditService};
pub use shutdown::shutdown_signal;
pub use writer::WriterStats;

// Reading.
pub mod query;
pub mod viewer;

// Foundation.
mod config;
mod connect;
mod error;
mod names;
mod settings;
mod text_table;
pub use text_table::TextTable;
mod sql;
pub use config::{TableRef, TableRules, Tables, MIGRATION_HISTORY_TABLES};
pub use connect::{connect, connect_pinned};
pub use error::{Error, Result};
pub use names::{QualifiedName, TablePattern};
pub use pg_audit_sql::Sql;
pub use settings::{
    LayerSettings, SchemaSettings, Settings, WriterSettings, DEFAULT_SENSITIVE_FIELDS,
};

#[doc(hidden)]
pub mod __private;

#[cfg(test)]
mod snapshot_tests;
