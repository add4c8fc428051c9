static TABLES: pg_audit::Tables = pg_audit::audit_tables! {
    schemas: [public, billing],
    exclude: [sessions, "job_queue", billing.raw_events],
    mask: { accounts: [password_hash, api_token] },
    ignore: { accounts: [last_seen_at] },
};

const DEFAULTS: pg_audit::Tables = pg_audit::audit_tables! {};

const ODD: pg_audit::Tables = pg_audit::audit_tables! {
    schemas: ["Sales Data"],
    exclude: [r#type, "Order Items", "schema"."x.y"],
};

fn main() {
    assert_eq!(TABLES.schemas(), ["public", "billing"]);
    assert_eq!(TABLES.exclude()[2].schema(), Some("billing"));
    assert_eq!(TABLES.mask()[0].1, ["password_hash", "api_token"]);
    assert_eq!(DEFAULTS, pg_audit::Tables::PUBLIC);
    assert_eq!(ODD.exclude()[0].name(), "type");
    assert_eq!(ODD.exclude()[2].name(), "x.y");
    pg_audit::TableRules::from_tables(&TABLES).unwrap();
    // Outside a `static` too: the declaration is a `'static` value wherever it is written.
    let local = pg_audit::audit_tables! { mask: { accounts: [token] } };
    pg_audit::TableRules::from_tables(&local).unwrap();
    pg_audit::TableRules::from_tables(&pg_audit::audit_tables! { exclude: [sessions] }).unwrap();
}
