use axum::routing::get;
use axum::Router;

// The option is misspelled; the handler is still routed and called below, and those uses
// raise no error of their own: only the misspelling is reported.
#[pg_audit::audited_handler(nmae = "orders.list")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {
    let _app: Router = Router::new().route("/orders", get(list_orders));
    let _future = list_orders();
}
