//! A small orders service audited by pg-audit: every write to `quickstart.orders` is
//! recorded by triggers, every API request by the `AuditLayer`, linked by request id. The
//! audit trail viewer is mounted at `/audit`, behind the service's own sign-in page.
//!
//! ```text
//! cargo run --example quickstart                   # serves on 127.0.0.1:3000
//! cargo run --example quickstart -- --bind 0.0.0.0:8080
//! cargo run --example quickstart -- --demo         # scripted requests, prints the logs, exits
//! ```
//!
//! Open `http://127.0.0.1:3000/audit` in a browser and sign in as `alice`, password
//! `wonderland` (the service prints both when it starts); API clients use the bearer
//! token of `POST /login`.
//!
//! `DATABASE_URL` defaults to `postgres://postgres@127.0.0.1:5432/postgres`. The service uses
//! its own schemas (`quickstart` for the data, `quickstart_audit` for the audit trail), so
//! it can be run again and again on the same database.

mod sign_in;
#[cfg(test)]
mod tests;

use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use pg_audit::query::{api_log, audit_log, ApiLogFilter, AuditLogFilter};
use pg_audit::{Audit, SchemaSettings, Settings};
use serde::Deserialize;
use serde_json::{json, Value};
use sign_in::{Sessions, SignIn, Users, ViewerAccess};
use sqlx::PgPool;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

/// Every table of the `quickstart` schema is audited.
static TABLES: pg_audit::Tables = pg_audit::audit_tables! { schemas: [quickstart] };

/// The demo's only account.
const USER: &str = "alice";
const PASSWORD: &str = "wonderland";

/// How long a browser session and an API token last.
const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);

#[derive(Clone)]
struct App {
    pool: PgPool,
    users: Users,
    /// The API's bearer tokens.
    tokens: Sessions,
}

impl FromRef<App> for PgPool {
    fn from_ref(app: &App) -> PgPool {
        app.pool.clone()
    }
}

/// The user behind the request's bearer token; `401` without a valid one.
struct Auth {
    user_id: String,
}

impl FromRequestParts<App> for Auth {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, StatusCode> {
        let token = sign_in::bearer(&parts.headers).ok_or(StatusCode::UNAUTHORIZED)?;
        let user_id = app.tokens.user(token).ok_or(StatusCode::UNAUTHORIZED)?;
        Ok(Auth { user_id })
    }
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// `POST /login {"username", "password"}` → `{"token"}`. The password (and the token in
/// the response) are masked in the API log.
#[pg_audit::audited_handler(user = login.username.clone(), name = "login")]
async fn login(
    State(app): State<App>,
    Json(login): Json<Login>,
) -> Result<Json<Value>, StatusCode> {
    let users = app.users.clone();
    let (username, password) = (login.username.clone(), login.password.clone());
    let valid = tokio::task::spawn_blocking(move || users.check(&username, &password))
        .await
        .map_err(internal)?;
    if !valid {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let token = app.tokens.start(&login.username);
    Ok(Json(json!({"token": token, "user": login.username})))
}

#[derive(Deserialize)]
struct NewOrder {
    item: String,
    quantity: i32,
}

#[derive(Deserialize)]
struct OrderChange {
    quantity: i32,
}

fn internal(error: impl std::fmt::Display) -> StatusCode {
    eprintln!("quickstart: {error}");
    StatusCode::INTERNAL_SERVER_ERROR
}

/// `POST /orders {"item", "quantity"}` → the new order.
#[pg_audit::audited_handler(user = auth.user_id)]
async fn create_order(
    auth: Auth,
    State(pool): State<PgPool>,
    Json(order): Json<NewOrder>,
) -> Result<(StatusCode, Json<Value>), StatusCode> {
    let mut tx = pg_audit::begin(&pool).await.map_err(internal)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO quickstart.orders (item, quantity, customer) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&order.item)
    .bind(order.quantity)
    .bind(&auth.user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "item": order.item, "quantity": order.quantity})),
    ))
}

/// `GET /orders/{id}` (GET requests are not in the API log by default).
async fn get_order(
    _auth: Auth,
    State(pool): State<PgPool>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, StatusCode> {
    let row: Option<(String, i32)> =
        sqlx::query_as("SELECT item, quantity FROM quickstart.orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&pool)
            .await
            .map_err(internal)?;
    let (item, quantity) = row.ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(json!({"id": id, "item": item, "quantity": quantity})))
}

/// `PUT /orders/{id} {"quantity"}`.
#[pg_audit::audited_handler(user = auth.user_id)]
async fn update_order(
    auth: Auth,
    State(pool): State<PgPool>,
    Path(id): Path<i64>,
    Json(change): Json<OrderChange>,
) -> Result<Json<Value>, StatusCode> {
    let _ = &auth;
    let mut tx = pg_audit::begin(&pool).await.map_err(internal)?;
    let updated = sqlx::query("UPDATE quickstart.orders SET quantity = $1 WHERE id = $2")
        .bind(change.quantity)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    if updated.rows_affected() == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(Json(json!({"id": id, "quantity": change.quantity})))
}

/// `DELETE /orders/{id}`.
#[pg_audit::audited_handler(user = auth.user_id)]
async fn delete_order(
    auth: Auth,
    State(pool): State<PgPool>,
    Path(id): Path<i64>,
) -> Result<StatusCode, StatusCode> {
    let _ = &auth;
    let mut tx = pg_audit::begin(&pool).await.map_err(internal)?;
    let deleted = sqlx::query("DELETE FROM quickstart.orders WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(if deleted.rows_affected() == 0 {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::NO_CONTENT
    })
}

