//! What the pages show of a row: values from the database turned into display text (escaped
//! later by the templates) and each change as a field-level diff. Values are read from their
//! stored JSON text without recursion, so no document is too deep or too large to show.

use crate::query::json::{self, Layout};
use crate::query::{AuditLogEntry, JsonText};
use crate::schema::trigger::MASK;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Longest text shown for one value; the rest is cut with a note of how much.
const MAX_VALUE_CHARS: usize = 2000;

/// Longest text shown for one request or response body.
const MAX_BODY_CHARS: usize = 64 * 1024;

/// One value as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shown {
    /// The column was not there (an INSERT has no old value).
    Absent,
    /// The value was masked before it was stored.
    Masked,
    /// SQL NULL / JSON null.
    Null,
    /// A string, shown without quotes.
    Text(String),
    /// Any other JSON value, in compact JSON.
    Json(String),
}

impl Shown {
    /// The value whose JSON text is `value`.
    pub(crate) fn of(value: Option<&str>) -> Shown {
        match value {
            None => Shown::Absent,
            Some("null") => Shown::Null,
            Some(text) => match json::string(text) {
                Some(string) if string == MASK => Shown::Masked,
                Some(string) => Shown::Text(cut(&string, MAX_VALUE_CHARS)),
                None => Shown::Json(json::render(text, Layout::Compact, MAX_VALUE_CHARS)),
            },
        }
    }

    /// The CSS class of the value's kind.
    pub(crate) fn class(&self) -> &'static str {
        match self {
            Shown::Absent => "absent",
            Shown::Masked => "masked",
            Shown::Null => "null",
            Shown::Text(_) => "text",
            Shown::Json(_) => "json",
        }
    }

    /// The text to show.
    pub(crate) fn text(&self) -> &str {
        match self {
            Shown::Absent => "—",
            Shown::Masked => "masked",
            Shown::Null => "null",
            Shown::Text(text) | Shown::Json(text) => text,
        }
    }
}

/// One column of a changed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldChange {
    pub(crate) name: String,
    pub(crate) old: Shown,
    pub(crate) new: Shown,
    /// The column is one of the row's changed fields (UPDATE only).
    pub(crate) changed: bool,
}

/// A change as a list of columns: for an UPDATE the changed ones first (old → new), then
/// the rest; for an INSERT the new row, for a DELETE the old one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Diff {
    pub(crate) changed: Vec<FieldChange>,
    pub(crate) unchanged: Vec<FieldChange>,
}

impl Diff {
    pub(crate) fn of(entry: &AuditLogEntry) -> Diff {
        let (old, new) = (columns(&entry.old_data), columns(&entry.new_data));
        let listed = entry.changed_field_names();
        let is_update = entry.operation == "UPDATE";
        let mut names: Vec<&String> = old
            .keys()
            .chain(new.keys().filter(|k| !old.contains_key(*k)))
            .collect();
        names.sort();
        let mut diff = Diff::default();
        for name in names {
            let (before, after) = (old.get(name), new.get(name));
            let changed = is_update
                && if entry.changed_fields.is_some() {
                    listed.contains(name)
                } else {
                    before != after
                };
            let field = FieldChange {
                name: name.clone(),
                old: if is_update || entry.operation == "DELETE" {
                    Shown::of(before.copied())
                } else {
                    Shown::Absent
                },
                new: if entry.operation == "DELETE" {
                    Shown::Absent
                } else {
                    Shown::of(after.copied())
                },
                changed,
            };
            if changed || !is_update {
                diff.changed.push(field);
            } else {
                diff.unchanged.push(field);
            }
        }
        diff
    }
}

/// The columns of a stored row (a JSON object) by name, each as its JSON text.
fn columns(data: &Option<JsonText>) -> HashMap<String, &str> {
    data.as_ref()
        .and_then(|data| json::members(data.as_str()))
        .map(|members| members.into_iter().collect())
        .unwrap_or_default()
}

