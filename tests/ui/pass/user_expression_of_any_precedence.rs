// `user` and `context` values are whole expressions, whatever their operators: the handler
// borrows the value of `first + last`, not `first` alone.
#[pg_audit::audited_handler(user = String::from("ada") + "-admin", context(total = 2 * 21))]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _app: axum::Router = axum::Router::new().route("/", axum::routing::get(handler));
}
