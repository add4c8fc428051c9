//! The quickstart's own users and sessions: a sign-in page for people (a session cookie)
//! and `POST /login` for API clients (a bearer token), both checked by the viewer's access
//! check, [`ViewerAccess`].
//!
//! - Passwords are kept only as salted PBKDF2-SHA-256 hashes and compared in constant time.
//! - A session is a random id (244 bits from the OS) naming a server-side entry with an
//!   expiry; the cookie carries nothing else. It is `HttpOnly` (no script reads it),
//!   `SameSite=Strict` (no other site's page can make the browser send it, which is what
//!   protects the viewer's GET pages and the sign-in POST from cross-site requests) and
//!   `Path=/`. Served over https, add `Secure` (see [`session_cookie`]).
//! - The sign-in form is a POST; it follows `next` only to a path of this site.

use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use pbkdf2::sha2::Sha256;
use pg_audit::viewer::{Access, Authorize};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The name of the session cookie.
pub(crate) const COOKIE_NAME: &str = "quickstart_session";

/// Where the viewer is mounted: a signed-in person is sent there by default.
pub(crate) const VIEWER: &str = "/audit";

/// PBKDF2 rounds. OWASP's advice for PBKDF2-SHA-256 is 600,000; the demo keeps sign-in
/// quick in debug builds.
const ROUNDS: u32 = 60_000;

/// One account: a name and the salted hash of its password.
struct Account {
    name: String,
    salt: [u8; 16],
    hash: [u8; 32],
}

/// The service's own users.
#[derive(Clone)]
pub(crate) struct Users(Arc<Vec<Account>>);

impl Users {
    /// Users with these names and passwords; only the hashes are kept.
    pub(crate) fn new(accounts: &[(&str, &str)]) -> Users {
        Users(Arc::new(
            accounts
                .iter()
                .map(|(name, password)| {
                    let salt = random_bytes::<16>();
                    Account {
                        name: name.to_string(),
                        salt,
                        hash: hash(password, &salt),
                    }
                })
                .collect(),
        ))
    }

    /// Whether `password` is the password of `name`. An unknown name costs a hash too, so
    /// timing tells nothing about which names exist.
    pub(crate) fn check(&self, name: &str, password: &str) -> bool {
        let account = self.0.iter().find(|account| account.name == name);
        let salt = account.map_or([0; 16], |account| account.salt);
        let presented = hash(password, &salt);
        account.is_some_and(|account| same_bytes(&presented, &account.hash))
    }
}

fn hash(password: &str, salt: &[u8; 16]) -> [u8; 32] {
    pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password.as_bytes(), salt, ROUNDS)
}

/// Compares in time that depends only on the length, never on where the bytes differ.
fn same_bytes(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let difference = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    difference == 0
}

/// `N` bytes from the operating system's random source (through UUID v4, which draws its
/// 122 random bits from it).
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    for chunk in bytes.chunks_mut(16) {
        let random = uuid::Uuid::new_v4();
        chunk.copy_from_slice(&random.as_bytes()[..chunk.len()]);
    }
    bytes
}

/// Signed-in users by random id, each with an expiry: the browser sessions, or the API's
/// bearer tokens.
#[derive(Clone)]
pub(crate) struct Sessions {
    entries: Arc<Mutex<HashMap<String, (String, Instant)>>>,
    lifetime: Duration,
}

impl Sessions {
    /// Sessions that end `lifetime` after they start.
    pub(crate) fn new(lifetime: Duration) -> Sessions {
        Sessions {
            entries: Arc::default(),
            lifetime,
        }
    }

    /// How long a session lasts.
    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Starts a session of `user`; returns its id (two UUID v4s' worth of randomness, hex).
    pub(crate) fn start(&self, user: &str) -> String {
        let id = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        entries.retain(|_, (_, expires)| *expires > now);
        entries.insert(id.clone(), (user.to_string(), now + self.lifetime));
        id
    }

    /// The user of a live session; an unknown or expired id is nobody.
    pub(crate) fn user(&self, id: &str) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(id)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(user, _)| user.clone())
    }
}

/// The `Set-Cookie` value of a new session. Served over https, append `; Secure`.
pub(crate) fn session_cookie(id: &str, lifetime: Duration) -> String {
    format!(
        "{COOKIE_NAME}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        lifetime.as_secs()
    )
}

/// The value of the session cookie the request carries, if any.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

/// The bearer token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The viewer's access check: a person signed in through the sign-in page (session
/// cookie) or an API client with a bearer token from `POST /login` may read. A browser
/// without a live session is sent to the sign-in page; a wrong bearer token is refused.
#[derive(Clone)]
pub(crate) struct ViewerAccess {
    pub(crate) sessions: Sessions,
    pub(crate) tokens: Sessions,
}

