//! From a record to a fix: for each version of a record, the SQL that brings the row back to
//! it, rendered from the templates of `sql-templates/viewer/` (identifiers and values quoted
//! by the renderer). The record page shows it for a person to review and run in a session of
//! their own; the viewer never runs it, and stays read-only.

use crate::query::AuditLogEntry;
use crate::schema::catalog::WritableTable;
use crate::schema::trigger::MASK;
use crate::sql::templates::{RestoreDeleted, RestoreKeyOnly, RestoreVersion};
use serde_json::{Map, Value};

/// The statement restoring one version, or why there is none, and what it leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Restore {
    pub(crate) sql: Option<String>,
    pub(crate) notes: Vec<String>,
}

impl Restore {
    fn none(reason: impl Into<String>) -> Restore {
        Restore {
            sql: None,
            notes: vec![reason.into()],
        }
    }
}

/// The restore statement of the version `entry` left, for the table as the catalog
/// describes it now (`None`: it no longer exists).
pub(crate) fn restore(entry: &AuditLogEntry, table: Option<&WritableTable>) -> Restore {
    let Some(table) = table else {
        return Restore::none(format!(
            "{}.{} no longer exists: no statement can restore this version.",
            entry.schema_name, entry.table_name
        ));
    };
    if table.key_columns.is_empty() {
        return Restore::none(
            "The table has no primary key now: no statement can name this row to restore it.",
        );
    }
    let (recorded, deleted) = match entry.operation.as_str() {
        "INSERT" | "UPDATE" => (entry.new_data.as_ref(), false),
        "DELETE" => (entry.old_data.as_ref(), true),
        _ => return Restore::none("Only a row's own changes can be restored."),
    };
    let Some(recorded) = recorded else {
        return Restore::none("No row data was recorded for this version.");
    };
    // The row as an object, to check its key and columns; the statement itself carries
    // the text PostgreSQL stored, so no number is rounded on the way.
    let Ok(row) = recorded.parse::<Map<String, Value>>() else {
        return Restore::none(
            "The recorded row cannot be read as an object here: restore it from the log with SQL.",
        );
    };
    let row = &row;
    let is_masked = |column: &String| row.get(column).and_then(Value::as_str) == Some(MASK);
    if let Some(key) = table
        .key_columns
        .iter()
        .find(|key| !row.contains_key(*key) || is_masked(key))
    {
        return Restore::none(format!(
            "The recorded row has no value of the key column {key}: no statement can name it."
        ));
    }
    let literal = recorded.as_str().to_string();
    let (schema, name) = (entry.schema_name.as_str(), entry.table_name.as_str());
    if deleted {
        let sql = RestoreDeleted {
            schema,
            table: name,
            key: &table.key_columns,
            row: &literal,
        }
        .render();
        return Restore {
            sql: Some(format!("{sql};")),
            notes: Vec::new(),
        };
    }
    let columns: Vec<String> = table
        .columns
        .iter()
        .filter(|column| row.contains_key(*column) && !is_masked(column))
        .cloned()
        .collect();
    // A key column (an identity one above all) is never set: the row is found by it.
    let others: Vec<String> = columns
        .iter()
        .filter(|column| !table.key_columns.contains(column))
        .cloned()
        .collect();
    let sql = if others.is_empty() {
        RestoreKeyOnly {
            schema,
            table: name,
            key: &table.key_columns,
            row: &literal,
        }
        .render()
    } else {
        RestoreVersion {
            schema,
            table: name,
            columns: &columns,
            key: &table.key_columns,
            others: &others,
            row: &literal,
        }
        .render()
    };
    Restore {
        sql: Some(format!("{sql};")),
        notes: left_out(row, table, &columns),
    }
}

