#[pg_audit::audited_handler(usr = 1)]
async fn handler() {}

fn main() {}