impl Authorize for ViewerAccess {
    async fn authorize(&self, parts: &Parts) -> Access {
        if let Some(token) = bearer(&parts.headers) {
            return Access::from(self.tokens.user(token).is_some());
        }
        match session_id(&parts.headers).and_then(|id| self.sessions.user(id)) {
            Some(_) => Access::Allow,
            None => Access::SignIn("/sign-in".into()),
        }
    }
}

/// What the sign-in page needs.
#[derive(Clone)]
pub(crate) struct SignIn {
    pub(crate) users: Users,
    pub(crate) sessions: Sessions,
}

/// The query of `GET /sign-in`.
#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// The fields of the sign-in form.
#[derive(Deserialize)]
pub(crate) struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a path of this site: one leading `/`, no scheme, no `//host`, no backslash.
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local {
        next
    } else {
        VIEWER
    }
}

/// HTML-escapes text for the page.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn page(status: StatusCode, next: &str, username: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|message| format!(r#"<p class="error" role="alert">{}</p>"#, escape(message)))
        .unwrap_or_default();
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · quickstart</title>
<style>
body {{ margin: 0; font: 15px/1.45 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; display: grid; place-items: center; min-height: 100vh; }}
form {{ background: #fff; border: 1px solid #d8dde6; border-radius: 10px; padding: 1.6rem 1.8rem; width: 20rem; display: grid; gap: .8rem; }}
h1 {{ font-size: 1.25rem; margin: 0 0 .2rem; }}
label {{ display: grid; gap: .25rem; font-size: 13px; color: #5d6678; }}
input {{ font: inherit; padding: .45rem .55rem; border: 1px solid #d8dde6; border-radius: 6px; }}
button {{ font: inherit; padding: .5rem; border: 0; border-radius: 6px; background: #2451b7; color: #fff; cursor: pointer; }}
.error {{ margin: 0; padding: .5rem .7rem; background: #fde4e4; color: #9b1c1c; border-radius: 6px; }}
.hint {{ margin: 0; font-size: 12px; color: #5d6678; }}
</style>
</head>
<body>
<form method="post" action="/sign-in" id="sign-in">
  <h1>Sign in to the audit trail</h1>
  {error}
  <label>User name <input name="username" autocomplete="username" value="{username}" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <input type="hidden" name="next" value="{next}">
  <button type="submit">Sign in</button>
  <p class="hint">The quickstart prints its demo account when it starts.</p>
</form>
</body>
</html>
"#,
        next = escape(next),
        username = escape(username),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// `GET /sign-in?next=…`: the form.
pub(crate) async fn form(Query(query): Query<Next>) -> Response {
    let next = local_path(query.next.as_deref().unwrap_or(VIEWER));
    page(StatusCode::OK, next, "", None)
}

/// `POST /sign-in`: a right password starts a session and goes on to `next`; a wrong one
/// shows the form again with an error, and sets no cookie.
pub(crate) async fn submit(
    State(sign_in): State<SignIn>,
    Form(credentials): Form<Credentials>,
) -> Response {
    let next = local_path(&credentials.next);
    // Hashing takes a while: off the async workers.
    let users = sign_in.users.clone();
    let (username, password) = (credentials.username.clone(), credentials.password);
    let valid = tokio::task::spawn_blocking(move || users.check(&username, &password))
        .await
        .unwrap_or(false);
    if !valid {
        return page(
            StatusCode::UNAUTHORIZED,
            next,
            &credentials.username,
            Some("Wrong user name or password."),
        );
    }
    let id = sign_in.sessions.start(&credentials.username);
    let cookie = session_cookie(&id, sign_in.sessions.lifetime());
    match HeaderValue::from_str(&cookie) {
        Ok(cookie) => ([(SET_COOKIE, cookie)], Redirect::to(next)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_password_of_a_known_user_passes() {
        let users = Users::new(&[("alice", "wonderland")]);
        assert!(users.check("alice", "wonderland"));
        assert!(!users.check("alice", "wonderland "));
        assert!(!users.check("alice", ""));
        assert!(!users.check("bob", "wonderland"));
    }

    #[test]
    fn next_is_followed_only_to_a_path_of_this_site() {
        assert_eq!(
            local_path("/audit/requests?status=5xx"),
            "/audit/requests?status=5xx"
        );
        for foreign in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "audit",
            "",
        ] {
            assert_eq!(local_path(foreign), VIEWER, "{foreign}");
        }
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; quickstart_session=abc; b=2"),
        );
        assert_eq!(session_id(&headers), Some("abc"));
        assert_eq!(session_id(&HeaderMap::new()), None);
    }

    #[test]
    fn a_session_ends_at_its_expiry_and_ids_are_not_reused() {
        let sessions = Sessions::new(Duration::from_millis(50));
        let id = sessions.start("alice");
        assert_eq!(id.len(), 64);
        assert_ne!(id, sessions.start("alice"));
        assert_eq!(sessions.user(&id).as_deref(), Some("alice"));
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(sessions.user(&id), None);
        assert_eq!(sessions.user("forged"), None);
    }
}
