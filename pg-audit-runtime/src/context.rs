//! The request context — who, from where, which request — and how it reaches the triggers:
//! only through `set_config(…, true)` inside the writing transaction, never as a session
//! setting, so a pooled connection never carries one request's context into the next.

use crate::error::{Error, Result};
use crate::sql::templates::{ApplyContext, BeginWithContext};
use crate::sql::SqlQuery;
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};
use std::future::Future;
use std::net::IpAddr;
use uuid::Uuid;

/// Longest user id, api name or extra-context text accepted, in bytes.
pub const MAX_CONTEXT_TEXT: usize = 4096;
/// Largest extra context accepted, as JSON, in bytes (the triggers accept up to 64 KiB).
pub const MAX_EXTRA_CONTEXT: usize = 32 * 1024;

tokio::task_local! {
    static CURRENT: AuditContext;
}

/// Who did something, from where, through which request. Values are checked when set, so
/// what reaches PostgreSQL is always well-formed.
///
/// ```
/// use pg_audit_runtime::AuditContext;
/// let ctx = AuditContext::new()
///     .with_user("7f1c5e1a-43c2-4d4e-9a0e-7c1b2a3d4e5f")?
///     .with_ip("203.0.113.9".parse().unwrap())
///     .with_api_name("/orders/{id}")?
///     .with_http_method("PATCH")?
///     .with_extra("tenant", "acme")?;
/// assert_eq!(ctx.user_id(), Some("7f1c5e1a-43c2-4d4e-9a0e-7c1b2a3d4e5f"));
/// assert!(AuditContext::new().with_request_id_str("not-a-uuid").is_err());
/// # Ok::<(), pg_audit_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AuditContext {
    user_id: Option<String>,
    client_ip: Option<IpAddr>,
    api_name: Option<String>,
    http_method: Option<String>,
    request_id: Uuid,
    extra: Map<String, Value>,
}

impl Default for AuditContext {
    fn default() -> Self {
        AuditContext::new()
    }
}

impl AuditContext {
    /// An empty context with a new UUID v7 request id.
    pub fn new() -> Self {
        AuditContext {
            user_id: None,
            client_ip: None,
            api_name: None,
            http_method: None,
            request_id: Uuid::now_v7(),
            extra: Map::new(),
        }
    }

    /// The context of a job outside HTTP (a cron job, a queue consumer): `actor` is recorded
    /// as the acting user, and `{"job": actor}` as extra context.
    ///
    /// ```
    /// let ctx = pg_audit_runtime::AuditContext::system("nightly-billing");
    /// assert_eq!(ctx.user_id(), Some("nightly-billing"));
    /// ```
    pub fn system(actor: &str) -> Self {
        let mut ctx = AuditContext::new();
        // An actor name that cannot be stored is still a job: keep it, cleaned.
        let actor: String = actor
            .chars()
            .filter(|&c| c != '\0')
            .take(MAX_CONTEXT_TEXT)
            .collect();
        ctx.extra.insert("job".into(), Value::String(actor.clone()));
        ctx.user_id = Some(actor);
        ctx
    }

    /// Sets the acting user: any text (an integer, a UUID, an e-mail address).
    pub fn with_user(mut self, user_id: impl Into<String>) -> Result<Self> {
        self.user_id = Some(checked_text(user_id.into(), "user id")?);
        Ok(self)
    }

