static TABLES: pg_audit::Tables = pg_audit::audit_tables! {
    exclude: [accounts],
    mask: { accounts: [password_hash] },
};

fn main() {}