/// A JSON body, indented and cut to a size a page can carry.
pub(crate) fn body(value: Option<&JsonText>) -> Shown {
    match value {
        None => Shown::Absent,
        Some(value) if value.is_null() => Shown::Null,
        Some(value) => Shown::Json(json::render(
            value.as_str(),
            Layout::Indented,
            MAX_BODY_CHARS,
        )),
    }
}

/// A JSON value in compact form, cut to `max` bytes.
pub(crate) fn compact(value: &JsonText, max: usize) -> String {
    json::render(value.as_str(), Layout::Compact, max)
}

/// A timestamp as the pages show it, in UTC to the millisecond.
pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()
}

/// The first `max` characters of `text`, with a note of what was cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!(
            "{}… ({} more characters)",
            &text[..end],
            text[end..].chars().count()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn entry(
        operation: &str,
        old: Option<Value>,
        new: Option<Value>,
        changed: Option<Value>,
    ) -> AuditLogEntry {
        serde_json::from_value(json!({
            "id": 1, "schema_name": "public", "table_name": "t", "operation": operation,
            "old_data": old, "new_data": new, "changed_fields": changed, "record_id": "1",
            "ip_address": null, "updated_at": "2026-01-01T00:00:00Z", "updated_by": null,
            "is_db_user": false, "db_user": null, "application_name": null, "api_name": null,
            "http_method": null, "request_id": null, "transaction_id": null, "context": null
        }))
        .unwrap()
    }

    #[test]
    fn an_update_lists_its_changed_fields_first_and_keeps_the_rest_apart() {
        let diff = Diff::of(&entry(
            "UPDATE",
            Some(json!({"id": 1, "total": 5, "note": "a", "password": MASK})),
            Some(json!({"id": 1, "total": 7, "note": "a", "password": MASK})),
            Some(json!(["total", "password"])),
        ));
        let changed: Vec<_> = diff
            .changed
            .iter()
            .map(|f| (f.name.as_str(), f.old.text(), f.new.text()))
            .collect();
        assert_eq!(
            changed,
            [("password", "masked", "masked"), ("total", "5", "7")]
        );
        assert!(diff.changed.iter().all(|f| f.changed));
        assert_eq!(
            diff.unchanged
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["id", "note"]
        );
        assert_eq!(diff.changed[0].old, Shown::Masked);
    }

    #[test]
    fn without_changed_fields_an_update_compares_values() {
        let diff = Diff::of(&entry(
            "UPDATE",
            Some(json!({"a": 1, "b": 2})),
            Some(json!({"a": 1, "b": 3, "c": null})),
            None,
        ));
        assert_eq!(
            diff.changed
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(diff.changed[1].old, Shown::Absent);
        assert_eq!(diff.changed[1].new, Shown::Null);
    }

    #[test]
    fn an_insert_shows_new_values_and_a_delete_old_ones() {
        let insert = Diff::of(&entry(
            "INSERT",
            None,
            Some(json!({"name": "x", "tags": [1]})),
            None,
        ));
        assert_eq!(
            insert
                .changed
                .iter()
                .map(|f| (f.old.clone(), f.new.text()))
                .collect::<Vec<_>>(),
            [(Shown::Absent, "x"), (Shown::Absent, "[1]")]
        );
        let delete = Diff::of(&entry("DELETE", Some(json!({"name": "x"})), None, None));
        assert_eq!(
            (delete.changed[0].old.text(), delete.changed[0].new.clone()),
            ("x", Shown::Absent)
        );
        assert!(Diff::of(&entry("TRUNCATE", None, None, None))
            .changed
            .is_empty());
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary_with_a_note() {
        assert_eq!(cut("ééééé", 2), "éé… (3 more characters)");
        assert_eq!(cut("short", 10), "short");
        let long = json!("x".repeat(5000)).to_string();
        let Shown::Text(text) = Shown::of(Some(&long)) else {
            panic!("a string is text")
        };
        assert!(text.ends_with("(3000 more characters)"));
    }
}
