//! The lock every migrate and attach run takes: bounded lock waits, and one run at a time
//! per audit schema across processes and replicas.

use crate::error::Result;
use crate::settings::SchemaSettings;
use crate::sql::templates::{MigrationsLock, SetLockTimeout};
use crate::sql::SqlQuery;
use sqlx::PgConnection;

/// Sets the transaction's lock timeout and takes the advisory lock of the audit schema
/// (released when the transaction ends).
pub(crate) async fn acquire(conn: &mut PgConnection, settings: &SchemaSettings) -> Result<()> {
    let timeout = format!("{}ms", settings.lock_timeout.as_millis().max(1));
    SetLockTimeout
        .render()
        .query()
        .bind(timeout)
        .execute(&mut *conn)
        .await?;
    MigrationsLock
        .render()
        .query()
        .bind(&settings.audit_schema)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
