//! Audit rows for the query and viewer tests: the audit tables of a fresh test database and
//! rows written into them with exactly the values a test wants to find again.

use crate::TestDb;
use chrono::{DateTime, Duration, TimeZone, Utc};
use pg_audit_runtime::{SchemaSettings, TableRules, Tables};
use serde_json::{json, Value};
use uuid::Uuid;

/// The audit schema name the fixtures use.
pub const SCHEMA: &str = "audit";

/// The rules most tests attach with: every table of schema `public`.
pub fn public_rules() -> TableRules {
    TableRules::from_tables(&Tables::PUBLIC).expect("the public schema is a valid rule")
}

/// Creates the audit tables in `db` (schema `audit`) with pg-audit's own migrations.
pub async fn create_audit_tables(db: &TestDb) {
    pg_audit_runtime::migrate(&db.pool, &SchemaSettings::default(), &public_rules())
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
    /// `schema_name`.
    pub schema: &'static str,
    /// `table_name`.
    pub table: String,
    /// `operation`: INSERT, UPDATE, DELETE or TRUNCATE.
    pub operation: &'static str,
    /// `record_id`.
    pub record_id: Option<String>,
    /// `old_data`.
    pub old_data: Option<Value>,
    /// `new_data`.
    pub new_data: Option<Value>,
    /// `changed_fields`: a JSON array of column names.
    pub changed_fields: Option<Value>,
    /// `updated_by`.
    pub user: Option<String>,
    /// `is_db_user`.
    pub is_db_user: bool,
    /// `db_user`.
    pub db_user: Option<String>,
    /// `request_id`.
    pub request_id: Option<Uuid>,
    /// `api_name`.
    pub api_name: Option<String>,
    /// `http_method`.
    pub http_method: Option<String>,
    /// `ip_address`, as text.
    pub ip: Option<&'static str>,
    /// `application_name`.
    pub application_name: String,
    /// `context`.
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

    /// Made by application user `user`.
    pub fn by(mut self, user: &str) -> Self {
        self.user = Some(user.to_string());
        self
    }

    /// Made inside request `request_id`, `method api_name`.
    pub fn in_request(mut self, request_id: Uuid, method: &str, api_name: &str) -> Self {
        self.request_id = Some(request_id);
        self.http_method = Some(method.to_string());
        self.api_name = Some(api_name.to_string());
        self
    }

    /// Made outside the application, by database role `role`.
    pub fn direct(mut self, role: &str) -> Self {
        self.is_db_user = true;
        self.db_user = Some(role.to_string());
        self.user = None;
        self
    }

    /// Made `minute` minutes after [`epoch`].
    pub fn at_minute(mut self, minute: i64) -> Self {
        self.minute = minute;
        self
    }

    /// Of a table in `schema` instead of `public`.
    pub fn in_schema(mut self, schema: &'static str) -> Self {
        self.schema = schema;
        self
    }

    /// From client address `ip`.
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
    /// `request_id`.
    pub request_id: Uuid,
    /// `api_name`.
    pub api_name: String,
    /// `http_method`.
    pub method: &'static str,
    /// `request_payload`.
    pub payload: Option<Value>,
    /// `response_body`.
    pub response: Option<Value>,
    /// `response_code`.
    pub status: i32,
    /// `user_id`.
    pub user: Option<String>,
    /// `duration_ms`.
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

    /// Made by application user `user`.
    pub fn by(mut self, user: &str) -> Self {
        self.user = Some(user.to_string());
        self
    }

    /// With these request and response bodies.
    pub fn bodies(mut self, payload: Value, response: Value) -> Self {
        self.payload = Some(payload);
        self.response = Some(response);
        self
    }

    /// Made `minute` minutes after [`epoch`].
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

/// The five changes the filter tests of the query API and of the viewer both read, one
/// minute mark apart by ten: each filter selects a known subset of them.
#[derive(Debug, Clone, Copy)]
pub struct FiveChanges {
    /// The request id of [`FiveChanges::update`].
    pub request: Uuid,
    /// Minute 0: alice inserts `public.orders` 1.
    pub insert: i64,
    /// Minute 10: bob updates `public.orders` 1 (`total`) in a PATCH request.
    pub update: i64,
    /// Minute 20: alice inserts `public.orders` 2.
    pub other_order: i64,
    /// Minute 30: `billing.orders` 1 is inserted, by no user.
    pub billing: i64,
    /// Minute 40: role `psql_admin` deletes `public.customers` 9 directly.
    pub direct: i64,
}

impl FiveChanges {
    /// Writes the five changes into the audit tables of `db` and returns their ids.
    pub async fn write(db: &TestDb) -> FiveChanges {
        let request = Uuid::new_v4();
        let insert = write_change(
            db,
            &Change::insert("orders", "1", json!({"id": 1, "total": 5}))
                .by("alice")
                .at_minute(0),
        )
        .await;
        let update = write_change(
            db,
            &Change::update(
                "orders",
                "1",
                json!({"id": 1, "total": 5}),
                json!({"id": 1, "total": 7}),
                &["total"],
            )
            .by("bob")
            .in_request(request, "PATCH", "/orders/{id}")
            .at_minute(10),
        )
        .await;
        let other_order = write_change(
            db,
            &Change::insert("orders", "2", json!({"id": 2}))
                .by("alice")
                .at_minute(20),
        )
        .await;
        let billing = write_change(
            db,
            &Change::insert("orders", "1", json!({"id": 1}))
                .in_schema("billing")
                .at_minute(30),
        )
        .await;
        let direct = write_change(
            db,
            &Change::delete("customers", "9", json!({"id": 9}))
                .direct("psql_admin")
                .at_minute(40),
        )
        .await;
        FiveChanges {
            request,
            insert,
            update,
            other_order,
            billing,
            direct,
        }
    }
}
