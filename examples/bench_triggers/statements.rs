//! The benchmark's statements: the `.sql` files beside this one, written in pg-audit's
//! template syntax and rendered with `pg-audit-sql`'s dynamic renderer, so every name is
//! quoted by its placeholder's kind as in the library. They are read when the example is
//! built; the test below renders each, so a broken template fails `cargo test`.

use pg_audit_sql::{parse_template, Sql, Value};

/// A statement on one of the three benchmark tables (`table_schema`, `table_name`).
#[derive(Clone, Copy)]
pub(crate) enum OnTable {
    InsertOne,
    UpdateOne,
    DeleteOne,
    InsertBulk,
    UpdateBulk,
    Truncate,
}

impl OnTable {
    fn text(self) -> &'static str {
        match self {
            OnTable::InsertOne => include_str!("insert_one.sql"),
            OnTable::UpdateOne => include_str!("update_one.sql"),
            OnTable::DeleteOne => include_str!("delete_one.sql"),
            OnTable::InsertBulk => include_str!("insert_bulk.sql"),
            OnTable::UpdateBulk => include_str!("update_bulk.sql"),
            OnTable::Truncate => include_str!("truncate.sql"),
        }
    }

    /// The statement on `table` (schema, name).
    pub(crate) fn on(self, (schema, name): (&str, &str)) -> Sql {
        render(
            self.text(),
            &[
                ("table_schema", Value::Ident(schema)),
                ("table_name", Value::Ident(name)),
            ],
        )
    }
}

/// The three tables.
pub(crate) fn tables() -> Sql {
    render(include_str!("tables.sql"), &[])
}

/// The hand-made row-level trigger, its function in `audit_schema`.
pub(crate) fn row_trigger(audit_schema: &str) -> Sql {
    let body = render(
        include_str!("row_trigger_body.sql"),
        &[("schema", Value::Ident(audit_schema))],
    );
    render(
        include_str!("row_trigger.sql"),
        &[
            ("schema", Value::Ident(audit_schema)),
            ("body", Value::Dollar(&body)),
        ],
    )
}

/// Bytes of the audit log of `audit_schema`, indexes and TOAST included.
pub(crate) fn log_size(audit_schema: &str) -> Sql {
    render(
        include_str!("log_size.sql"),
        &[("schema", Value::Literal(audit_schema))],
    )
}

/// Audit rows of the pgbench tables in `audit_schema`: (table, operation, rows).
pub(crate) fn tpcb_audit_rows(audit_schema: &str) -> Sql {
    render(
        include_str!("tpcb_audit_rows.sql"),
        &[("schema", Value::Ident(audit_schema))],
    )
}

/// The rows of `public.pgbench_history` and those with delta 0: (rows, zero deltas).
pub(crate) fn tpcb_history() -> Sql {
    render(include_str!("tpcb_history.sql"), &[])
}

fn render(text: &str, values: &[(&str, Value<'_>)]) -> Sql {
    let template = parse_template(text).unwrap_or_else(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("line {}: {}", e.line, e.message))
            .collect();
        panic!("a benchmark template is broken: {}", lines.join("; "))
    });
    template
        .render(values)
        .unwrap_or_else(|e| panic!("a benchmark template cannot be rendered: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_benchmark_statement_renders_with_its_names_quoted() {
        for statement in [
            OnTable::InsertOne,
            OnTable::UpdateOne,
            OnTable::DeleteOne,
            OnTable::InsertBulk,
            OnTable::UpdateBulk,
            OnTable::Truncate,
        ] {
            assert!(statement
                .on(("plain", "bench\"p"))
                .as_str()
                .contains("\"plain\".\"bench\"\"p\""));
        }
        assert!(tables().as_str().contains("CREATE TABLE"));
        assert!(row_trigger("audit")
            .as_str()
            .contains("CREATE FUNCTION \"audit\".bench_row_audit()"));
        assert!(log_size("it's").as_str().contains("'it''s'"));
        assert!(tpcb_audit_rows("audit")
            .as_str()
            .contains("FROM \"audit\".pg_audit_log"));
        assert!(tpcb_history().as_str().contains("pgbench_history"));
    }
}
