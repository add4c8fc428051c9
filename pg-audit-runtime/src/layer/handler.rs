//! What `#[audited_handler]` expands to calls: building the request's context from its audit
//! record and the handler's options, and handing the options to the layer.

use crate::context::AuditContext;
use crate::layer::request::{HandlerAnnotations, RequestAudit};
use std::future::Future;
use uuid::Uuid;

/// A value that can name the acting user: integers, strings, UUIDs, and `Option`s, references
/// and `Box`es of them (`None`: anonymous).
///
/// ```
/// use pg_audit_runtime::AuditUser;
/// assert_eq!(42_i64.audit_user_id().as_deref(), Some("42"));
/// assert_eq!(None::<String>.audit_user_id(), None);
/// ```
///
/// An application's own id type implements it by saying how it is recorded:
///
/// ```
/// use pg_audit_runtime::AuditUser;
/// struct AccountId(u64);
/// impl AuditUser for AccountId {
///     fn audit_user_id(&self) -> Option<String> {
///         Some(format!("acct-{}", self.0))
///     }
/// }
/// assert_eq!(AccountId(7).audit_user_id().as_deref(), Some("acct-7"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot name the acting user of `#[audited_handler(user = ...)]`",
    label = "`{Self}` is not a user id",
    note = "`user = ...` takes an integer, a `String` or `&str`, a `Uuid`, or an `Option`, `&` or `Box` of one of those (`None` records no user)",
    note = "for an id type of your own, implement `pg_audit::AuditUser` for it; or give `user` a field or method call that yields one of those types (`user = auth.id`)"
)]
pub trait AuditUser {
    /// The user id as recorded in `updated_by` / `user_id`.
    fn audit_user_id(&self) -> Option<String>;
}

macro_rules! display_user {
    ($($t:ty),*) => {$(
        impl AuditUser for $t {
            fn audit_user_id(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

display_user!(str, String, Uuid, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl<T: AuditUser + ?Sized> AuditUser for &T {
    fn audit_user_id(&self) -> Option<String> {
        (**self).audit_user_id()
    }
}

impl<T: AuditUser> AuditUser for Option<T> {
    fn audit_user_id(&self) -> Option<String> {
        self.as_ref().and_then(AuditUser::audit_user_id)
    }
}

impl<T: AuditUser + ?Sized> AuditUser for Box<T> {
    fn audit_user_id(&self) -> Option<String> {
        (**self).audit_user_id()
    }
}

/// Collects a handler's options, then runs its body with the request's context. What
/// `#[audited_handler]` expands to calls, through `__private`.
pub struct HandlerContext {
    record: RequestAudit,
    annotations: HandlerAnnotations,
}

impl HandlerContext {
    /// Starts from the request's audit record.
    pub fn new(record: &RequestAudit) -> Self {
        HandlerContext {
            record: record.clone(),
            annotations: HandlerAnnotations::default(),
        }
    }

    /// `user = …`
    pub fn user<U: AuditUser + ?Sized>(mut self, user: &U) -> Self {
        self.annotations.user_id = user.audit_user_id();
        self
    }

    /// `name = "…"`
    pub fn name(mut self, name: &'static str) -> Self {
        self.annotations.api_name = Some(name.to_string());
        self
    }

    /// One `context(key = …)` entry. A value that cannot be serialized is recorded as
    /// its error message rather than failing the request.
    pub fn context<V: serde::Serialize + ?Sized>(mut self, key: &'static str, value: &V) -> Self {
        let value = serde_json::to_value(value)
            .unwrap_or_else(|e| serde_json::Value::String(format!("unserializable: {e}")));
        self.annotations.context.insert(key.to_string(), value);
        self
    }

    /// `skip_request_body`
    pub fn skip_request_body(mut self) -> Self {
        self.annotations.skip_request_body = true;
        self
    }

    /// `skip_response_body`
    pub fn skip_response_body(mut self) -> Self {
        self.annotations.skip_response_body = true;
        self
    }

    /// `log_get`
    pub fn log_get(mut self) -> Self {
        self.annotations.log_get = true;
        self
    }

    /// Runs the handler's body with the request's context in scope, so every
    /// `pg_audit::begin` in it carries the context.
    pub fn scope<F: Future>(self, body: F) -> impl Future<Output = F::Output> {
        crate::context::scope(self.finish(), body)
    }

    /// Hands the options to the layer (through the shared record) and builds the
    /// request's context. Values the context refuses (a user id with a NUL character, an
    /// oversized entry) are left out with a warning: auditing never fails the request.
    fn finish(self) -> AuditContext {
        let HandlerContext {
            record,
            annotations,
        } = self;
        let mut ctx = AuditContext::new().with_request_id(record.request_id());
        if let Some(ip) = record.client_ip() {
            ctx = ctx.with_ip(ip);
        }
        ctx = keep(
            ctx.clone().with_http_method(record.method().as_str()),
            ctx,
            "HTTP method",
        );
        let api_name = annotations
            .api_name
            .clone()
            .unwrap_or_else(|| record.path().to_string());
        ctx = keep(ctx.clone().with_api_name(api_name), ctx, "api name");
        if let Some(user) = &annotations.user_id {
            ctx = keep(ctx.clone().with_user(user.clone()), ctx, "user id");
        }
        for (key, value) in &annotations.context {
            ctx = keep(ctx.clone().with_extra(key, value), ctx, "context entry");
        }
        record.annotate(|a| *a = annotations);
        ctx
    }
}

fn keep(
    result: crate::error::Result<AuditContext>,
    previous: AuditContext,
    what: &str,
) -> AuditContext {
    result.unwrap_or_else(|error| {
        tracing::warn!(%error, "pg-audit left the {what} out of the request's audit context");
        previous
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_comes_from_the_record_and_the_options() {
        let record = RequestAudit::new(
            Uuid::now_v7(),
            Some("10.0.0.1".parse().unwrap()),
            http::Method::POST,
            "/orders/{id}".into(),
        );
        let ctx = HandlerContext::new(&record)
            .user(&Some(7_u32))
            .context("tenant", "acme")
            .skip_request_body()
            .finish();
        assert_eq!(ctx.user_id(), Some("7"));
        assert_eq!(ctx.api_name(), Some("/orders/{id}"));
        assert_eq!(ctx.http_method(), Some("POST"));
        assert_eq!(ctx.request_id(), record.request_id());
        assert_eq!(ctx.extra()["tenant"], serde_json::json!("acme"));
        let annotations = record.annotations();
        assert_eq!(annotations.user_id.as_deref(), Some("7"));
        assert!(annotations.skip_request_body && !annotations.log_get);
    }

    #[test]
    fn a_user_id_the_database_cannot_hold_is_left_out_not_fatal() {
        let record = RequestAudit::new(Uuid::now_v7(), None, http::Method::GET, "/x".into());
        let ctx = HandlerContext::new(&record)
            .user("bad\0id")
            .name("x.get")
            .finish();
        assert_eq!(ctx.user_id(), None);
        assert_eq!(ctx.api_name(), Some("x.get"));
    }
}