/// What the statement does not restore, said in words.
fn left_out(row: &Map<String, Value>, table: &WritableTable, columns: &[String]) -> Vec<String> {
    let mut notes = Vec::new();
    let masked: Vec<&str> = row
        .iter()
        .filter(|(_, value)| value.as_str() == Some(MASK))
        .map(|(column, _)| column.as_str())
        .collect();
    if !masked.is_empty() {
        notes.push(format!(
            "Masked when recorded, so left as they are (a row inserted anew gets their defaults): {}.",
            masked.join(", ")
        ));
    }
    let gone: Vec<&str> = row
        .keys()
        .filter(|column| !columns.contains(column) && !masked.contains(&column.as_str()))
        .filter(|column| !table.columns.contains(column))
        .map(String::as_str)
        .collect();
    if !gone.is_empty() {
        notes.push(format!(
            "Recorded but no longer written by the table (dropped, renamed or generated): {}.",
            gone.join(", ")
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(operation: &str, old: Option<Value>, new: Option<Value>) -> AuditLogEntry {
        serde_json::from_value(json!({
            "id": 1, "schema_name": "public", "table_name": "or\"ders", "operation": operation,
            "old_data": old, "new_data": new, "changed_fields": null, "record_id": "1",
            "ip_address": null, "updated_at": "2026-01-01T00:00:00Z", "updated_by": null,
            "is_db_user": false, "db_user": null, "application_name": null, "api_name": null,
            "http_method": null, "request_id": null, "transaction_id": null, "context": null
        }))
        .unwrap()
    }

    fn table(key: &[&str], columns: &[&str]) -> WritableTable {
        WritableTable {
            key_columns: key.iter().map(|c| c.to_string()).collect(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn a_version_is_restored_by_an_upsert_of_its_recorded_columns_quoted_by_the_renderer() {
        let restore = restore(
            &entry(
                "UPDATE",
                None,
                Some(json!({"id": 1, "note": "it's", "card": MASK, "old": 1})),
            ),
            Some(&table(&["id"], &["id", "note", "card", "added"])),
        );
        let sql = restore.sql.unwrap();
        assert!(
            sql.starts_with("INSERT INTO \"public\".\"or\"\"ders\" (\"id\", \"note\")"),
            "{sql}"
        );
        assert!(
            sql.contains("ON CONFLICT (\"id\") DO UPDATE\nSET (\"note\") = ("),
            "{sql}"
        );
        assert!(
            sql.contains(r#"'{"card":"********","id":1,"note":"it''s","old":1}'::jsonb"#),
            "{sql}"
        );
        assert!(sql.ends_with(");"));
        assert_eq!(restore.notes.len(), 2, "{:?}", restore.notes);
        assert!(restore.notes[0].ends_with(": card."));
        assert!(restore.notes[1].ends_with(": old."));
    }

    #[test]
    fn a_row_of_key_columns_only_is_inserted_unless_it_exists() {
        let restore = restore(
            &entry("INSERT", None, Some(json!({"a": 1, "b": 2}))),
            Some(&table(&["a", "b"], &["a", "b"])),
        );
        let sql = restore.sql.unwrap();
        assert!(
            sql.starts_with("INSERT INTO \"public\".\"or\"\"ders\" (\"a\", \"b\")"),
            "{sql}"
        );
        assert!(
            sql.ends_with("ON CONFLICT (\"a\", \"b\") DO NOTHING;"),
            "{sql}"
        );
    }

    #[test]
    fn a_deleted_version_is_restored_by_deleting_the_row_with_its_key() {
        let restore = restore(
            &entry("DELETE", Some(json!({"a": 1, "b": 2, "x": "y"})), None),
            Some(&table(&["a", "b"], &["a", "b", "x"])),
        );
        let sql = restore.sql.unwrap();
        assert!(
            sql.starts_with("DELETE FROM \"public\".\"or\"\"ders\"\nWHERE (\"a\", \"b\") = ("),
            "{sql}"
        );
        assert!(restore.notes.is_empty());
    }

    #[test]
    fn without_the_table_its_key_or_the_key_values_there_is_no_statement_and_a_reason() {
        let version = entry("INSERT", None, Some(json!({"id": 1})));
        for (table, reason) in [
            (None, "no longer exists"),
            (Some(table(&[], &["id"])), "no primary key"),
            (Some(table(&["uid"], &["uid", "id"])), "key column uid"),
        ] {
            let restore = restore(&version, table.as_ref());
            assert_eq!(restore.sql, None);
            assert!(restore.notes[0].contains(reason), "{:?}", restore.notes);
        }
    }
}
