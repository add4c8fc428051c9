struct Tenant {
    id: u32,
}

#[pg_audit::audited_handler(context(tenant = Tenant { id: 7 }))]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
