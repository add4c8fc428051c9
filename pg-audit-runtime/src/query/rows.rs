//! The typed rows of the two audit tables, read so that no stored value can fail them:
//! `jsonb` as its text ([`JsonText`]), timestamps beyond what chrono holds (`infinity`)
//! brought to chrono's bounds.

use super::json::{self, JsonText};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgRow, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, FromRow, Row, Type};
use std::net::IpAddr;
use uuid::Uuid;

/// One row of the data audit log (`pg_audit_log`): one INSERT, UPDATE, DELETE or TRUNCATE of
/// one row (TRUNCATE: of one table), with who made it and from which request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLogEntry {
    /// Position in the log; larger is newer.
    pub id: i64,
    /// Schema of the changed table.
    pub schema_name: String,
    /// The changed table.
    pub table_name: String,
    /// `INSERT`, `UPDATE`, `DELETE` or `TRUNCATE`.
    pub operation: String,
    /// The row before the change (UPDATE, DELETE), masked columns as `"********"`.
    pub old_data: Option<JsonText>,
    /// The row after the change (INSERT, UPDATE), masked columns as `"********"`.
    pub new_data: Option<JsonText>,
    /// UPDATE: a JSON array of the names of the columns whose values changed.
    pub changed_fields: Option<JsonText>,
    /// The row's primary key as text (composite keys joined), when the table has one.
    pub record_id: Option<String>,
    /// The client address: the HTTP client's for application writes, the database
    /// client's for direct writes.
    pub ip_address: Option<IpAddr>,
    /// When the change was made (a stored `infinity` reads as [`DateTime::<Utc>::MAX_UTC`],
    /// `-infinity` as `MIN_UTC`).
    pub updated_at: DateTime<Utc>,
    /// The application user who made the change, if the request named one.
    pub updated_by: Option<String>,
    /// True when the write came without application context (psql, migrations, cron jobs).
    pub is_db_user: bool,
    /// The database role that made the write (recorded whether or not there was context).
    pub db_user: Option<String>,
    /// The database client's `application_name`.
    pub application_name: Option<String>,
    /// The API name (route) of the request that made the change.
    pub api_name: Option<String>,
    /// The HTTP method of the request that made the change.
    pub http_method: Option<String>,
    /// The request that made the change; links to [`ApiLogEntry::request_id`].
    pub request_id: Option<Uuid>,
    /// The PostgreSQL transaction that made the change.
    pub transaction_id: Option<i64>,
    /// Free-form extra context (tenant, reason, …).
    pub context: Option<JsonText>,
}

impl AuditLogEntry {
    /// The names listed in `changed_fields` (empty when there are none or it is not an
    /// array of strings).
    ///
    /// ```
    /// # use pg_audit_runtime::query::AuditLogEntry;
    /// # let mut entry: AuditLogEntry = serde_json::from_value(serde_json::json!({
    /// #   "id": 1, "schema_name": "public", "table_name": "orders", "operation": "UPDATE",
    /// #   "old_data": null, "new_data": null, "changed_fields": null, "record_id": "1",
    /// #   "ip_address": null, "updated_at": "2026-01-01T00:00:00Z", "updated_by": null,
    /// #   "is_db_user": true, "db_user": "postgres", "application_name": null, "api_name": null,
    /// #   "http_method": null, "request_id": null, "transaction_id": null, "context": null
    /// # })).unwrap();
    /// entry.changed_fields = Some(r#"["total", "status"]"#.parse()?);
    /// assert_eq!(entry.changed_field_names(), ["total", "status"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn changed_field_names(&self) -> Vec<String> {
        self.changed_fields
            .as_ref()
            .and_then(|names| json::elements(names.as_str()))
            .map(|names| names.into_iter().filter_map(json::string).collect())
            .unwrap_or_default()
    }
}

