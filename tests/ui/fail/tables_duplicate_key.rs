static TABLES: pg_audit::Tables = pg_audit::audit_tables! {
    exclude: [sessions],
    exclude: [logs],
};

fn main() {}
