//! A read-only web view of the audit trail, to nest in the application's own router.
//!
//! Pages: **Changes** (the data audit log, filtered and paged by keyset, under a chart of the
//! window's changes per hour or day and operation), **Record history** (every change of one
//! row as a field-level diff, under its timeline), **Requests** (the API log, under a chart of
//! requests per status class) and a **Request** page (its masked bodies and every data change
//! it made). Server-rendered from templates checked at compile time, the charts as inline SVG
//! counted in SQL; every value from the database is escaped; no script.
//!
//! There is no open viewer: [`router`] takes an [`Authorize`] check that runs before
//! anything else; a refused request gets `403 Forbidden` (or, for a browser that is not
//! signed in, a redirect to the application's sign-in page, [`Access::SignIn`]) without a
//! query being run.
//!
//! ```no_run
//! use axum::Router;
//! use http::request::Parts;
//! use pg_audit_runtime::viewer::{self, Access, ViewerSource};
//!
//! # async fn demo(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
//! let source = ViewerSource::new(pool, "audit")?;
//! let only_admins = |parts: &Parts| {
//!     let token = parts.headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
//!     async move { Access::from(token.as_deref() == Some("Bearer admin-token")) }
//! };
//! let app: Router = Router::new().nest("/audit", viewer::router(source, only_admins));
//! # let _ = app; Ok(()) }
//! ```

mod chart;
mod display;
mod pages;
mod params;
mod restore;

use crate::error::Result;
use crate::names::check_identifier;
use crate::settings::Settings;
use axum::extract::{NestedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::header::{HeaderName, HeaderValue};
use http::request::Parts;
use http::StatusCode;
use sqlx::PgPool;
use std::future::Future;
use std::sync::Arc;

/// Where the viewer reads from: a pool and the audit schema.
#[derive(Debug, Clone)]
pub struct ViewerSource {
    pool: PgPool,
    audit_schema: Arc<str>,
}

/// The viewer reads what a running [`Audit`](crate::Audit) writes, through the audit's own
/// reader pool (so an open page never takes the application's connections) and its audit
/// schema (already validated when the `Audit` started).
impl From<&crate::Audit> for ViewerSource {
    fn from(audit: &crate::Audit) -> Self {
        ViewerSource {
            pool: audit.reader_pool().clone(),
            audit_schema: audit.settings().schema.audit_schema.as_str().into(),
        }
    }
}

impl ViewerSource {
    /// Reads the audit tables in `audit_schema` through `pool`.
    ///
    /// ```no_run
    /// # fn demo(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
    /// let source = pg_audit_runtime::viewer::ViewerSource::new(pool, "audit")?;
    /// # Ok(()) }
    /// ```
    pub fn new(pool: PgPool, audit_schema: impl Into<String>) -> Result<Self> {
        let audit_schema = audit_schema.into();
        check_identifier(&audit_schema, "audit schema")?;
        Ok(ViewerSource {
            pool,
            audit_schema: audit_schema.into(),
        })
    }

    /// Reads the audit tables of these settings through `pool`.
    pub fn from_settings(pool: PgPool, settings: &Settings) -> Result<Self> {
        ViewerSource::new(pool, settings.schema.audit_schema.clone())
    }

    /// The pool the pages read through.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The schema holding the audit tables.
    pub fn audit_schema(&self) -> &str {
        &self.audit_schema
    }
}

/// Whether a request may see the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Serve the page.
    Allow,
    /// Answer `403 Forbidden` without reading anything.
    Deny,
    /// Send a browser that is not signed in to the application's sign-in page: `303 See
    /// Other` to this location (a path such as `/sign-in`), with `next=` and the page it
    /// asked for (its full path and query, nest prefix included) added to the query, so the
    /// sign-in page can send it back. Nothing is read. The sign-in page must only follow a
    /// `next` that is a path of its own site (starting with one `/`).
    ///
    /// ```
    /// use pg_audit_runtime::viewer::Access;
    /// let access = Access::SignIn("/sign-in".into());
    /// assert_ne!(access, Access::Allow);
    /// ```
    SignIn(String),
}

impl From<bool> for Access {
    /// `true` allows, `false` denies.
    fn from(allowed: bool) -> Self {
        if allowed {
            Access::Allow
        } else {
            Access::Deny
        }
    }
}

