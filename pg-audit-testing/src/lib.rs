//! What pg-audit's own tests, examples and benchmarks share, in one place: a fresh
//! PostgreSQL database per test ([`fresh_db!`], [`TestDb`]), the audit tables and rows written
//! into them with known values ([`create_audit_tables`], [`Change`], [`Request`],
//! [`FiveChanges`]), a router served on a real socket ([`serve`]), one HTTP client for
//! pages ([`get`], [`send`], [`Reply`]), a headless Chromium driven over the DevTools
//! protocol ([`Browser`]), a TCP proxy to PostgreSQL a test can cut ([`Proxy`]), and the
//! `tracing` events a test wants to see ([`CapturedEvents`]).
//!
//! This crate is a dev-dependency only (`publish = false`); no library crate depends on it.
//!
//! ```no_run
//! # async fn demo() {
//! use pg_audit_testing::{fresh_db, public_rules};
//! let db = fresh_db!().await; // named after this test, dropped when `db` is
//! db.exec("CREATE TABLE orders (id int PRIMARY KEY)").await;
//! let rules = public_rules();
//! # let _ = rules;
//! # }
//! ```

#![warn(missing_docs, unreachable_pub)]

pub mod attacks;
mod browser;
mod db;
mod dice;
mod events;
mod fixture;
mod http;
pub mod oracle;
mod proxy;

pub use browser::{click_and_wait, screenshot, text_of, type_into, url_of, Browser, CHROMIUM};
/// The DevTools-protocol driver the [`Browser`] wraps, for what its helpers do not cover.
pub use chromiumoxide;
pub use db::{database_url, TestDb};
pub use dice::{seed_from_env, Dice};
pub use events::CapturedEvents;
pub use fixture::{
    create_audit_tables, epoch, public_rules, write_change, write_request, Change, FiveChanges,
    Request, SCHEMA,
};
pub use http::{get, post_chunked, post_form, send, serve, unescape, Reply};
pub use proxy::{eventually, Proxy};

/// A fresh, empty database for the test (or example) that calls it, named after its module
/// path and function as `#[sqlx::test]` does; the expression is a future of a [`TestDb`].
///
/// ```no_run
/// # async fn demo() {
/// let db = pg_audit_testing::fresh_db!().await;
/// db.exec("CREATE TABLE t (id int)").await;
/// # }
/// ```
#[macro_export]
macro_rules! fresh_db {
    () => {{
        fn here() {}
        $crate::TestDb::new($crate::__function_path(here))
    }};
    (encoding = $encoding:expr) => {{
        fn here() {}
        $crate::TestDb::with_encoding($crate::__function_path(here), $encoding)
    }};
}

/// The path of the function holding `here` (used by [`fresh_db!`]; not for direct use).
#[doc(hidden)]
pub fn __function_path<F: Fn()>(_here: F) -> &'static str {
    let path = std::any::type_name::<F>();
    let path = path.strip_suffix("::here").unwrap_or(path);
    // An async body (such as #[tokio::test]'s) adds a closure segment to the path.
    path.trim_end_matches("::{{closure}}")
}
