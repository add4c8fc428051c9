//! The registry of audited tables and the declared settings, stored in the audit schema so
//! the `pg-audit` command re-applies exactly what the application declared.

use crate::config::TableRules;
use crate::error::Result;
use crate::names::{QualifiedName, TablePattern};
use crate::settings::SchemaSettings;
use crate::sql::templates::{
    RegistryDelete, RegistrySelect, RegistryUpsert, SettingsSelect, SettingsUpsert,
};
use crate::sql::SqlQuery;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{PgConnection, Postgres};

/// Who excluded a table, as the registry's `excluded_by` column remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExcludedBy {
    /// The application's declaration (rules, settings): re-read at every attach.
    Declaration,
    /// `pg-audit attach --exclude`: stays excluded until `--include`.
    Command,
}

impl ExcludedBy {
    /// The value stored in the registry (its CHECK constraint allows exactly these).
    fn as_str(self) -> &'static str {
        match self {
            ExcludedBy::Declaration => "declared",
            ExcludedBy::Command => "command",
        }
    }
}

impl sqlx::Type<Postgres> for ExcludedBy {
    fn type_info() -> PgTypeInfo {
        <&str as sqlx::Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <&str as sqlx::Type<Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Postgres> for ExcludedBy {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match <&str as sqlx::Decode<'r, Postgres>>::decode(value)? {
            "declared" => Ok(ExcludedBy::Declaration),
            "command" => Ok(ExcludedBy::Command),
            other => Err(format!("unknown excluded_by value {other:?} in the registry").into()),
        }
    }
}

impl sqlx::Encode<'_, Postgres> for ExcludedBy {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as sqlx::Encode<'_, Postgres>>::encode(self.as_str(), buf)
    }
}

/// One table of the registry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct RegistryEntry {
    pub schema_name: String,
    pub table_name: String,
    pub excluded: bool,
    pub excluded_by: Option<ExcludedBy>,
    pub masked_columns: Vec<String>,
    pub ignored_columns: Vec<String>,
    pub definition_hash: Option<String>,
}

impl RegistryEntry {
    pub(crate) fn name(&self) -> QualifiedName {
        QualifiedName::new(self.schema_name.clone(), self.table_name.clone())
    }
}

pub(crate) async fn load(
    conn: &mut PgConnection,
    audit_schema: &str,
) -> Result<Vec<RegistryEntry>> {
    Ok(RegistrySelect {
        schema: audit_schema,
    }
    .render()
    .query_as()
    .fetch_all(conn)
    .await?)
}

pub(crate) async fn save(
    conn: &mut PgConnection,
    audit_schema: &str,
    entry: &RegistryEntry,
) -> Result<()> {
    RegistryUpsert {
        schema: audit_schema,
    }
    .render()
    .query()
    .bind(&entry.schema_name)
    .bind(&entry.table_name)
    .bind(entry.excluded)
    .bind(entry.excluded_by)
    .bind(&entry.masked_columns)
    .bind(&entry.ignored_columns)
    .bind(&entry.definition_hash)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn forget(
    conn: &mut PgConnection,
    audit_schema: &str,
    table: &QualifiedName,
) -> Result<()> {
    RegistryDelete {
        schema: audit_schema,
    }
    .render()
    .query()
    .bind(&table.schema)
    .bind(&table.name)
    .execute(conn)
    .await?;
    Ok(())
}

/// The settings the triggers depend on, as the application last declared them, with its
/// table patterns: the automatic attach applies them to tables that did not exist at attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeclaredSettings {
    pub schemas: Vec<String>,
    pub track_db_users: bool,
    pub keep_noop_updates: bool,
    pub exclude: Vec<TablePattern>,
    pub mask: Vec<(TablePattern, Vec<String>)>,
    pub ignore: Vec<(TablePattern, Vec<String>)>,
}

impl DeclaredSettings {
    pub(crate) fn of(settings: &SchemaSettings, rules: &TableRules) -> Self {
        let mut exclude = rules.exclude.clone();
        exclude.sort();
        exclude.dedup();
        DeclaredSettings {
            schemas: rules.schemas.clone(),
            track_db_users: settings.track_db_users,
            keep_noop_updates: settings.keep_noop_updates,
            exclude,
            mask: columns_by_pattern(&rules.mask),
            ignore: columns_by_pattern(&rules.ignore),
        }
    }
}

