pub use pg_audit_runtime::*;
