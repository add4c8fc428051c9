//! Snapshots of the SQL the trigger core renders, one per table shape the attach step can
//! meet, and of the migration files. A template change shows up as a reviewed diff of the
//! generated SQL; CI never writes snapshots, so an unreviewed change fails there.

use crate::names::QualifiedName;
use crate::schema::catalog::{Partition, TableInfo};
use crate::schema::migrate::migration_files;
use crate::schema::trigger::{render_table, TableRule};
use crate::settings::SchemaSettings;

fn table(schema: &str, name: &str, key: &[&str], columns: &[&str]) -> TableInfo {
    TableInfo {
        name: QualifiedName::new(schema, name),
        partitioned: false,
        key_columns: key.iter().map(|c| c.to_string()).collect(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        json_columns: Vec::new(),
        partitions: Vec::new(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|c| c.to_string()).collect()
}

/// The rendered function and triggers, with the names of the triggers and the hash that
/// identifies them, as one text.
fn rendered(audit_schema: &str, table: &TableInfo, rule: &TableRule) -> String {
    let out = render_table(audit_schema, table, rule);
    let triggers: Vec<String> = out
        .triggers
        .iter()
        .map(|(t, name)| format!("-- trigger {name} on {}.{}", t.schema, t.name))
        .collect();
    format!(
        "-- function {}\n-- definition_hash {}\n{}\n\n{}\n",
        out.function_name,
        out.definition_hash,
        triggers.join("\n"),
        out.create.as_str()
    )
}

#[test]
fn snapshot_bigint_key() {
    let t = table(
        "public",
        "orders",
        &["id"],
        &["id", "customer", "total", "status", "updated_at"],
    );
    insta::assert_snapshot!(rendered("audit", &t, &TableRule::default()));
}

#[test]
fn snapshot_uuid_key() {
    let t = table("public", "documents", &["uid"], &["uid", "title", "body"]);
    insta::assert_snapshot!(rendered("audit", &t, &TableRule::default()));
}

#[test]
fn snapshot_json_columns() {
    let mut t = table("public", "events", &["id"], &["id", "payload", "meta"]);
    t.json_columns = strings(&["payload", "meta"]);
    let rule = TableRule {
        ignored: strings(&["meta"]),
        ..TableRule::default()
    };
    insta::assert_snapshot!(rendered("audit", &t, &rule));
}

#[test]
fn snapshot_composite_key() {
    let t = table(
        "public",
        "order_lines",
        &["order_id", "line_no"],
        &["order_id", "line_no", "sku", "qty"],
    );
    insta::assert_snapshot!(rendered("audit", &t, &TableRule::default()));
}

#[test]
fn snapshot_keyless_table() {
    let t = table("public", "events", &[], &["at", "kind", "payload"]);
    insta::assert_snapshot!(rendered("audit", &t, &TableRule::default()));
}

#[test]
fn snapshot_quoted_mixed_case_and_unicode_names() {
    let t = table(
        "Sales Data",
        "Order Items",
        &["Item Id"],
        &["Item Id", "Unit Price", "количество"],
    );
    insta::assert_snapshot!(
        "names_mixed_case_with_spaces",
        rendered("audit", &t, &TableRule::default())
    );
    let t = table("схема", "заказы", &["номер"], &["номер", "сумма"]);
    insta::assert_snapshot!(
        "names_cyrillic",
        rendered("audit", &t, &TableRule::default())
    );
    let t = table(
        "public",
        "we\"ird$tab$le",
        &["k\"ey$"],
        &["k\"ey$", "va'l$$ue", "$body$"],
    );
    let rule = TableRule {
        masked: strings(&["va'l$$ue"]),
        ignored: strings(&["$body$"]),
        keep_noop_updates: false,
    };
    insta::assert_snapshot!("names_quote_and_dollar", rendered("audit", &t, &rule));
}

#[test]
fn snapshot_masked_and_ignored_columns() {
    let t = table(
        "public",
        "users",
        &["id"],
        &[
            "id",
            "email",
            "password",
            "api_token",
            "last_seen",
            "updated_at",
        ],
    );
    let rule = TableRule {
        masked: strings(&["password", "api_token"]),
        ignored: strings(&["last_seen", "updated_at"]),
        keep_noop_updates: false,
    };
    insta::assert_snapshot!(rendered("audit", &t, &rule));
}

#[test]
fn snapshot_keep_noop_updates() {
    let keyed = table("public", "orders", &["id"], &["id", "total"]);
    let keyless = table("public", "events", &[], &["at", "kind"]);
    let rule = TableRule {
        keep_noop_updates: true,
        ..TableRule::default()
    };
    insta::assert_snapshot!("keep_noop_keyed", rendered("audit", &keyed, &rule));
    insta::assert_snapshot!("keep_noop_keyless", rendered("audit", &keyless, &rule));
}

#[test]
fn snapshot_non_default_audit_schema() {
    let t = table("public", "orders", &["id"], &["id", "total"]);
    insta::assert_snapshot!(rendered("Audit Trail", &t, &TableRule::default()));
}

#[test]
fn snapshot_partitioned_table_with_partitions() {
    let mut t = table(
        "public",
        "measurements",
        &["id", "taken_on"],
        &["id", "taken_on", "value"],
    );
    t.partitioned = true;
    t.partitions = vec![
        Partition {
            name: QualifiedName::new("public", "measurements_2025"),
            is_leaf: true,
        },
        Partition {
            name: QualifiedName::new("public", "measurements_2026"),
            is_leaf: false,
        },
        Partition {
            name: QualifiedName::new("archive", "measurements_2026_h1"),
            is_leaf: true,
        },
    ];
    insta::assert_snapshot!(rendered("audit", &t, &TableRule::default()));
}

#[test]
fn snapshot_migration_files() {
    for (audit_schema, label) in [("audit", "default"), ("Audit Trail", "custom_schema")] {
        let settings = SchemaSettings {
            audit_schema: audit_schema.to_string(),
            ..SchemaSettings::default()
        };
        let files = match migration_files(&settings) {
            Ok(files) => files,
            Err(error) => panic!("migration files for {audit_schema:?}: {error}"),
        };
        assert!(files.iter().any(|(name, _)| name.ends_with(".down.sql")));
        for (name, sql) in files {
            insta::assert_snapshot!(format!("migration_{label}_{name}"), sql.as_str());
        }
    }
}
