use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::post;
use axum::{Json, Router};

#[derive(Clone)]
struct App {
    pool: sqlx::PgPool,
}

struct AuthUser {
    user_id: uuid::Uuid,
    tenant: String,
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = axum::http::StatusCode;
    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(AuthUser { user_id: uuid::Uuid::nil(), tenant: "acme".into() })
    }
}

#[derive(serde::Deserialize, serde::Serialize)]
struct NewOrder {
    total: i64,
}

#[pg_audit::audited_handler(user = auth.user_id, name = "orders.create", context(tenant = auth.tenant))]
async fn create(auth: AuthUser, State(app): State<App>, Json(order): Json<NewOrder>) -> Result<Json<NewOrder>, axum::http::StatusCode> {
    let mut tx = pg_audit::begin(&app.pool).await.map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)?;
    sqlx::query("INSERT INTO orders (total) VALUES ($1)").bind(order.total).execute(&mut *tx).await.ok();
    tx.commit().await.ok();
    Ok(Json(order))
}

#[tokio::main]
async fn main() {
    let pool = sqlx::PgPool::connect_lazy("postgres://localhost/x").unwrap();
    let _app: Router = Router::new().route("/orders", post(create)).with_state(App { pool });
}
