//! What is audited right now, compared with what the application declared.

use crate::config::TableRules;
use crate::error::Result;
use crate::names::QualifiedName;
use crate::schema::attach::{self, ActionKind, ActionReason, AttachOptions};
use crate::schema::event;
use crate::schema::registry;
use crate::settings::SchemaSettings;
use crate::sql::templates::{CatalogIntegrity, CatalogPartitionIntegrity};
use crate::sql::SqlQuery;
use crate::text_table::TextTable;
use sqlx::{PgConnection, PgPool};
use std::fmt;

/// The state of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableState {
    /// Audit triggers present, enabled and as declared.
    Audited,
    /// Eligible but without audit triggers (run `pg-audit attach`).
    NotAudited,
    /// Excluded and without audit triggers.
    Excluded,
    /// Audit triggers present but out of date, disabled, or present on an excluded table.
    Stale,
}

impl TableState {
    /// The word `pg-audit status` prints.
    pub fn label(self) -> &'static str {
        match self {
            TableState::Audited => "audited",
            TableState::NotAudited => "not audited",
            TableState::Excluded => "excluded",
            TableState::Stale => "stale",
        }
    }
}

/// The status of one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableStatus {
    /// The table.
    pub table: QualifiedName,
    /// Its state.
    pub state: TableState,
    /// Key, masked and ignored columns, or why it is stale.
    pub detail: String,
}

/// Something in the audit schema that is not as `migrate` and `attach` left it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Finding {
    /// The object: a trigger, a function, a table or a registered table name.
    pub object: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The status of every table of the audited schemas, and what else is not as declared.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusReport {
    /// One entry per table, in name order.
    pub tables: Vec<TableStatus>,
    /// Problems of the audit schema itself: the append-only guard, the ownership and
    /// privileges of the audit functions and tables, registered tables that are gone,
    /// leftover bookkeeping rows.
    pub findings: Vec<Finding>,
    /// Whether the automatic attach is on: new and altered tables are attached inside their
    /// DDL's transaction (`pg-audit attach --auto`).
    pub automatic_attach: bool,
    /// Whether the DDL trail is on: DDL on audited tables and on the audit schema is
    /// recorded as `DDL` rows (`pg-audit attach --ddl-trail`, or `--auto`).
    pub ddl_trail: bool,
    /// What the trail cannot record while it is off (empty when it is on).
    pub ddl_not_recorded: Vec<String>,
}

impl StatusReport {
    /// Whether auditing is exactly as declared: every eligible table audited by current,
    /// enabled triggers, no excluded table audited, and no finding. `pg-audit status --check`
    /// exits non-zero otherwise.
    pub fn is_as_declared(&self) -> bool {
        self.findings.is_empty()
            && self
                .tables
                .iter()
                .all(|t| matches!(t.state, TableState::Audited | TableState::Excluded))
    }
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Labels line up at ten characters; "not audited" widens the column by one.
        let mut table = TextTable::new(10);
        for t in &self.tables {
            table.row([
                t.state.label().to_string(),
                t.table.to_string(),
                t.detail.clone(),
            ]);
        }
        for finding in &self.findings {
            table.row([
                "problem".to_string(),
                finding.object.clone(),
                finding.problem.clone(),
            ]);
        }
        let on_off = |on: bool| if on { "on" } else { "off" };
        table.row([
            on_off(self.automatic_attach).to_string(),
            "automatic attach".to_string(),
            if self.automatic_attach {
                "new and altered tables are attached inside their DDL's transaction".to_string()
            } else {
                "new tables stay unaudited until `pg-audit attach` (`attach --auto` turns it on)"
                    .to_string()
            },
        ]);
        table.row([
            on_off(self.ddl_trail).to_string(),
            "DDL trail".to_string(),
            if self.ddl_trail {
                "DDL on audited tables and on the audit schema is recorded as DDL rows".to_string()
            } else {
                format!(
                    "not recorded: {} (`attach --ddl-trail` turns it on)",
                    self.ddl_not_recorded.join(", ")
                )
            },
        ]);
        table.fmt(f)
    }
}

