// A bare excluded name excludes the table in every schema, so masking one schema's copy
// could never apply; an empty schema list or column list would silently do nothing.
static COVERED: pg_audit::Tables = pg_audit::audit_tables! {
    schemas: [public, billing],
    exclude: [accounts],
    mask: { billing.accounts: [card_number] },
};

static NO_SCHEMA: pg_audit::Tables = pg_audit::audit_tables! {
    schemas: [],
};

static NO_COLUMN: pg_audit::Tables = pg_audit::audit_tables! {
    ignore: { accounts: [] },
};

fn main() {}
