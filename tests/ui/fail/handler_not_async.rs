#[pg_audit::audited_handler]
fn not_async() -> &'static str {
    "sync"
}

fn main() {}
