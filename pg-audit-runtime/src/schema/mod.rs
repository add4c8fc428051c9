//! Schema lifecycle: the audit schema's migrations, attaching triggers to the audited tables,
//! and the status report that says whether what is installed matches what is declared.

pub(crate) mod attach;
pub(crate) mod baseline;
pub(crate) mod catalog;
pub(crate) mod event;
pub(crate) mod lock;
pub(crate) mod maintain;
pub(crate) mod migrate;
pub(crate) mod registry;
pub(crate) mod status;
pub(crate) mod trigger;