/// The rules and settings the application last declared (recorded by its attach), for
/// tools that run without the application, such as the `pg-audit` command.
pub async fn registered_rules(
    pool: &PgPool,
    settings: &SchemaSettings,
) -> Result<(TableRules, SchemaSettings)> {
    let mut conn = crate::sql::begin_pinned(pool).await?;
    registered_rules_on(&mut conn, settings).await
}

async fn registered_rules_on(
    conn: &mut PgConnection,
    settings: &SchemaSettings,
) -> Result<(TableRules, SchemaSettings)> {
    crate::schema::catalog::require_migrated(conn, &settings.audit_schema).await?;
    let entries = registry::load(conn, &settings.audit_schema).await?;
    let declared = registry::load_settings(conn, &settings.audit_schema).await?;
    let declared = declared.unwrap_or_else(|| {
        registry::DeclaredSettings::of(
            settings,
            &TableRules {
                schemas: vec!["public".into()],
                ..Default::default()
            },
        )
    });
    let settings = SchemaSettings {
        track_db_users: declared.track_db_users,
        keep_noop_updates: declared.keep_noop_updates,
        ..settings.clone()
    };
    Ok((registry::rules_from_registry(&entries, &declared), settings))
}

/// Reports each table of the declared schemas as audited, not audited, excluded or stale.
pub async fn status(pool: &PgPool, settings: &SchemaSettings) -> Result<StatusReport> {
    let mut tx = crate::sql::begin_pinned(pool).await?;
    let (rules, settings) = registered_rules_on(&mut tx, settings).await?;
    let work = attach::plan(
        &mut tx,
        &settings,
        &rules,
        &AttachOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .await?;
    let findings: Vec<Finding> = CatalogIntegrity {
        schema: &settings.audit_schema,
    }
    .render()
    .query_as()
    .bind(&settings.audit_schema)
    .bind(settings.writer_role())
    .fetch_all(&mut *tx)
    .await?;
    let mut findings = findings;
    if crate::schema::catalog::is_partitioned(&mut tx, &settings.audit_schema).await? {
        let partition_findings: Vec<Finding> = CatalogPartitionIntegrity {
            schema: &settings.audit_schema,
            schema_name: &settings.audit_schema,
        }
        .render()
        .query_as()
        .fetch_all(&mut *tx)
        .await?;
        findings.extend(partition_findings);
    }
    let events = if event::available(&mut tx, &settings.audit_schema).await? {
        event::state(&mut tx, &settings.audit_schema).await?
    } else {
        event::EventState::default()
    };
    tx.rollback().await?;
    findings.extend(events.not_enabled_always.iter().map(|(name, enabled)| Finding {
        object: name.clone(),
        problem: format!(
            "event trigger not ENABLE ALWAYS (evtenabled {enabled}): run `pg-audit attach` as a superuser"
        ),
    }));
    let tables = work
        .plan
        .actions
        .into_iter()
        .map(|action| {
            let (state, detail) = match (action.kind, &action.reason) {
                (ActionKind::Unchanged, _) => (TableState::Audited, action.detail()),
                (ActionKind::Create, _) => (
                    TableState::NotAudited,
                    format!("{} (run `pg-audit attach`)", action.shape()),
                ),
                (ActionKind::Excluded, _) => (TableState::Excluded, action.detail()),
                (ActionKind::Replace, _) => (TableState::Stale, action.detail()),
                (ActionKind::Drop, ActionReason::Excluded(exclusion)) => (
                    TableState::Stale,
                    format!("{exclusion}, but audit triggers are present"),
                ),
                (ActionKind::Drop, _) => (TableState::Stale, action.detail()),
            };
            TableStatus {
                table: action.table,
                state,
                detail,
            }
        })
        .collect();
    Ok(StatusReport {
        tables,
        findings,
        automatic_attach: events.automatic_attach,
        ddl_trail: events.ddl_trail,
        ddl_not_recorded: if events.ddl_trail {
            Vec::new()
        } else {
            event::NOT_RECORDED_WITHOUT_TRAIL
                .iter()
                .map(|s| s.to_string())
                .collect()
        },
    })
}
