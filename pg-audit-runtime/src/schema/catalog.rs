//! What the database says about the tables that can be audited and the audit triggers that
//! exist. Read once per attach or status run, never per row.

use crate::error::{Error, Result};
use crate::names::QualifiedName;
use crate::sql::templates::{
    AuditRoleStanding, CatalogAuditFunctions, CatalogAuditTriggers, CatalogForeignAuditTriggers,
    CatalogPartitions, CatalogTableColumns, CatalogTables, CatalogTablesNotOwned,
    ContextFunctionsCurrent, TableExists,
};
use crate::sql::SqlQuery;
use sqlx::postgres::PgExecutor;
use sqlx::PgConnection;

/// A table that can be audited, as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableInfo {
    /// The table.
    pub name: QualifiedName,
    /// Whether it is a partitioned table (its partitions are audited through it).
    pub partitioned: bool,
    /// Primary-key columns in key order; empty when the table has no primary key.
    pub key_columns: Vec<String>,
    /// Live columns in table order.
    pub columns: Vec<String>,
    /// Columns of type json (not jsonb), whose text changes are compared as text.
    pub json_columns: Vec<String>,
    /// Partitions at any depth (partitioned tables only).
    pub partitions: Vec<Partition>,
}

/// One partition of a partitioned table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partition {
    /// The partition.
    pub name: QualifiedName,
    /// Whether it holds rows itself (not partitioned further).
    pub is_leaf: bool,
}

/// An audit trigger present on a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttachedTrigger {
    /// The table it is on.
    pub table: QualifiedName,
    /// Its name.
    pub trigger: String,
    /// `A` (enabled always), `O` (enabled), `R` (replica only) or `D` (disabled).
    pub enabled: String,
    /// The audit function it calls.
    pub function: String,
}

#[derive(sqlx::FromRow)]
struct TableRow {
    schema_name: String,
    table_name: String,
    partitioned: bool,
    key_columns: Vec<String>,
    columns: Vec<String>,
    json_columns: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct PartitionRow {
    root_schema: String,
    root_table: String,
    partition_schema: String,
    partition_table: String,
    is_leaf: bool,
}

#[derive(sqlx::FromRow)]
struct TriggerRow {
    table_schema: String,
    table_name: String,
    trigger_name: String,
    enabled: String,
    function_name: String,
}

/// The tables of `schemas` that can be audited (never those of the audit schema).
pub(crate) async fn load_tables(
    conn: &mut PgConnection,
    schemas: &[String],
    audit_schema: &str,
) -> Result<Vec<TableInfo>> {
    let rows: Vec<TableRow> = CatalogTables
        .render()
        .query_as()
        .bind(schemas)
        .bind(audit_schema)
        .fetch_all(&mut *conn)
        .await?;
    let partitions: Vec<PartitionRow> = CatalogPartitions
        .render()
        .query_as()
        .bind(schemas)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let name = QualifiedName::new(row.schema_name, row.table_name);
            let partitions = partitions
                .iter()
                .filter(|p| p.root_schema == name.schema && p.root_table == name.name)
                .map(|p| Partition {
                    name: QualifiedName::new(p.partition_schema.clone(), p.partition_table.clone()),
                    is_leaf: p.is_leaf,
                })
                .collect();
            TableInfo {
                name,
                partitioned: row.partitioned,
                key_columns: row.key_columns,
                columns: row.columns,
                json_columns: row.json_columns,
                partitions,
            }
        })
        .collect())
}

/// The audit triggers present on application tables.
pub(crate) async fn load_triggers(
    conn: &mut PgConnection,
    audit_schema: &str,
) -> Result<Vec<AttachedTrigger>> {
    let rows: Vec<TriggerRow> = CatalogAuditTriggers
        .render()
        .query_as()
        .bind(audit_schema)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| AttachedTrigger {
            table: QualifiedName::new(r.table_schema, r.table_name),
            trigger: r.trigger_name,
            enabled: r.enabled,
            function: r.function_name,
        })
        .collect())
}

/// The per-table audit functions of the audit schema.
pub(crate) async fn load_functions(
    conn: &mut PgConnection,
    audit_schema: &str,
) -> Result<Vec<String>> {
    Ok(CatalogAuditFunctions
        .render()
        .query_scalar()
        .bind(audit_schema)
        .fetch_all(&mut *conn)
        .await?)
}

/// A table of `schemas` carrying another audit schema's triggers, if any: `(table, that
/// audit schema)`. Ours could not be created beside them.
pub(crate) async fn foreign_audit_triggers(
    conn: &mut PgConnection,
    schemas: &[String],
    audit_schema: &str,
) -> Result<Option<(QualifiedName, String)>> {
    let row: Option<(String, String, String)> = CatalogForeignAuditTriggers
        .render()
        .query_as()
        .bind(schemas)
        .bind(audit_schema)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(schema, table, other)| (QualifiedName::new(schema, table), other)))
}

