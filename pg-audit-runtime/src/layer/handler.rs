//! What `#[audited_handler]` expands to calls: building the request's context from its audit
//! record and the handler's options, and handing the options to the layer.

use crate::context::AuditContext;
use crate::layer::request::{HandlerAnnotations, RequestAudit};
use uuid::Uuid;

/// A value that can name the acting user: integers, strings, UUIDs, and `Option`s of them
/// (`None`: anonymous).
///
/// ```
/// use pg_audit_runtime::AuditUser;
/// assert_eq!(42_i64.audit_user_id().as_deref(), Some("42"));
/// assert_eq!(None::<String>.audit_user_id(), None);
/// ```
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

/// Support for the code `#[audited_handler]` generates. Not a stable API.
#[doc(hidden)]
pub mod __private {
    use super::*;

    /// Collects a handler's options, then yields its context.
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
        pub fn context<V: serde::Serialize + ?Sized>(
            mut self,
            key: &'static str,
            value: &V,
        ) -> Self {
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

        /// Hands the options to the layer (through the shared record) and builds the
        /// request's context. Values the context refuses (a user id with a NUL character, an
        /// oversized entry) are left out with a warning: auditing never fails the request.
        pub fn finish(self) -> AuditContext {
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
}

#[cfg(test)]
mod tests {
    use super::__private::HandlerContext;
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
