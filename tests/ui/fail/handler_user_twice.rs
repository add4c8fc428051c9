#[pg_audit::audited_handler(user = 1, user = 2)]
async fn handler() {}

fn main() {}