/// The service: its API, the sign-in page, and the viewer at `/audit` for a person signed
/// in (session cookie) or an API client (bearer token). Sessions and tokens last
/// `session_lifetime`.
fn app(pool: PgPool, audit: &Audit, session_lifetime: Duration) -> Result<Router, pg_audit::Error> {
    let users = Users::new(&[(USER, PASSWORD)]);
    let sessions = Sessions::new(session_lifetime);
    let tokens = Sessions::new(session_lifetime);
    let state = App {
        pool: pool.clone(),
        users: users.clone(),
        tokens: tokens.clone(),
    };
    let viewer = pg_audit::viewer::router(
        pg_audit::viewer::ViewerSource::from(audit),
        ViewerAccess {
            sessions: sessions.clone(),
            tokens,
        },
    );
    let sign_in = Router::new()
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .with_state(SignIn { users, sessions });
    Ok(Router::new()
        .route("/login", post(login))
        .route("/orders", post(create_order))
        .route(
            "/orders/{id}",
            get(get_order).put(update_order).delete(delete_order),
        )
        .with_state(state)
        .merge(sign_in)
        .nest(sign_in::VIEWER, viewer)
        .layer(audit.layer()))
}

/// Creates the service's table and starts pg-audit on it (migrations, triggers, writer).
async fn start(pool: &PgPool) -> Result<Audit, Box<dyn std::error::Error>> {
    sqlx::raw_sql(
        "CREATE SCHEMA IF NOT EXISTS quickstart;
         CREATE TABLE IF NOT EXISTS quickstart.orders (
             id bigserial PRIMARY KEY,
             item text NOT NULL,
             quantity integer NOT NULL,
             customer text NOT NULL,
             created_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .execute(pool)
    .await?;
    let settings = Settings {
        schema: SchemaSettings {
            audit_schema: "quickstart_audit".into(),
            ..SchemaSettings::default()
        },
        ..Settings::default()
    };
    Ok(Audit::builder(pool.clone())
        .tables(&TABLES)
        .settings(settings)
        .start()
        .await?)
}

/// What to open, and with which account.
fn viewer_help(base: &str) -> String {
    format!(
        "viewer: open {base}{viewer} in a browser and sign in as `{USER}`, password `{PASSWORD}`; \
         API clients send `Authorization: Bearer <token>` with the token of \
         POST {base}/login {{\"username\": \"{USER}\", \"password\": \"{PASSWORD}\"}}",
        viewer = sign_in::VIEWER
    )
}

struct Options {
    bind: String,
    demo: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        bind: "127.0.0.1:3000".into(),
        demo: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => options.demo = true,
            "--bind" => options.bind = args.next().ok_or("--bind needs an address")?,
            "-h" | "--help" => {
                return Err("usage: quickstart [--bind ADDR] [--demo]".into());
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: quickstart [--bind ADDR] [--demo]"
                ))
            }
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    // The writer reports dropped, set-aside and retried rows through `tracing`: show them.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .init();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let pool = pg_audit::connect(&url).await?;
    let audit = start(&pool).await?;
    let app = app(pool.clone(), &audit, SESSION_LIFETIME)?;
    let bind = if options.demo {
        "127.0.0.1:0"
    } else {
        options.bind.as_str()
    };
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = pg_audit::shutdown_signal();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            // SIGTERM (systemd, Kubernetes, Docker) or SIGINT (Ctrl-C) — or the demo's end.
            tokio::select! {
                _ = stopped => {}
                _ = signal => {}
            }
        })
        .await
    });
    if options.demo {
        let request_ids = demo(&format!("http://{addr}")).await?;
        let _ = stop.send(());
        server.await??;
        let stats = audit.shutdown().await;
        print!("{}", logs(&pool, audit.settings(), &request_ids).await?);
        println!("\nwriter: {stats:?}");
        println!(
            "\nTo browse these logs, run `cargo run --example quickstart` (it serves on \
             http://127.0.0.1:3000).\n{}",
            viewer_help("http://127.0.0.1:3000")
        );
    } else {
        println!("quickstart: serving on http://{addr}; SIGTERM or Ctrl-C stops it and writes every queued API-log row");
        println!("{}", viewer_help(&format!("http://{addr}")));
        server.await??;
        let stats = audit.shutdown().await;
        println!("quickstart: stopped; API-log writer: {stats:?}");
        drop(stop);
    }
    Ok(())
}