    /// Sets the client address.
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }

    /// Sets the api name (the route, or a name such as `orders.create`).
    pub fn with_api_name(mut self, name: impl Into<String>) -> Result<Self> {
        self.api_name = Some(checked_text(name.into(), "api name")?);
        Ok(self)
    }

    /// Sets the HTTP method (an HTTP token such as `GET` or `PATCH`; stored upper-case).
    pub fn with_http_method(mut self, method: &str) -> Result<Self> {
        let valid = !method.is_empty()
            && method.len() <= 32
            && method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid {
            return Err(Error::invalid(
                "HTTP method",
                format!("`{}` is not an HTTP method token", shorten(method)),
            ));
        }
        self.http_method = Some(method.to_ascii_uppercase());
        Ok(self)
    }

    /// Sets the request id.
    pub fn with_request_id(mut self, id: Uuid) -> Self {
        self.request_id = id;
        self
    }

    /// Sets the request id from text, refusing anything that is not a UUID.
    pub fn with_request_id_str(self, id: &str) -> Result<Self> {
        let parsed = Uuid::try_parse(id.trim()).map_err(|_| {
            Error::invalid("request id", format!("`{}` is not a UUID", shorten(id)))
        })?;
        Ok(self.with_request_id(parsed))
    }

    /// Adds an extra context entry (tenant, reason, job name…). Any serializable value.
    pub fn with_extra(mut self, key: &str, value: impl serde::Serialize) -> Result<Self> {
        let key = checked_text(key.to_string(), "context key")?;
        let value = serde_json::to_value(value)
            .map_err(|e| Error::invalid("context value", e.to_string()))?;
        check_json(&value)?;
        self.extra.insert(key, value);
        if serde_json::to_string(&self.extra).map_or(0, |s| s.len()) > MAX_EXTRA_CONTEXT {
            return Err(Error::invalid(
                "context",
                format!("the extra context is larger than {MAX_EXTRA_CONTEXT} bytes"),
            ));
        }
        Ok(self)
    }

    /// The acting user, if known.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The client address, if known.
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.client_ip
    }

    /// The api name, if known.
    pub fn api_name(&self) -> Option<&str> {
        self.api_name.as_deref()
    }

    /// The HTTP method, if known.
    pub fn http_method(&self) -> Option<&str> {
        self.http_method.as_deref()
    }

    /// The request id.
    pub fn request_id(&self) -> Uuid {
        self.request_id
    }

    /// The extra context entries.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// The six setting values, in the order of the templates: user id, ip, api name, method,
    /// request id, extra context (empty strings for what is unknown).
    fn setting_values(&self) -> [String; 6] {
        [
            self.user_id.clone().unwrap_or_default(),
            self.client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            self.api_name.clone().unwrap_or_default(),
            self.http_method.clone().unwrap_or_default(),
            self.request_id.hyphenated().to_string(),
            if self.extra.is_empty() {
                String::new()
            } else {
                Value::Object(self.extra.clone()).to_string()
            },
        ]
    }

    /// Gives the triggers of an open transaction this context (one round trip).
    ///
    /// ```no_run
    /// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
    /// let mut tx = pool.begin().await?;
    /// pg_audit_runtime::AuditContext::system("importer").apply(&mut *tx).await?;
    /// sqlx::query("UPDATE orders SET status = 'archived'").execute(&mut *tx).await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn apply(&self, conn: &mut PgConnection) -> Result<()> {
        let [user_id, ip, api_name, method, request_id, context] = self.setting_values();
        ApplyContext
            .render()
            .query()
            .bind(user_id)
            .bind(ip)
            .bind(api_name)
            .bind(method)
            .bind(request_id)
            .bind(context)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The statement that begins a transaction carrying this context.
    fn begin_statement(&self) -> sqlx::AssertSqlSafe<String> {
        let [user_id, ip, api_name, http_method, request_id, context] = self.setting_values();
        let sql = BeginWithContext {
            user_id: &user_id,
            ip: &ip,
            api_name: &api_name,
            http_method: &http_method,
            request_id: &request_id,
            context: &context,
        }
        .render();
        sqlx::AssertSqlSafe(sql.as_str().to_string())
    }
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

fn checked_text(text: String, what: &'static str) -> Result<String> {
    if text.contains('\0') {
        return Err(Error::invalid(
            what,
            "it contains a NUL character, which PostgreSQL cannot store",
        ));
    }
    if text.len() > MAX_CONTEXT_TEXT {
        return Err(Error::invalid(
            what,
            format!(
                "it is {} bytes long; at most {MAX_CONTEXT_TEXT}",
                text.len()
            ),
        ));
    }
    Ok(text)
}

/// jsonb refuses `\u0000` anywhere; keys and strings are checked at any depth.
fn check_json(value: &Value) -> Result<()> {
    match value {
        Value::String(s) if s.contains('\0') => Err(Error::invalid(
            "context value",
            "it contains a NUL character",
        )),
        Value::Array(items) => items.iter().try_for_each(check_json),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            if k.contains('\0') {
                return Err(Error::invalid("context key", "it contains a NUL character"));
            }
            check_json(v)
        }),
        _ => Ok(()),
    }
}

/// Runs `future` with `ctx` as the audit context in scope: every [`begin`] inside it,
/// however deep in the application's code and across `.await` points, carries the context.
/// The scope is task-local: a task spawned inside does not inherit it (wrap its future in
/// `scope` too), and other tasks never see it.
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::{begin, scope, AuditContext};
/// scope(AuditContext::system("nightly-billing"), async {
///     let mut tx = begin(&pool).await?;
///     sqlx::query("UPDATE invoices SET status = 'due' WHERE due_at < now()").execute(&mut *tx).await?;
///     tx.commit().await?;
///     Ok::<_, pg_audit_runtime::Error>(())
/// })
/// .await?;
/// # Ok(()) }
/// ```
pub async fn scope<F: Future>(ctx: AuditContext, future: F) -> F::Output {
    CURRENT.scope(ctx, future).await
}

