static TABLES: pg_audit::Tables = pg_audit::audit_tables! {
    mask: { accounts: [password_hash, api_token, password_hash] },
    ignore: { accounts: [last_seen_at, "last_seen_at"] },
};

fn main() {}