/// Sends the scripted requests; returns the request ids, in order, with a label.
async fn demo(base: &str) -> Result<Vec<(String, uuid::Uuid)>, Box<dyn std::error::Error>> {
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    let mut send = async |label: &str,
                          request: reqwest::RequestBuilder|
           -> Result<Value, Box<dyn std::error::Error>> {
        let response = request.send().await?;
        let status = response.status();
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| uuid::Uuid::parse_str(v).ok())
            .ok_or("no x-request-id on the response")?;
        let body = response.bytes().await?;
        println!("{label:<36} → {:<18} request {id}", status.to_string());
        ids.push((label.to_string(), id));
        Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
    };
    let json_post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    println!("== requests ==");
    send(
        "POST /login (wrong password)",
        json_post("/login", json!({"username": USER, "password": "guess"})),
    )
    .await?;
    let session = send(
        "POST /login",
        json_post("/login", json!({"username": USER, "password": PASSWORD})),
    )
    .await?;
    let token = session["token"]
        .as_str()
        .ok_or("login returned no token")?
        .to_string();
    let auth = format!("Bearer {token}");
    send(
        "POST /orders (no token)",
        json_post("/orders", json!({"item": "book", "quantity": 1})),
    )
    .await?;
    let order = send(
        "POST /orders",
        json_post("/orders", json!({"item": "book", "quantity": 2})).header("authorization", &auth),
    )
    .await?;
    let id = order["id"].as_i64().ok_or("no order id")?;
    send(
        "PUT /orders/{id}",
        client
            .put(format!("{base}/orders/{id}"))
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .body(json!({"quantity": 3}).to_string()),
    )
    .await?;
    send(
        "GET /orders/{id} (not logged: GET)",
        client
            .get(format!("{base}/orders/{id}"))
            .header("authorization", &auth),
    )
    .await?;
    send(
        "DELETE /orders/{id}",
        client
            .delete(format!("{base}/orders/{id}"))
            .header("authorization", &auth),
    )
    .await?;
    let viewer = client
        .get(format!("{base}/audit/requests"))
        .header("authorization", &auth)
        .send()
        .await?;
    println!(
        "{:<36} → {}",
        "GET /audit/requests (viewer)",
        viewer.status()
    );
    Ok(ids)
}

fn short(value: &Option<pg_audit::query::JsonText>) -> String {
    let text = value.as_ref().map_or("NULL", |json| json.as_str());
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text.to_string()
    }
}

/// The rows both logs hold for these requests, as text, each under its full request id
/// (which `pg-audit log --request` and the viewer's request filter take as printed).
async fn logs(
    pool: &PgPool,
    settings: &Settings,
    request_ids: &[(String, uuid::Uuid)],
) -> Result<String, Box<dyn std::error::Error>> {
    let schema = settings.schema.audit_schema.as_str();
    let mut out = String::new();
    writeln!(out, "\n== API log ({schema}.pg_api_audit_log) ==")?;
    writeln!(
        out,
        "{:<36} {:<7} {:<14} {:>4} {:<6} {:<60} {:<13}",
        "request id", "method", "api", "code", "user", "request payload", "response body"
    )?;
    for (_, id) in request_ids {
        let filter = ApiLogFilter {
            request_id: Some(*id),
            ..ApiLogFilter::default()
        };
        for row in api_log(pool, schema, &filter).await?.entries {
            writeln!(
                out,
                "{:<36} {:<7} {:<14} {:>4} {:<6} {:<60} {}",
                id,
                row.http_method.unwrap_or_default(),
                row.api_name.unwrap_or_default(),
                row.response_code.map_or(String::new(), |c| c.to_string()),
                row.user_id.unwrap_or_default(),
                short(&row.request_payload),
                short(&row.response_body),
            )?;
        }
    }
    writeln!(out, "\n== data audit log ({schema}.pg_audit_log) ==")?;
    writeln!(
        out,
        "{:<36} {:<9} {:<18} {:<6} {:<6} {:<25}",
        "request id", "operation", "table", "record", "user", "changed fields / new data"
    )?;
    for (_, id) in request_ids {
        let mut rows = audit_log(pool, schema, &AuditLogFilter::by_request(*id))
            .await?
            .entries;
        rows.reverse();
        for row in rows {
            let detail = if row.operation == "UPDATE" {
                row.changed_fields.clone()
            } else if row.operation == "DELETE" {
                row.old_data.clone()
            } else {
                row.new_data.clone()
            };
            writeln!(
                out,
                "{:<36} {:<9} {:<18} {:<6} {:<6} {}",
                id,
                row.operation,
                format!("{}.{}", row.schema_name, row.table_name),
                row.record_id.unwrap_or_default(),
                row.updated_by.unwrap_or_default(),
                short(&detail),
            )?;
        }
    }
    writeln!(
        out,
        "\n(request id: shared by both logs; `pg-audit log --request <id>` lists what one request changed)"
    )?;
    Ok(out)
}
