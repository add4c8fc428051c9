// A handler whose body uses `?` on several error types converted into the app's own error by
// `From`, with early `return`s: the body runs inside `pg_audit::scope(ctx, async move { … })`,
// and the conversions are still inferred from the handler's declared return type.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Json, Router};

#[derive(Clone)]
struct App {
    pool: sqlx::PgPool,
}

enum AppError {
    Audit(pg_audit::Error),
    Db(sqlx::Error),
}

impl From<pg_audit::Error> for AppError {
    fn from(e: pg_audit::Error) -> Self {
        AppError::Audit(e)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Db(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let text = match self {
            AppError::Audit(e) => e.to_string(),
            AppError::Db(e) => e.to_string(),
        };
        (StatusCode::INTERNAL_SERVER_ERROR, text).into_response()
    }
}

#[pg_audit::audited_handler(user = Some(id), context(order = id))]
async fn rename(
    State(app): State<App>,
    Path(id): Path<i64>,
    Json(name): Json<String>,
) -> Result<Json<u64>, AppError> {
    if name.is_empty() {
        return Ok(Json(0));
    }
    let mut tx = pg_audit::begin(&app.pool).await?;
    let done = sqlx::query("UPDATE orders SET name = $1 WHERE id = $2")
        .bind(&name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Json(done.rows_affected()))
}

#[tokio::main]
async fn main() {
    let pool = sqlx::PgPool::connect_lazy("postgres://localhost/x").unwrap();
    let _app: Router = Router::new()
        .route("/orders/{id}/name", put(rename))
        .with_state(App { pool });
}
