static TABLES: pg_audit::Tables = pg_audit::audit_tables! {
    exclud: [sessions],
};

fn main() {}
