static THREE_PARTS: pg_audit::Tables = pg_audit::audit_tables! {
    exclude: [a.b.c],
};

static TRAILING_DOT: pg_audit::Tables = pg_audit::audit_tables! {
    exclude: [billing.],
};

fn main() {}
