//! What an application sets, split by the part of pg-audit that reads it: the audit schema
//! and its triggers ([`SchemaSettings`]), the HTTP layer ([`LayerSettings`]) and the API-log
//! writer ([`WriterSettings`]). [`Settings`] holds the three and is the one place where the
//! mapping from django-pg-audit's `DJANGO_PG_AUDIT` is documented.

use crate::error::Result;
use crate::names::{check_identifier, TablePattern};
use std::time::Duration;

/// All settings of pg-audit, one group per consumer. `Settings::default()` gives
/// django-pg-audit's defaults.
///
/// | django-pg-audit (`DJANGO_PG_AUDIT`) | here | default |
/// |---|---|---|
/// | `EXCLUDED_PATHS` | [`layer.excluded_paths`](LayerSettings::excluded_paths) | `/admin`, `/static`, `/media` |
/// | `EXCLUDED_TABLES` | [`schema.excluded_tables`](SchemaSettings::excluded_tables) | none |
/// | `SENSITIVE_FIELDS` | [`layer.sensitive_fields`](LayerSettings::sensitive_fields) | its eleven words and four more, matched as parts of normalized keys |
/// | `MAX_PAYLOAD_SIZE` | [`layer.max_payload_size`](LayerSettings::max_payload_size) | 10000 bytes |
/// | `LOG_GET_REQUESTS` | [`layer.log_get_requests`](LayerSettings::log_get_requests) | `false` |
/// | `TRACK_DB_USERS` | [`schema.track_db_users`](SchemaSettings::track_db_users) | `true` |
///
/// Everything else (the audit schema's name, no-op updates, trusted proxies, lock timeout,
/// the writer's queue) is pg-audit's own.
///
/// ```
/// use pg_audit_runtime::{LayerSettings, SchemaSettings, Settings};
/// let settings = Settings {
///     schema: SchemaSettings { audit_schema: "audit_trail".into(), ..Default::default() },
///     layer: LayerSettings { log_get_requests: true, ..Default::default() },
///     ..Default::default()
/// };
/// assert_eq!(settings.layer.max_payload_size, 10_000);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The audit schema, its migrations and triggers: read by `migrate`, `attach`, `status`.
    pub schema: SchemaSettings,
    /// What the HTTP layer logs and believes.
    pub layer: LayerSettings,
    /// How the API-log writer queues and writes.
    pub writer: WriterSettings,
}

impl Settings {
    /// Checks the settings that reach SQL.
    pub fn validate(&self) -> Result<()> {
        self.schema.validate()
    }
}

/// Settings of the audit schema and the triggers, read by [`migrate`](crate::migrate),
/// [`attach`](crate::attach) and [`status`](crate::status).
///
/// ```
/// let settings = pg_audit_runtime::SchemaSettings { track_db_users: false, ..Default::default() };
/// assert_eq!(settings.audit_schema, "audit");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaSettings {
    /// Schema holding the audit tables and functions (created by `migrate` if missing).
    pub audit_schema: String,
    /// Tables never audited, `table` (any audited schema) or `schema.table`.
    pub excluded_tables: Vec<String>,
    /// For writes without application context, record the client address
    /// (`inet_client_addr()`). The database role is recorded whatever this says.
    pub track_db_users: bool,
    /// Keep an audit row for an UPDATE that changed nothing (or only ignored columns).
    pub keep_noop_updates: bool,
    /// How long `attach`, `migrate` and maintenance wait for a table lock before giving
    /// up; also the longest an audited write waits for a retention drop.
    pub lock_timeout: Duration,
    /// How many months ahead both logs' partitions are made (by migrate, the
    /// [`Audit`](crate::Audit) handle's maintenance and `pg-audit maintain`), at most 36.
    pub partitions_ahead: u32,
    /// Retention: partitions whose rows are all older than this are dropped by maintenance
    /// (`None`: keep everything). Rows older than it in a partition that also holds newer
    /// ones stay until the whole partition is old enough; `pg_audit_purge` removes those.
    pub retention: Option<Duration>,
}

impl SchemaSettings {
    /// The NOLOGIN role `migrate` creates for the audit schema: it owns the trigger
    /// functions, so whatever a table owner can make them run (a cast to json of a column's
    /// type, say) runs with its rights, which are INSERT on the audit log and EXECUTE on the
    /// context functions, nothing else. `<audit_schema>_writer` (`audit_writer` by default),
    /// the schema part shortened to keep the name within 63 bytes.
    ///
    /// ```
    /// assert_eq!(pg_audit_runtime::SchemaSettings::default().writer_role(), "audit_writer");
    /// ```
    pub fn writer_role(&self) -> String {
        writer_role_of(&self.audit_schema)
    }
}

/// The audit role of an audit schema (see [`SchemaSettings::writer_role`]).
pub(crate) fn writer_role_of(audit_schema: &str) -> String {
    const SUFFIX: &str = "_writer";
    let mut end = audit_schema.len().min(63 - SUFFIX.len());
    while !audit_schema.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{SUFFIX}", &audit_schema[..end])
}

