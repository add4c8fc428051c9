//! The runtime of pg-audit: SQL templates, migrations, attach/detach, request context, the
//! axum layer, the API-log writer and the query API. Applications use it through the
//! `pg-audit` facade crate.
#![warn(missing_docs)]

mod config;
mod error;
mod names;
mod request;
pub mod sql;

pub use config::{Settings, TableRef, TableRules, Tables, DEFAULT_SENSITIVE_FIELDS, MIGRATION_HISTORY_TABLES};
pub use error::{Error, Result};
pub use names::{check_identifier, QualifiedName, TablePattern, MAX_IDENTIFIER_BYTES};
pub use request::{HandlerAnnotations, RequestAudit};
pub mod query;
pub mod viewer;