/// The check every viewer request passes before anything is read.
///
/// Implemented for any `Fn(&Parts) -> impl Future<Output = impl Into<Access>>` (a `bool`
/// works: `true` allows); take from the parts what the check needs before the `async` block.
/// Implement it on a type of your own when the check needs to borrow the parts across an
/// `.await`.
///
/// ```
/// use http::request::Parts;
/// use pg_audit_runtime::viewer::{Access, Authorize};
///
/// #[derive(Clone)]
/// struct AdminsOnly { token: String }
///
/// impl Authorize for AdminsOnly {
///     async fn authorize(&self, parts: &Parts) -> Access {
///         let presented = parts.headers.get("x-admin-token").and_then(|v| v.to_str().ok());
///         Access::from(presented == Some(self.token.as_str()))
///     }
/// }
/// ```
pub trait Authorize: Clone + Send + Sync + 'static {
    /// Decides from the request's method, URI, headers and extensions.
    fn authorize(&self, parts: &Parts) -> impl Future<Output = Access> + Send;
}

impl<F, Fut, Out> Authorize for F
where
    F: Fn(&Parts) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Out> + Send,
    Out: Into<Access>,
{
    fn authorize(&self, parts: &Parts) -> impl Future<Output = Access> + Send {
        let decision = self(parts);
        async move { decision.await.into() }
    }
}

/// The viewer's routes, relative so that the router can be nested anywhere
/// (`Router::new().nest("/audit", viewer::router(…))`); links follow the nest prefix.
///
/// | route | page |
/// |---|---|
/// | `/` | Changes: the data audit log, newest first, with filters |
/// | `/record?schema=…&table=…&id=…` | the history of one record |
/// | `/requests` | the API log, newest first, with filters |
/// | `/requests/{request_id}` | one request and every data change it made |
///
/// Every route is GET-only and runs `authorize` first; a denied request is answered
/// `403 Forbidden` (or, for [`Access::SignIn`], redirected to the sign-in page) before any
/// query runs.
pub fn router<A: Authorize>(source: impl Into<ViewerSource>, authorize: A) -> Router {
    let source = source.into();
    Router::new()
        .route("/", get(pages::changes))
        .route("/record", get(pages::record))
        .route("/requests", get(pages::requests))
        .route("/requests/{request_id}", get(pages::request))
        .with_state(source)
        .layer(axum::middleware::from_fn_with_state(authorize, guard::<A>))
}

/// Runs the access check, then adds the headers every viewer response carries: nothing is
/// cached or framed, and the page may run no script at all, whatever the data holds.
async fn guard<A: Authorize>(State(authorize): State<A>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let mut response = match authorize.authorize(&parts).await {
        Access::Allow => next.run(Request::from_parts(parts, body)).await,
        Access::Deny => forbidden(),
        Access::SignIn(location) => sign_in_redirect(&parts, &location),
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("cache-control", "no-store"),
        ("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "403 Forbidden: you may not see the audit trail\n",
    )
        .into_response()
}

/// `303 See Other` to `location` with `next=` the page asked for; a location that cannot be
/// a header value is the application's mistake, logged, and answered as a refusal.
fn sign_in_redirect(parts: &Parts, location: &str) -> Response {
    // A router nested under a prefix sees only the rest of the path; the browser asked for
    // the prefix and the rest.
    let prefix = parts
        .extensions
        .get::<NestedPath>()
        .map(|nested| nested.as_str().trim_end_matches('/'))
        .unwrap_or_default();
    let rest = parts
        .uri
        .path_and_query()
        .map_or("/", |path_and_query| path_and_query.as_str());
    let asked = match rest {
        "/" if !prefix.is_empty() => prefix.to_string(),
        rest if rest.starts_with("/?") && !prefix.is_empty() => format!("{prefix}{}", &rest[1..]),
        rest => format!("{prefix}{rest}"),
    };
    let next = serde_urlencoded::to_string([("next", asked.as_str())]).unwrap_or_default();
    let separator = if location.contains('?') { '&' } else { '?' };
    match HeaderValue::from_str(&format!("{location}{separator}{next}")) {
        Ok(target) => (
            StatusCode::SEE_OTHER,
            [(http::header::LOCATION, target)],
            "303 See Other: sign in to see the audit trail\n",
        )
            .into_response(),
        Err(_) => {
            tracing::error!(
                location,
                "pg-audit viewer: the sign-in location is not a valid header value"
            );
            forbidden()
        }
    }
}
