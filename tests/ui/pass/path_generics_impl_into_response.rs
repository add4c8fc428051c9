use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

trait Store: Clone + Send + Sync + 'static {
    fn name(&self, id: i64) -> String;
}

#[derive(Clone)]
struct Memory;

impl Store for Memory {
    fn name(&self, id: i64) -> String {
        format!("item {id}")
    }
}

#[pg_audit::audited_handler(user = Some(id), log_get, skip_response_body)]
async fn show<S>(State(store): State<S>, Path(id): Path<i64>) -> impl IntoResponse
where
    S: Store,
{
    store.name(id)
}

#[pg_audit::audited_handler]
async fn health() -> &'static str {
    "ok"
}

#[pg_audit::audited_handler(skip_request_body)]
pub(crate) async fn echo(body: String) -> String {
    body
}

fn main() {
    let _app: Router = Router::new()
        .route("/items/{id}", get(show::<Memory>))
        .route("/health", get(health))
        .route("/echo", axum::routing::post(echo))
        .with_state(Memory);
}