/// Column lists merged per pattern, sorted, so equal declarations compare equal.
fn columns_by_pattern(list: &[(TablePattern, Vec<String>)]) -> Vec<(TablePattern, Vec<String>)> {
    let mut merged: std::collections::BTreeMap<TablePattern, Vec<String>> = Default::default();
    for (pattern, columns) in list {
        merged
            .entry(pattern.clone())
            .or_default()
            .extend(columns.iter().cloned());
    }
    merged
        .into_iter()
        .map(|(pattern, mut columns)| {
            columns.sort();
            columns.dedup();
            (pattern, columns)
        })
        .collect()
}

/// A pattern as stored in the settings table: `{"schema": …, "name": …}` (schema null for
/// "any audited schema"), with `"columns"` for masked and ignored columns.
fn pattern_json(pattern: &TablePattern, columns: Option<&[String]>) -> serde_json::Value {
    let mut value = serde_json::json!({ "schema": pattern.schema, "name": pattern.name });
    if let Some(columns) = columns {
        value["columns"] = serde_json::json!(columns);
    }
    value
}

fn patterns_of(value: Option<&serde_json::Value>) -> Vec<(TablePattern, Vec<String>)> {
    value
        .and_then(|v| v.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let name = item.get("name")?.as_str()?.to_string();
                    let schema = item
                        .get("schema")
                        .and_then(|s| s.as_str())
                        .map(str::to_string);
                    let columns = item
                        .get("columns")
                        .and_then(|c| serde_json::from_value(c.clone()).ok())
                        .unwrap_or_default();
                    Some((TablePattern { schema, name }, columns))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) async fn load_settings(
    conn: &mut PgConnection,
    audit_schema: &str,
) -> Result<Option<DeclaredSettings>> {
    let rows: Vec<(String, serde_json::Value)> = SettingsSelect {
        schema: audit_schema,
    }
    .render()
    .query_as()
    .fetch_all(conn)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let get = |name: &str| rows.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    Ok(Some(DeclaredSettings {
        schemas: get("schemas")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_else(|| vec!["public".into()]),
        track_db_users: get("track_db_users")
            .and_then(|v| v.as_bool())
            .unwrap_or(true),
        keep_noop_updates: get("keep_noop_updates")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        exclude: patterns_of(get("exclude"))
            .into_iter()
            .map(|(pattern, _)| pattern)
            .collect(),
        mask: patterns_of(get("mask")),
        ignore: patterns_of(get("ignore")),
    }))
}

pub(crate) async fn save_settings(
    conn: &mut PgConnection,
    audit_schema: &str,
    declared: &DeclaredSettings,
) -> Result<()> {
    let values = [
        ("schemas", serde_json::json!(declared.schemas)),
        ("track_db_users", serde_json::json!(declared.track_db_users)),
        (
            "keep_noop_updates",
            serde_json::json!(declared.keep_noop_updates),
        ),
        (
            "exclude",
            serde_json::Value::Array(
                declared
                    .exclude
                    .iter()
                    .map(|p| pattern_json(p, None))
                    .collect(),
            ),
        ),
        (
            "mask",
            serde_json::Value::Array(
                declared
                    .mask
                    .iter()
                    .map(|(p, c)| pattern_json(p, Some(c)))
                    .collect(),
            ),
        ),
        (
            "ignore",
            serde_json::Value::Array(
                declared
                    .ignore
                    .iter()
                    .map(|(p, c)| pattern_json(p, Some(c)))
                    .collect(),
            ),
        ),
    ];
    for (name, value) in values {
        SettingsUpsert {
            schema: audit_schema,
        }
        .render()
        .query()
        .bind(name)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The rules and settings recorded by the application's last attach, for the `pg-audit`
/// command: what it re-applies when run without the application. Each table's registry
/// entry, and the patterns the application declared (which also cover tables created since).
pub(crate) fn rules_from_registry(
    entries: &[RegistryEntry],
    declared: &DeclaredSettings,
) -> TableRules {
    let pattern = |e: &RegistryEntry| TablePattern {
        schema: Some(e.schema_name.clone()),
        name: e.table_name.clone(),
    };
    TableRules {
        schemas: declared.schemas.clone(),
        exclude: entries
            .iter()
            .filter(|e| e.excluded && e.excluded_by == Some(ExcludedBy::Declaration))
            .map(pattern)
            .chain(declared.exclude.iter().cloned())
            .collect(),
        mask: entries
            .iter()
            .filter(|e| !e.masked_columns.is_empty())
            .map(|e| (pattern(e), e.masked_columns.clone()))
            .chain(declared.mask.iter().cloned())
            .collect(),
        ignore: entries
            .iter()
            .filter(|e| !e.ignored_columns.is_empty())
            .map(|e| (pattern(e), e.ignored_columns.clone()))
            .chain(declared.ignore.iter().cloned())
            .collect(),
    }
}