/// What a statement writing rows of one table needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct WritableTable {
    /// Primary-key columns in key order; empty when the table has no primary key.
    pub key_columns: Vec<String>,
    /// The columns a row can be written with (live, not generated), in table order.
    pub columns: Vec<String>,
}

/// The key and writable columns of `schema.table`, or `None` when there is no such table.
pub(crate) async fn writable_table<'e>(
    executor: impl PgExecutor<'e>,
    schema: &str,
    table: &str,
) -> Result<Option<WritableTable>> {
    Ok(CatalogTableColumns
        .render()
        .query_as()
        .bind(schema)
        .bind(table)
        .fetch_optional(executor)
        .await?)
}

/// Fails with a clear message when the audit schema has not been migrated.
pub(crate) async fn require_migrated(conn: &mut PgConnection, schema: &str) -> Result<()> {
    let migrated: bool = TableExists
        .render()
        .query_scalar()
        .bind(schema)
        .bind("pg_audit_log")
        .fetch_one(conn)
        .await?;
    if migrated {
        Ok(())
    } else {
        Err(Error::NotMigrated {
            schema: schema.to_string(),
        })
    }
}

/// Whether the audit schema's logs are partitioned (migration 7 applied).
pub(crate) async fn is_partitioned(conn: &mut PgConnection, schema: &str) -> Result<bool> {
    Ok(TableExists
        .render()
        .query_scalar()
        .bind(schema)
        .bind("pg_audit_log_data")
        .fetch_one(conn)
        .await?)
}

/// Whether the audit schema's context function has the body this version renders
/// (`context_body`) and the audit role may execute it (false when it is missing, older, or
/// predates the role).
pub(crate) async fn context_functions_current(
    conn: &mut PgConnection,
    settings: &crate::settings::SchemaSettings,
    context_body: &str,
) -> Result<bool> {
    Ok(ContextFunctionsCurrent
        .render()
        .query_scalar()
        .bind(&settings.audit_schema)
        .bind(settings.writer_role())
        .bind(context_body)
        .fetch_one(conn)
        .await?)
}

#[derive(sqlx::FromRow)]
struct RoleStanding {
    role_exists: bool,
    manages_roles: bool,
    may_hand_over: bool,
    me: String,
}

/// Fails with what to run when the connected role can neither create the audit role nor
/// hand it the trigger functions (managed PostgreSQL without CREATEROLE), before any
/// statement of a migrate or attach run fails half-way with PostgreSQL's terser message.
pub(crate) async fn check_audit_role(conn: &mut PgConnection, role: &str) -> Result<()> {
    let standing: RoleStanding = AuditRoleStanding
        .render()
        .query_as()
        .bind(role)
        .fetch_one(conn)
        .await?;
    if standing.manages_roles || standing.may_hand_over {
        return Ok(());
    }
    let (role, me) = (quote_name(role), quote_name(&standing.me));
    Err(Error::Privilege(if standing.role_exists {
        format!(
            "{me} is not a member of the audit role {role}, which it must be to hand it the \
             trigger functions; have an administrator run: GRANT {role} TO {me};"
        )
    } else {
        format!(
            "the audit role {role} does not exist and {me} may not create it; grant {me} \
             CREATEROLE, or have an administrator run: CREATE ROLE {role} NOLOGIN NOINHERIT; \
             GRANT {role} TO {me};"
        )
    }))
}

/// A role name as an administrator would type it in SQL.
fn quote_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Fails, naming each table and the grant to run, when the connected role cannot act as the
/// owner of a table whose audit triggers this run creates or drops (before any of them).
pub(crate) async fn check_table_owners(
    conn: &mut PgConnection,
    tables: &[QualifiedName],
) -> Result<()> {
    let (schemas, names): (Vec<&str>, Vec<&str>) = tables
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .unzip();
    let not_owned: Vec<(String, String, String, String)> = CatalogTablesNotOwned
        .render()
        .query_as()
        .bind(schemas)
        .bind(names)
        .fetch_all(&mut *conn)
        .await?;
    let Some((_, _, first_owner, me)) = not_owned.first() else {
        return Ok(());
    };
    let listed: Vec<String> = not_owned
        .iter()
        .map(|(schema, table, owner, _)| {
            format!(
                "{} (owner {})",
                QualifiedName::new(schema, table),
                quote_name(owner)
            )
        })
        .collect();
    Err(Error::Privilege(format!(
        "{me} cannot create or drop the audit triggers of {}: that takes the owner's rights; \
         have an administrator run: GRANT {} TO {me};",
        listed.join(", "),
        quote_name(first_owner),
        me = quote_name(me),
    )))
}
