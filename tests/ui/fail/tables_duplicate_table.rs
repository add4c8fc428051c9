static TABLES: pg_audit::Tables = pg_audit::audit_tables! {
    exclude: [sessions, logs, sessions],
    mask: { accounts: [password_hash], accounts: [token] },
};

fn main() {}
