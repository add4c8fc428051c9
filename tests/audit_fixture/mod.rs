//! Audit rows for the query and viewer tests: the audit tables of a fresh test database and
//! rows written into them with exactly the values a test wants to find again.
#![allow(dead_code)] // each test binary uses its own part of this module

use crate::common::TestDb;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use uuid::Uuid;

/// The audit schema name the fixtures use.
pub const SCHEMA: &str = "audit";

/// Creates the audit tables in `db` (schema `audit`) with pg-audit's own migrations.
pub async fn create_audit_tables(db: &TestDb) {
    let rules = pg_audit::TableRules::from_tables(&pg_audit::Tables::PUBLIC)
        .expect("the public schema is a valid rule");
    pg_audit::migrate(&db.pool, &pg_audit::SchemaSettings::default(), &rules)
        .await
        .expect("migrate the test database");
}

/// A fixed instant fixtures count from, so time filters have known answers.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// One data change to write.
#[derive(Debug, Clone)]
pub struct Change {
    pub schema: &'static str,
    pub table: String,
    pub operation: &'static str,
    pub record_id: Option<String>,
    pub old_data: Option<Value>,
    pub new_data: Option<Value>,
    pub changed_fields: Option<Value>,
    pub user: Option<String>,
    pub is_db_user: bool,
    pub db_user: Option<String>,
    pub request_id: Option<Uuid>,
    pub api_name: Option<String>,
    pub http_method: Option<String>,
    pub ip: Option<&'static str>,
    pub application_name: String,
    pub context: Option<Value>,
    /// Minutes after [`epoch`].
    pub minute: i64,
}

impl Change {
    /// An application INSERT of `public.<table>` row `record_id`.
    pub fn insert(table: &str, record_id: &str, new_data: Value) -> Self {
        Change {
            schema: "public",
            table: table.to_string(),
            operation: "INSERT",
            record_id: Some(record_id.to_string()),
            old_data: None,
            new_data: Some(new_data),
            changed_fields: None,
            user: None,
            is_db_user: false,
            db_user: Some("app".into()),
            request_id: None,
            api_name: None,
            http_method: None,
            ip: None,
            application_name: "fixture".into(),
            context: None,
            minute: 0,
        }
    }

    /// An application UPDATE from `old` to `new`, `changed` listing the changed columns.
    pub fn update(table: &str, record_id: &str, old: Value, new: Value, changed: &[&str]) -> Self {
        Change {
            operation: "UPDATE",
            old_data: Some(old),
            changed_fields: Some(Value::from(
                changed.iter().map(|s| Value::from(*s)).collect::<Vec<_>>(),
            )),
            ..Change::insert(table, record_id, new)
        }
    }

    /// An application DELETE of a row that held `old`.
    pub fn delete(table: &str, record_id: &str, old: Value) -> Self {
        Change {
            operation: "DELETE",
            old_data: Some(old),
            new_data: None,
            ..Change::insert(table, record_id, Value::Null)
        }
    }

    pub fn by(mut self, user: &str) -> Self {
        self.user = Some(user.to_string());
        self
    }

    pub fn in_request(mut self, request_id: Uuid, method: &str, api_name: &str) -> Self {
        self.request_id = Some(request_id);
        self.http_method = Some(method.to_string());
        self.api_name = Some(api_name.to_string());
        self
    }

    pub fn direct(mut self, role: &str) -> Self {
        self.is_db_user = true;
        self.db_user = Some(role.to_string());
        self.user = None;
        self
    }

    pub fn at_minute(mut self, minute: i64) -> Self {
        self.minute = minute;
        self
    }

    pub fn in_schema(mut self, schema: &'static str) -> Self {
        self.schema = schema;
        self
    }

    pub fn with_ip(mut self, ip: &'static str) -> Self {
        self.ip = Some(ip);
        self
    }
}

/// Writes one change and returns its id.
pub async fn write_change(db: &TestDb, change: &Change) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO audit.pg_audit_log (schema_name, table_name, operation, old_data, new_data, changed_fields,
             record_id, ip_address, updated_at, updated_by, is_db_user, db_user, application_name, api_name,
             http_method, request_id, transaction_id, context)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::inet, $9, $10, $11, $12, $13, $14, $15, $16, txid_current(), $17)
         RETURNING id",
    )
    .bind(change.schema)
    .bind(&change.table)
    .bind(change.operation)
    .bind(&change.old_data)
    .bind(&change.new_data)
    .bind(&change.changed_fields)
    .bind(&change.record_id)
    .bind(change.ip)
    .bind(epoch() + Duration::minutes(change.minute))
    .bind(&change.user)
    .bind(change.is_db_user)
    .bind(&change.db_user)
    .bind(&change.application_name)
    .bind(&change.api_name)
    .bind(&change.http_method)
    .bind(change.request_id)
    .bind(&change.context)
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("cannot write fixture change {change:?}: {e}"))
}

/// One logged API request to write.
#[derive(Debug, Clone)]
pub struct Request {
    pub request_id: Uuid,
    pub api_name: String,
    pub method: &'static str,
    pub payload: Option<Value>,
    pub response: Option<Value>,
    pub status: i32,
    pub user: Option<String>,
    pub duration_ms: f64,
    /// Minutes after [`epoch`].
    pub minute: i64,
}

impl Request {
    /// A request with a new id.
    pub fn new(method: &'static str, api_name: &str, status: i32, duration_ms: f64) -> Self {
        Request {
            request_id: Uuid::new_v4(),
            api_name: api_name.to_string(),
            method,
            payload: None,
            response: None,
            status,
            user: None,
            duration_ms,
            minute: 0,
        }
    }

    pub fn by(mut self, user: &str) -> Self {
        self.user = Some(user.to_string());
        self
    }

    pub fn bodies(mut self, payload: Value, response: Value) -> Self {
        self.payload = Some(payload);
        self.response = Some(response);
        self
    }

    pub fn at_minute(mut self, minute: i64) -> Self {
        self.minute = minute;
        self
    }
}

/// Writes one API request and returns its id.
pub async fn write_request(db: &TestDb, request: &Request) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO audit.pg_api_audit_log (request_id, api_name, http_method, request_payload, response_body,
             response_code, user_id, ip_address, created_at, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '192.0.2.7', $8, $9)
         RETURNING id",
    )
    .bind(request.request_id)
    .bind(&request.api_name)
    .bind(request.method)
    .bind(&request.payload)
    .bind(&request.response)
    .bind(request.status)
    .bind(&request.user)
    .bind(epoch() + Duration::minutes(request.minute))
    .bind(request.duration_ms)
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("cannot write fixture request {request:?}: {e}"))
}
