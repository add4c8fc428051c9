//! The runtime of pg-audit: SQL templates, migrations, attach/detach, request context, the
//! axum layer, the API-log writer and the query API. Applications use it through the
//! `pg-audit` facade crate.
#![warn(missing_docs)]

mod attach;
mod catalog;
mod config;
mod connect;
mod context;
mod error;
mod handler;
mod lock;
mod migrate;
mod names;
mod registry;
mod request;
#[cfg(test)]
mod snapshot_tests;
pub mod sql;
mod status;
mod trigger;

pub use attach::{attach, attach_sql, ActionKind, AttachOptions, AttachPlan, TableAction};
pub use config::{
    Settings, TableRef, TableRules, Tables, DEFAULT_SENSITIVE_FIELDS, MIGRATION_HISTORY_TABLES,
};
pub use connect::connect;
pub use context::{
    begin, current, scope, AuditContext, Begin, MAX_CONTEXT_TEXT, MAX_EXTRA_CONTEXT,
};
pub use error::{Error, Result};
pub use handler::{__private, AuditUser};
pub use migrate::{migrate, migrate_zero, migration_files, MigrationReport};
pub use names::{check_identifier, QualifiedName, TablePattern, MAX_IDENTIFIER_BYTES};
pub use request::{HandlerAnnotations, RequestAudit};
pub use status::{registered_rules, status, StatusReport, TableState, TableStatus};
pub use trigger::MASK;
mod audit;
pub mod layer;
mod mask;
pub mod query;
pub mod viewer;
mod writer;
pub use audit::{Audit, AuditBuilder, DEFAULT_SHUTDOWN_TIMEOUT};
pub use layer::{AuditLayer, AuditService};
pub use mask::Masker;
pub use writer::WriterStats;
