struct Handlers;

impl Handlers {
    #[pg_audit::audited_handler]
    async fn method(&self) -> &'static str {
        "no"
    }
}

fn main() {}
