//! Renders the audit trigger function and triggers of one table, with its key, masked and
//! ignored columns baked in. Every table gets statement-level triggers with transition
//! tables (the rows of an UPDATE paired by position, see `trigger_body.sql`), on the table
//! and on each of its partitions. The generated SQL refers to no column by name inside the
//! function: values are taken from the row's jsonb by literal keys, so renaming or dropping
//! a column never makes the trigger raise inside the user's write, and every reference to
//! its own names is qualified, so no column name can capture one.

use crate::names::QualifiedName;
use crate::schema::catalog::{AttachedTrigger, TableInfo};
use crate::sql::templates::{
    CreateStatementTriggers, CreateTruncateTrigger, DropTrigger, DropTriggerFunction,
    ExprChangedFields, ExprColumnChanged, ExprColumnUnchanged, ExprCountsEqual, ExprJsonChanged,
    ExprJsonColumnChanged, ExprJsonText, ExprKeyArray, ExprKeyValue, ExprMasked, ExprNewValues,
    ExprNotIgnored, ExprRecordIdComposite, ExprRecordIdSingle, ExprRecordKey, TriggerBody,
    TriggerFunction, TriggerUpdatePaired, TriggerUpdateUnpaired,
};
use crate::sql::Sql;

/// The value recorded for a masked column, and for a sensitive key in a logged body.
pub const MASK: &str = "********";

/// The rules applied to one audited table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableRule {
    pub masked: Vec<String>,
    pub ignored: Vec<String>,
    pub keep_noop_updates: bool,
}

/// The generated SQL of one audited table.
#[derive(Debug, Clone)]
pub(crate) struct TableTriggers {
    /// The audit function's name in the audit schema.
    pub function_name: String,
    /// Creates (or replaces) the function and creates the triggers.
    pub create: Sql,
    /// The triggers `create` makes, by table.
    pub triggers: Vec<(QualifiedName, &'static str)>,
    /// Identifies `create`: a change of key, rules or partitions changes it.
    pub definition_hash: String,
}

/// FNV-1a: a stable 64-bit hash (std's hasher may change between Rust releases, and these
/// hashes are stored in the database).
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The audit function's name for a table: readable, at most 63 bytes, and distinct for
/// distinct tables (a hash of the full name ends it, so names that differ only past the
/// truncation point still differ).
pub(crate) fn function_name(table: &QualifiedName) -> String {
    let full = format!("{}\u{0}{}", table.schema, table.name);
    let readable: String = format!("{}_{}", table.schema, table.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(38)
        .collect();
    format!(
        "pg_audit_fn_{readable}_{:012x}",
        stable_hash(full.as_bytes()) & 0xffff_ffff_ffff
    )
}

/// Renders everything one table needs.
pub(crate) fn render_table(
    audit_schema: &str,
    table: &TableInfo,
    rule: &TableRule,
) -> TableTriggers {
    let function_name = function_name(&table.name);
    let expressions = Expressions {
        key_columns: &table.key_columns,
        columns: &table.columns,
        json_columns: &table.json_columns,
        rule,
    };
    let body = expressions.body(audit_schema, table.partitioned);
    let mut statements = vec![TriggerFunction {
        schema: audit_schema,
        role: &crate::settings::writer_role_of(audit_schema),
        function_name: &function_name,
        body: &body,
    }
    .render()];
    let mut triggers = Vec::new();

    // A statement on the root fires the root's statement triggers only, with every
    // partition's rows in its transition tables; a statement on a partition fires that
    // partition's. So each gets its own.
    let statement_targets =
        std::iter::once(&table.name).chain(table.partitions.iter().map(|p| &p.name));
    for target in statement_targets {
        let (table_schema, table_name) = (target.schema.as_str(), target.name.as_str());
        statements.push(
            CreateStatementTriggers {
                schema: audit_schema,
                function_name: &function_name,
                table_schema,
                table_name,
            }
            .render(),
        );
        for name in ["pg_audit_insert", "pg_audit_update", "pg_audit_delete"] {
            triggers.push((target.clone(), name));
        }
    }
    let truncate_targets: Vec<&QualifiedName> = if table.partitioned {
        table
            .partitions
            .iter()
            .filter(|p| p.is_leaf)
            .map(|p| &p.name)
            .collect()
    } else {
        vec![&table.name]
    };
    for target in truncate_targets {
        let (table_schema, table_name) = (target.schema.as_str(), target.name.as_str());
        statements.push(
            CreateTruncateTrigger {
                schema: audit_schema,
                function_name: &function_name,
                table_schema,
                table_name,
            }
            .render(),
        );
        triggers.push((target.clone(), "pg_audit_truncate"));
    }
    let create = Sql::join(statements, "\n");
    let definition_hash = format!("{:016x}", stable_hash(create.as_str().as_bytes()));
    TableTriggers {
        function_name,
        create,
        triggers,
        definition_hash,
    }
}

/// The masked row and the record id over `r.j` (a row as jsonb), exactly as the triggers
/// record them: for the SNAPSHOT rows of a baseline.
pub(crate) fn row_expressions(table: &TableInfo, rule: &TableRule) -> (Sql, Sql) {
    let expressions = Expressions {
        key_columns: &table.key_columns,
        columns: &table.columns,
        json_columns: &table.json_columns,
        rule,
    };
    (
        expressions.masked("r.j"),
        expressions.record_id_or_null("r.j"),
    )
}

/// The record id over `value` (a row as jsonb), as the triggers compute it; NULL for a table
/// without a key.
pub(crate) fn record_id_over(table: &TableInfo, value: &'static str) -> Sql {
    let rule = TableRule::default();
    Expressions {
        key_columns: &table.key_columns,
        columns: &table.columns,
        json_columns: &table.json_columns,
        rule: &rule,
    }
    .record_id_or_null(value)
}

/// Drops the given audit triggers and then the functions they called.
pub(crate) fn render_drop(
    audit_schema: &str,
    triggers: &[&AttachedTrigger],
    functions: &[String],
) -> Sql {
    let drops = triggers.iter().map(|t| {
        DropTrigger {
            trigger_name: &t.trigger,
            table_schema: &t.table.schema,
            table_name: &t.table.name,
        }
        .render()
    });
    let functions = functions.iter().map(|function_name| {
        DropTriggerFunction {
            schema: audit_schema,
            function_name,
        }
        .render()
    });
    Sql::join(drops.chain(functions), "\n")
}

/// Builds the expressions of a table's trigger body over a given jsonb value.
struct Expressions<'a> {
    key_columns: &'a [String],
    /// Columns known at attach time (compared one by one; others by a jsonb scan).
    columns: &'a [String],
    /// Its json columns, whose text is compared too.
    json_columns: &'a [String],
    rule: &'a TableRule,
}

impl Expressions<'_> {
    fn masked(&self, value: &'static str) -> Sql {
        let value = Sql::fixed(value);
        if self.rule.masked.is_empty() {
            return value;
        }
        let mask: serde_json::Map<String, serde_json::Value> = self
            .rule
            .masked
            .iter()
            .map(|c| (c.clone(), serde_json::Value::from(MASK)))
            .collect();
        let mask = serde_json::Value::Object(mask).to_string();
        ExprMasked {
            value: &value,
            mask: &mask,
        }
        .render()
    }

