//! Procedural macros of pg-audit. They only generate code: the behaviour lives in
//! `pg-audit-runtime`, which the generated code calls through the `pg_audit` facade.
//!
//! Each macro is split by phase, as in thiserror: parsing into plain data (`ast`/`attr`),
//! validation with errors spanned at the token the user wrote (`valid`), and code generation
//! (`expand`).
#![warn(unreachable_pub)]

mod handler;
mod tables;

use proc_macro::TokenStream;

/// Declares which tables are audited and how, as a `pg_audit::Tables` constant expression.
///
/// ```text
/// static TABLES: pg_audit::Tables = pg_audit::audit_tables! {
///     schemas: [public, billing],
///     exclude: [sessions, "job_queue", billing.raw_events],
///     mask: { accounts: [password_hash, api_token] },
///     ignore: { accounts: [last_seen_at] },
/// };
/// ```
///
/// Every key is optional; `schemas` defaults to `[public]`. Names are identifiers or string
/// literals (for names that are not Rust identifiers); `schema.table` names a table of one
/// schema, a bare name that table in every audited schema. Mistakes are compile errors at
/// the offending token: an unknown or repeated key, a table listed twice, a table both
/// excluded and masked or ignored, an empty or over-63-byte name, a malformed `schema.table`,
/// a column listed twice.
#[proc_macro]
pub fn audit_tables(input: TokenStream) -> TokenStream {
    tables::expand(input.into())
        .unwrap_or_else(|error| {
            // Several errors are several `compile_error!`s, statements of a block whose value
            // is a placeholder `Tables`: the `static` the macro stands in stays well-typed,
            // so the errors come alone.
            let errors = error.into_iter().map(|e| e.into_compile_error());
            quote::quote!({ #(#errors;)* ::pg_audit::Tables::PUBLIC })
        })
        .into()
}

/// Makes an async axum handler attribute its database writes to the request.
///
/// The generated handler takes the request's audit record (from `pg_audit`'s `AuditLayer`,
/// or built from the request when no layer is installed) as an extra leading extractor,
/// builds the request's `AuditContext` (request id, client IP, method, route) and runs the
/// body inside `pg_audit::scope`, so every `pg_audit::begin` in the handler — however deep
/// in the application's code — carries the context. Signature, generics, attributes,
/// extractor order and return type are kept. `#[axum::debug_handler]` can be stacked below
/// it (write `#[audited_handler]` first, so `debug_handler` checks the handler as axum calls
/// it, audit record included).
///
/// Options:
/// - `user = <expr>`: the acting user, an expression over the handler's arguments (an
///   integer, a `String` or `&str`, a `Uuid`, or an `Option`, `&` or `Box` of those; or a type
///   of the application's implementing `pg_audit::AuditUser`), e.g. `user = auth.user_id`.
/// - `name = "orders.create"`: the api name recorded (default: the matched route path).
/// - `context(tenant = <expr>, …)`: extra context entries, any `serde::Serialize` value.
/// - `skip_request_body`, `skip_response_body`: do not log the bodies of this handler.
/// - `log_get`: log this handler's GET requests even when GET requests are not logged.
///
/// A mistake in the options or the function is a compile error at the token written, and the
/// function is then kept as written, so its routes and callers report nothing more; a `user`
/// or `context` value of the wrong type is reported at that value.
///
/// ```text
/// #[pg_audit::audited_handler(user = auth.user_id, name = "orders.create", context(tenant = auth.tenant))]
/// async fn create_order(auth: AuthUser, State(app): State<App>, Json(order): Json<NewOrder>) -> Result<Json<Order>, AppError> {
///     let mut tx = pg_audit::begin(&app.pool).await?;
///     // … the app's own INSERT: its audit row carries user, IP, route and request id.
///     tx.commit().await?;
///     Ok(Json(order))
/// }
/// ```
#[proc_macro_attribute]
pub fn audited_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    handler::expand(args.into(), item.clone())
        .unwrap_or_else(|error| {
            // The function as written stays beside the error (as with tracing's `#[instrument]`
            // and axum's `#[debug_handler]`): the IDE keeps seeing it, and its callers and
            // routes raise no follow-on "cannot find function" errors.
            let mut out = error.into_compile_error();
            out.extend(item);
            out
        })
        .into()
}
