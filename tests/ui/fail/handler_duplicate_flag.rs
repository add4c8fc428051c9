#[pg_audit::audited_handler(log_get, skip_request_body, log_get)]
async fn handler() {}

fn main() {}
