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
    assert_eq!(TABLES.schemas, ["public", "billing"]);
    assert_eq!(TABLES.exclude[2].schema, Some("billing"));
    assert_eq!(DEFAULTS.schemas, ["public"]);
    assert_eq!(ODD.exclude[0].name, "type");
    assert_eq!(ODD.exclude[2].name, "x.y");
    pg_audit::TableRules::from_tables(&TABLES).unwrap();
}