impl<'r> FromRow<'r, PgRow> for AuditLogEntry {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(AuditLogEntry {
            id: row.try_get("id")?,
            schema_name: row.try_get("schema_name")?,
            table_name: row.try_get("table_name")?,
            operation: row.try_get("operation")?,
            old_data: row.try_get("old_data")?,
            new_data: row.try_get("new_data")?,
            changed_fields: row.try_get("changed_fields")?,
            record_id: row.try_get("record_id")?,
            ip_address: row.try_get("ip_address")?,
            updated_at: row.try_get::<Timestamp, _>("updated_at")?.0,
            updated_by: row.try_get("updated_by")?,
            is_db_user: row.try_get("is_db_user")?,
            db_user: row.try_get("db_user")?,
            application_name: row.try_get("application_name")?,
            api_name: row.try_get("api_name")?,
            http_method: row.try_get("http_method")?,
            request_id: row.try_get("request_id")?,
            transaction_id: row.try_get("transaction_id")?,
            context: row.try_get("context")?,
        })
    }
}

/// One row of the API request log (`pg_api_audit_log`): one HTTP request, with its masked
/// bodies, status and duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiLogEntry {
    /// Position in the log; larger is newer.
    pub id: i64,
    /// The request's id; every data change it made carries the same
    /// [`AuditLogEntry::request_id`].
    pub request_id: Option<Uuid>,
    /// The API name: the handler's, or the matched route path.
    pub api_name: Option<String>,
    /// The HTTP method.
    pub http_method: Option<String>,
    /// The request body, sensitive keys masked (or a marker for large or non-JSON bodies).
    pub request_payload: Option<JsonText>,
    /// The response body, sensitive keys masked (or a marker for large or non-JSON bodies).
    pub response_body: Option<JsonText>,
    /// The HTTP status the client got.
    pub response_code: Option<i32>,
    /// The acting user, when the handler named one.
    pub user_id: Option<String>,
    /// The client address.
    pub ip_address: Option<IpAddr>,
    /// When the request arrived (a stored `infinity` reads as [`DateTime::<Utc>::MAX_UTC`],
    /// `-infinity` as `MIN_UTC`).
    pub created_at: DateTime<Utc>,
    /// How long the request took, in milliseconds.
    pub duration_ms: Option<f64>,
}

impl<'r> FromRow<'r, PgRow> for ApiLogEntry {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(ApiLogEntry {
            id: row.try_get("id")?,
            request_id: row.try_get("request_id")?,
            api_name: row.try_get("api_name")?,
            http_method: row.try_get("http_method")?,
            request_payload: row.try_get("request_payload")?,
            response_body: row.try_get("response_body")?,
            response_code: row.try_get("response_code")?,
            user_id: row.try_get("user_id")?,
            ip_address: row.try_get("ip_address")?,
            created_at: row.try_get::<Timestamp, _>("created_at")?.0,
            duration_ms: row.try_get("duration_ms")?,
        })
    }
}

/// A `timestamptz` read without failing: PostgreSQL's range (to 294276 AD, and `infinity`)
/// is wider than chrono's (±262143 years), so what lies beyond chrono is brought to its
/// nearest bound instead of failing (or overflowing) the whole page.
pub(super) struct Timestamp(pub(super) DateTime<Utc>);

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let bounded = |ahead: bool| {
            if ahead {
                DateTime::<Utc>::MAX_UTC
            } else {
                DateTime::<Utc>::MIN_UTC
            }
        };
        if value.format() == PgValueFormat::Binary {
            // Microseconds since 2000-01-01 UTC; infinity is i64::MAX, -infinity i64::MIN.
            let micros = <i64 as Decode<Postgres>>::decode(value)?;
            let epoch = Utc
                .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
                .single()
                .ok_or("no epoch")?;
            return Ok(Timestamp(
                epoch
                    .checked_add_signed(TimeDelta::microseconds(micros))
                    .unwrap_or_else(|| bounded(micros > 0)),
            ));
        }
        match value.as_str()? {
            "infinity" => Ok(Timestamp(bounded(true))),
            "-infinity" => Ok(Timestamp(bounded(false))),
            _ => <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Timestamp),
        }
    }
}