    fn key(&self, value: &'static str) -> Sql {
        let value = Sql::fixed(value);
        let parts: Vec<Sql> = self
            .key_columns
            .iter()
            .map(|column| {
                ExprKeyValue {
                    value: &value,
                    column,
                }
                .render()
            })
            .collect();
        match <[Sql; 1]>::try_from(parts) {
            Ok([single]) => single,
            Err(parts) => ExprKeyArray {
                parts: &Sql::join(parts, ", "),
            }
            .render(),
        }
    }

    fn record_id(&self, value: &'static str) -> Sql {
        ExprRecordKey {
            id: &self.key_text(value),
        }
        .render()
    }

    /// The key of the row `value` (jsonb) as text, before the log's length cap.
    fn key_text(&self, value: &'static str) -> Sql {
        let value = Sql::fixed(value);
        if let [column] = self.key_columns {
            return ExprRecordIdSingle {
                value: &value,
                column,
            }
            .render();
        }
        let parts = self.key_columns.iter().map(|column| {
            let key = ExprKeyValue {
                value: &value,
                column,
            }
            .render();
            ExprJsonText { value: &key }.render()
        });
        ExprRecordIdComposite {
            parts: &Sql::join(parts, ", "),
        }
        .render()
    }

    fn changed(&self, old_value: &'static str, new_value: &'static str) -> Sql {
        let ignored_filter = if self.rule.ignored.is_empty() {
            Sql::fixed("")
        } else {
            ExprNotIgnored {
                columns: &self.rule.ignored,
            }
            .render()
        };
        let (old_value, new_value) = (Sql::fixed(old_value), Sql::fixed(new_value));
        let known = self
            .columns
            .iter()
            .filter(|column| !self.rule.ignored.contains(column))
            .map(|column| {
                ExprColumnChanged {
                    old_value: &old_value,
                    new_value: &new_value,
                    column,
                }
                .render()
            });
        let changed = ExprChangedFields {
            old_value: &old_value,
            new_value: &new_value,
            known: &Sql::join(known, ", "),
            ignored_filter: &ignored_filter,
        }
        .render();
        let json: Vec<Sql> = self
            .json_columns
            .iter()
            .filter(|column| !self.rule.ignored.contains(column))
            .map(|column| {
                ExprJsonColumnChanged {
                    old_value: &old_value,
                    new_value: &new_value,
                    old_text: &Sql::fixed("p.ot"),
                    new_text: &Sql::fixed("p.nt"),
                    column,
                }
                .render()
            })
            .collect();
        if json.is_empty() {
            return changed;
        }
        ExprJsonChanged {
            changed: &changed,
            json_changed: &Sql::join(json, ", "),
        }
        .render()
    }

