static EMPTY: pg_audit::Tables = pg_audit::audit_tables! {
    exclude: [""],
};

static LONG: pg_audit::Tables = pg_audit::audit_tables! {
    exclude: [a_table_name_that_is_far_too_long_for_postgresql_to_keep_it_whole_x],
};

fn main() {}