impl Default for SchemaSettings {
    fn default() -> Self {
        SchemaSettings {
            audit_schema: "audit".into(),
            excluded_tables: Vec::new(),
            track_db_users: true,
            keep_noop_updates: false,
            lock_timeout: Duration::from_secs(5),
            partitions_ahead: 3,
            retention: None,
        }
    }
}

impl SchemaSettings {
    /// Checks the settings that reach SQL: the audit schema must be a PostgreSQL name and
    /// every excluded table a `table` or `schema.table`.
    pub fn validate(&self) -> Result<()> {
        check_identifier(&self.audit_schema, "audit schema")?;
        check_identifier(&self.writer_role(), "audit role")?;
        for table in &self.excluded_tables {
            TablePattern::parse(table)?;
        }
        Ok(())
    }
}

/// Settings of the HTTP layer ([`AuditLayer`](crate::AuditLayer)).
///
/// ```
/// let settings = pg_audit_runtime::LayerSettings::default();
/// assert!(settings.excluded_paths.contains(&"/admin".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSettings {
    /// Request paths not logged, matched on whole path segments (`/admin` excludes
    /// `/admin/users`, not `/administrators`).
    pub excluded_paths: Vec<String>,
    /// Words that make a key sensitive: a key is masked as `"********"`, at any depth of
    /// request and response bodies, when one of these words is part of it once both are
    /// normalized (compatibility forms folded, Cyrillic and Greek look-alikes read as Latin,
    /// lower case, separators `_ - .`, spaces and invisible characters removed). So
    /// `"token"` masks `access_token`, `refreshToken` and `X-Token`, and `"password"` masks
    /// `new_password`, `ｐａｓｓｗｏｒｄ` and `pass\u{200B}word`.
    pub sensitive_fields: Vec<String>,
    /// Keys never masked although a sensitive word is part of them (false positives such as
    /// `token_count` or `access_level`), compared whole after the same normalization, so
    /// `"token_count"` also leaves `tokenCount` and `TOKEN-COUNT` in clear. Keys below them
    /// are still masked.
    pub unmasked_fields: Vec<String>,
    /// Bodies larger than this many bytes are logged as a "too large" marker.
    pub max_payload_size: usize,
    /// Also log GET, HEAD and OPTIONS requests.
    pub log_get_requests: bool,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Keep a valid UUID from an incoming `x-request-id` header instead of generating one.
    pub trust_request_id_header: bool,
}

impl Default for LayerSettings {
    fn default() -> Self {
        LayerSettings {
            excluded_paths: vec!["/admin".into(), "/static".into(), "/media".into()],
            sensitive_fields: DEFAULT_SENSITIVE_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            unmasked_fields: Vec::new(),
            max_payload_size: 10_000,
            log_get_requests: false,
            trusted_proxies: Vec::new(),
            trust_request_id_header: false,
        }
    }
}

/// Settings of the API-log writer.
///
/// ```
/// let settings = pg_audit_runtime::WriterSettings { queue_capacity: 1_000, ..Default::default() };
/// assert_eq!(settings.batch_size, 500);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WriterSettings {
    /// Capacity of the queue in rows; rows beyond it are dropped and counted.
    pub queue_capacity: usize,
    /// Capacity of the queue in bytes (bodies, names and a fixed overhead per row); rows
    /// beyond it are dropped and counted. With the defaults the queue holds at most 32 MiB
    /// whatever the traffic and however long the database is away.
    pub queue_max_bytes: usize,
    /// Rows per insert.
    pub batch_size: usize,
    /// Longest time a logged request waits in the queue before being written.
    pub flush_interval: Duration,
    /// Longest time one insert may take before it counts as failed and is retried (also
    /// the statement timeout of the writer's own pool).
    pub attempt_timeout: Duration,
}

impl Default for WriterSettings {
    fn default() -> Self {
        WriterSettings {
            queue_capacity: 10_000,
            queue_max_bytes: 32 * 1024 * 1024,
            batch_size: 500,
            flush_interval: Duration::from_millis(200),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

/// django-pg-audit's `SENSITIVE_FIELDS`, plus `passwd`, `pwd`, `bearer` and `cookie`: the
/// words of [`LayerSettings::sensitive_fields`] by default. Each is matched as a part of a
/// normalized key, so this list also masks `access_token`, `client_secret`,
/// `new_password`, `X-API-Key` and `Set-Cookie`.
///
/// ```
/// assert!(pg_audit_runtime::DEFAULT_SENSITIVE_FIELDS.contains(&"password"));
/// ```
pub const DEFAULT_SENSITIVE_FIELDS: &[&str] = &[
    "password",
    "token",
    "access",
    "refresh",
    "authorization",
    "secret",
    "api_key",
    "apikey",
    "credit_card",
    "cvv",
    "ssn",
    "passwd",
    "pwd",
    "bearer",
    "cookie",
];