/// The audit context in scope, if any.
pub fn current() -> Option<AuditContext> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Something a transaction can be begun on: a pool (`&pool`) or a connection
/// (`&mut *conn` for a pooled connection, `&mut *tx` for a savepoint in an open transaction).
pub trait Begin<'c>: Send {
    /// Begins a transaction whose triggers see `context`, or a plain one when `None`.
    fn begin_with_context(
        self,
        context: Option<AuditContext>,
    ) -> BoxFuture<'c, Result<Transaction<'c, Postgres>>>;
}

impl Begin<'static> for &PgPool {
    fn begin_with_context(
        self,
        context: Option<AuditContext>,
    ) -> BoxFuture<'static, Result<Transaction<'static, Postgres>>> {
        let pool = self.clone();
        Box::pin(async move {
            Ok(match context {
                Some(ctx) => pool.begin_with(ctx.begin_statement()).await?,
                None => pool.begin().await?,
            })
        })
    }
}

impl<'c> Begin<'c> for &'c mut PgConnection {
    fn begin_with_context(
        self,
        context: Option<AuditContext>,
    ) -> BoxFuture<'c, Result<Transaction<'c, Postgres>>> {
        Box::pin(async move {
            match context {
                None => Ok(Connection::begin(self).await?),
                Some(ctx) if !self.is_in_transaction() => {
                    Ok(Connection::begin_with(self, ctx.begin_statement()).await?)
                }
                // Inside an open transaction sqlx opens a savepoint, which cannot be given a
                // custom statement: the context follows in a second statement. Released, the
                // savepoint leaves it on the enclosing transaction; rolled back, it goes too.
                Some(ctx) => {
                    let mut savepoint = Connection::begin(self).await?;
                    ctx.apply(&mut savepoint).await?;
                    Ok(savepoint)
                }
            }
        })
    }
}

/// Begins a transaction whose writes carry the audit context in scope (see [`scope`]): BEGIN
/// and every `set_config(…, true)` go in one round trip. Outside any scope it is a plain
/// transaction, and its writes are recorded as direct database writes. On a connection that
/// is already in a transaction it opens a savepoint and applies the context there (two round
/// trips).
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// let mut tx = pg_audit_runtime::begin(&pool).await?;
/// sqlx::query("INSERT INTO orders (total) VALUES (10)").execute(&mut *tx).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub async fn begin<'c>(on: impl Begin<'c>) -> Result<Transaction<'c, Postgres>> {
    on.begin_with_context(current()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_refused_when_set() {
        assert!(AuditContext::new().with_user("a\0b").is_err());
        assert!(AuditContext::new()
            .with_user("x".repeat(MAX_CONTEXT_TEXT + 1))
            .is_err());
        assert!(AuditContext::new().with_http_method("GET /").is_err());
        assert!(AuditContext::new().with_http_method("").is_err());
        assert!(AuditContext::new()
            .with_request_id_str("0192f0c4-5c7e-7c3a-9d2b")
            .is_err());
        assert!(AuditContext::new().with_extra("k", "v\0").is_err());
        assert!(AuditContext::new()
            .with_extra("k", serde_json::json!({"a": ["\u{0}"]}))
            .is_err());
        assert!(AuditContext::new()
            .with_extra("big", "x".repeat(MAX_EXTRA_CONTEXT))
            .is_err());
    }

    #[test]
    fn settings_are_canonical_text() {
        let ctx = AuditContext::new()
            .with_user("42")
            .unwrap()
            .with_ip("::ffff:10.0.0.1".parse().unwrap())
            .with_http_method("patch")
            .unwrap()
            .with_request_id_str("0192F0C4-5C7E-7C3A-9D2B-6A1F2E3D4C5B")
            .unwrap()
            .with_extra("tenant", "acme")
            .unwrap();
        let [user, ip, api, method, request, context] = ctx.setting_values();
        assert_eq!(
            (user.as_str(), ip.as_str(), api.as_str(), method.as_str()),
            ("42", "::ffff:10.0.0.1", "", "PATCH")
        );
        assert_eq!(request, "0192f0c4-5c7e-7c3a-9d2b-6a1f2e3d4c5b");
        assert_eq!(context, r#"{"tenant":"acme"}"#);
    }

    #[test]
    fn generated_request_ids_are_v7() {
        assert_eq!(AuditContext::new().request_id().get_version_num(), 7);
    }

    #[tokio::test]
    async fn the_scope_follows_awaits_and_stays_in_its_task() {
        let ctx = AuditContext::system("job");
        scope(ctx.clone(), async {
            tokio::task::yield_now().await;
            assert_eq!(current(), Some(ctx.clone()));
            let spawned = tokio::spawn(async { current() }).await.unwrap();
            assert_eq!(spawned, None);
        })
        .await;
        assert_eq!(current(), None);
    }
}
