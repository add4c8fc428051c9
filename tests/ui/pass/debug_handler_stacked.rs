use axum::routing::post;
use axum::{Json, Router};

// `#[audited_handler]` goes above `#[debug_handler]`: it adds the audit record extractor
// first, and `debug_handler` then checks the handler as axum will call it.
#[pg_audit::audited_handler(user = 7_i64)]
#[axum::debug_handler]
async fn create(Json(value): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(value)
}

#[pg_audit::audited_handler(user = "system")]
#[axum::debug_handler]
async fn update(Json(value): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(value)
}

fn main() {
    let _app: Router = Router::new().route("/a", post(create)).route("/b", post(update));
}
