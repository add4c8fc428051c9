#[pg_audit::audited_handler(name = orders_create)]
async fn named() {}

#[pg_audit::audited_handler(skip_request_body = true)]
async fn flagged() {}

#[pg_audit::audited_handler(context)]
async fn no_entries() {}

fn main() {}