    /// An UPDATE's new row as the log stores it (over `x.oj` and `x.nj`): its values that
    /// differ from the old row's, every known column compared.
    fn new_values(&self) -> Sql {
        let (old_value, new_value) = (Sql::fixed("x.oj"), Sql::fixed("x.nj"));
        let unchanged = self.columns.iter().map(|column| {
            ExprColumnUnchanged {
                old_value: &old_value,
                new_value: &new_value,
                column,
            }
            .render()
        });
        ExprNewValues {
            new_data: &self.masked("x.nj"),
            unchanged: &Sql::join(unchanged, ", "),
        }
        .render()
    }

    /// The row of a transition table (`t`) as json, kept only for a table with json
    /// columns: `changed` compares their text.
    fn row_text(&self) -> Sql {
        Sql::fixed(if self.json_columns.is_empty() {
            "NULL::json"
        } else {
            "pg_catalog.row_to_json(t.*)"
        })
    }

    fn keep_noop(&self) -> Sql {
        Sql::fixed(if self.rule.keep_noop_updates {
            "true"
        } else {
            "false"
        })
    }

    /// The key as jsonb over `value`; a table without a key pairs nothing by it.
    fn pairing_key(&self, value: &'static str) -> Sql {
        if self.key_columns.is_empty() {
            Sql::fixed("NULL::jsonb")
        } else {
            self.key(value)
        }
    }

    /// The record id over `value`; NULL for a table without a key.
    fn record_id_or_null(&self, value: &'static str) -> Sql {
        if self.key_columns.is_empty() {
            Sql::fixed("NULL::text")
        } else {
            self.record_id(value)
        }
    }

    /// The function body; only a partitioned table's counts an UPDATE's rows before pairing
    /// them by position (see `expr_counts_equal.sql`).
    fn body(&self, audit_schema: &str, partitioned: bool) -> Sql {
        let counts_equal = if partitioned {
            ExprCountsEqual.render()
        } else {
            Sql::fixed("true")
        };
        let paired = TriggerUpdatePaired {
            schema: audit_schema,
            row_text: &self.row_text(),
            changed: &self.changed("p.oj", "p.nj"),
            old_data: &self.masked("x.oj"),
            new_values: &self.new_values(),
            record_id: &self.record_id_or_null("x.nj"),
            keep_noop: &self.keep_noop(),
        }
        .render();
        let unpaired = TriggerUpdateUnpaired {
            schema: audit_schema,
            old_key: &self.pairing_key("o.j"),
            new_key: &self.pairing_key("n.j"),
            row_text: &self.row_text(),
            changed: &self.changed("p.oj", "p.nj"),
            old_data: &self.masked("x.oj"),
            new_data: &self.masked("x.nj"),
            new_values: &self.new_values(),
            old_record_id: &self.record_id_or_null("x.oj"),
            new_record_id: &self.record_id_or_null("x.nj"),
            keep_noop: &self.keep_noop(),
        }
        .render();
        TriggerBody {
            schema: audit_schema,
            inserted_data: &self.masked("r.j"),
            inserted_record_id: &self.record_id_or_null("r.j"),
            counts_equal: &counts_equal,
            update_paired: &paired,
            update_unpaired: &unpaired,
        }
        .render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_fit_in_63_bytes_and_differ_for_long_similar_tables() {
        let a = QualifiedName::new("public", format!("{}a", "x".repeat(62)));
        let b = QualifiedName::new("public", format!("{}b", "x".repeat(62)));
        assert!(function_name(&a).len() <= 63);
        assert_ne!(function_name(&a), function_name(&b));
        let unicode = QualifiedName::new("схема", "заказы");
        assert!(function_name(&unicode).len() <= 63);
        assert!(function_name(&unicode).is_ascii());
    }

    #[test]
    fn the_stable_hash_does_not_change_between_releases() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
