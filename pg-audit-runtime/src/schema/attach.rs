//! Attach planning: which tables get audit triggers, which are replaced because their rules
//! or shape changed, which lose them, and which are already up to date. The plan is applied
//! in one transaction, under the migration lock and a lock timeout, so it never waits forever
//! behind a long-running transaction; a second run with no change does nothing.

use crate::config::TableRules;
use crate::error::{Error, Result};
use crate::names::{display_ident, QualifiedName, TablePattern};
use crate::schema::catalog::{self, AttachedTrigger, TableInfo};
use crate::schema::event;
use crate::schema::lock;
use crate::schema::registry::{self, DeclaredSettings, ExcludedBy, RegistryEntry};
use crate::schema::trigger::{self, TableRule};
use crate::settings::SchemaSettings;
use crate::sql::templates::ContextFunctions;
use crate::sql::Sql;
use crate::sql::SqlQuery;
use crate::text_table::TextTable;
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeSet;
use std::fmt;

/// Options of one attach run (the `pg-audit attach` flags).
///
/// ```
/// let options = pg_audit_runtime::AttachOptions { dry_run: true, ..Default::default() };
/// assert!(!options.remove);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachOptions {
    /// Compute and return the plan without changing anything.
    pub dry_run: bool,
    /// Remove every audit trigger (the rules stay in the registry for a later attach).
    pub remove: bool,
    /// Tables to exclude from now on (remembered in the registry).
    pub exclude: Vec<TablePattern>,
    /// Tables excluded earlier with `exclude` to audit again.
    pub include: Vec<TablePattern>,
    /// Limit this run to these schemas (default: the declared schemas).
    pub schemas: Option<Vec<String>>,
    /// Turn the automatic attach on (`Some(true)`: new and altered tables are attached inside
    /// their DDL's transaction; it turns the DDL trail on too) or off (`Some(false)`);
    /// `None` leaves it as it is. Needs a superuser (event triggers).
    pub automatic_attach: Option<bool>,
    /// Turn the DDL trail on or off (`None`: as it is): DDL on audited tables and on the
    /// audit schema recorded as `DDL` rows. Needs a superuser (event triggers).
    pub ddl_trail: Option<bool>,
}

/// What attach does with one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Audit triggers are created.
    Create,
    /// Audit triggers are replaced: the table's rules, key or partitions changed, or a trigger
    /// is missing or disabled.
    Replace,
    /// Audit triggers are removed (the table is excluded, or `--remove`).
    Drop,
    /// Already audited as declared.
    Unchanged,
    /// Excluded, and has no audit triggers.
    Excluded,
}

impl ActionKind {
    /// The word the plan prints.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Replace => "replace",
            ActionKind::Drop => "drop",
            ActionKind::Unchanged => "ok",
            ActionKind::Excluded => "excluded",
        }
    }
}

/// Why attach does what it does with a table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionReason {
    /// Audited, or to be audited, as declared.
    AsDeclared,
    /// The audit triggers exist but must be replaced.
    Stale(Staleness),
    /// The table is excluded.
    Excluded(Exclusion),
    /// `attach --remove` removes every audit trigger (the rules stay for a later attach).
    Removed,
}

/// Why audit triggers that exist must be replaced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Staleness {
    /// A trigger is disabled, or enabled only for some replication roles.
    NotEnabledAlways {
        /// The trigger.
        trigger: String,
        /// The table (or partition) it is on.
        table: QualifiedName,
    },
    /// The triggers call another function: the table was renamed or moved.
    CallsAnotherFunction,
    /// A trigger is missing or unexpected: the key or the partitions changed.
    TriggersChanged,
    /// The declared rules or the table's columns changed since the triggers were made.
    DefinitionChanged,
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Staleness::NotEnabledAlways { trigger, table } => {
                write!(f, "trigger {trigger} on {table} is not enabled always")
            }
            Staleness::CallsAnotherFunction => {
                f.write_str("triggers call another function (table renamed?)")
            }
            Staleness::TriggersChanged => {
                f.write_str("triggers missing or unexpected (key or partitions changed?)")
            }
            Staleness::DefinitionChanged => f.write_str("rules or table shape changed"),
        }
    }
}

/// Who or what excludes a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// `--exclude` of this run.
    ByCommand,
    /// `--exclude` of an earlier run, remembered until `--include`.
    ByEarlierCommand,
    /// The declared rules or settings, or a migration-history table.
    ByDeclaration,
}

impl Exclusion {
    /// What the registry remembers of it.
    fn origin(self) -> ExcludedBy {
        match self {
            Exclusion::ByCommand | Exclusion::ByEarlierCommand => ExcludedBy::Command,
            Exclusion::ByDeclaration => ExcludedBy::Declaration,
        }
    }
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exclusion::ByCommand => "excluded by --exclude",
            Exclusion::ByEarlierCommand => {
                "excluded earlier by --exclude (use --include to audit it again)"
            }
            Exclusion::ByDeclaration => "excluded by the declared settings",
        })
    }
}

/// The plan for one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableAction {
    /// The table.
    pub table: QualifiedName,
    /// What happens to it.
    pub kind: ActionKind,
    /// Why.
    pub reason: ActionReason,
    /// Its primary-key columns (empty: audited row by row, record_id NULL).
    pub key_columns: Vec<String>,
    /// Its partitions, when it is partitioned.
    pub partitions: usize,
    /// Columns stored masked.
    pub masked_columns: Vec<String>,
    /// Columns whose changes alone are not recorded.
    pub ignored_columns: Vec<String>,
}

impl TableAction {
    /// The table's shape as audited: its key (or row-level), partitions, masked and ignored
    /// columns.
    pub fn shape(&self) -> String {
        let mut parts = vec![match self.key_columns.as_slice() {
            [] => "no primary key: row-level".to_string(),
            keys => format!(
                "key ({})",
                keys.iter()
                    .map(|k| display_ident(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }];
        if self.partitions > 0 {
            parts.push(format!("{} partitions", self.partitions));
        }
        if !self.masked_columns.is_empty() {
            parts.push(format!("masked: {}", self.masked_columns.join(", ")));
        }
        if !self.ignored_columns.is_empty() {
            parts.push(format!("ignored: {}", self.ignored_columns.join(", ")));
        }
        parts.join(", ")
    }

    /// The line the plan prints after the table's name: why, then the shape.
    pub fn detail(&self) -> String {
        let dropped = if self.kind == ActionKind::Drop {
            ": audit triggers removed"
        } else {
            ""
        };
        match &self.reason {
            ActionReason::AsDeclared => self.shape(),
            ActionReason::Stale(why) => format!("{why}; {}", self.shape()),
            ActionReason::Excluded(exclusion) => format!("{exclusion}{dropped}"),
            ActionReason::Removed => format!("--remove{dropped}"),
        }
    }
}

/// The result of planning an attach run; `applied` says whether it was carried out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachPlan {
    /// One entry per table in the audited schemas, in name order.
    pub actions: Vec<TableAction>,
    /// Whether the plan was applied (false for a dry run).
    pub applied: bool,
    /// Whether the automatic attach is on after this run.
    pub automatic_attach: bool,
    /// Whether the DDL trail is on after this run.
    pub ddl_trail: bool,
    /// Why the automatic attach or the DDL trail could not be turned on or off as asked (the
    /// role may not create event triggers); everything else was applied.
    pub event_triggers_refused: Option<String>,
}

impl AttachPlan {
    /// Whether applying the plan changes anything.
    pub fn has_changes(&self) -> bool {
        self.actions.iter().any(|a| {
            matches!(
                a.kind,
                ActionKind::Create | ActionKind::Replace | ActionKind::Drop
            )
        })
    }

    /// The action for one table, if it is in the plan.
    pub fn action(&self, schema: &str, table: &str) -> Option<&TableAction> {
        self.actions
            .iter()
            .find(|a| a.table.schema == schema && a.table.name == table)
    }
}

impl fmt::Display for AttachPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.actions.is_empty() {
            return writeln!(f, "no tables found in the audited schemas");
        }
        // Labels line up at seven characters; "excluded" widens the column by one.
        let mut table = TextTable::new(7);
        for action in &self.actions {
            table.row([
                action.kind.label().to_string(),
                action.table.to_string(),
                action.detail(),
            ]);
        }
        table.fmt(f)
    }
}

/// Plans and, unless `options.dry_run`, applies audit triggers for the tables of the audited
/// schemas.
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::{attach, AttachOptions, SchemaSettings, TableRules, Tables};
/// let rules = TableRules::from_tables(&Tables::PUBLIC)?;
/// let plan = attach(&pool, &SchemaSettings::default(), &rules, &AttachOptions::default()).await?;
/// print!("{plan}");
/// # Ok(()) }
/// ```
pub async fn attach(
    pool: &PgPool,
    settings: &SchemaSettings,
    rules: &TableRules,
    options: &AttachOptions,
) -> Result<AttachPlan> {
    settings.validate()?;
    let mut tx = crate::sql::begin_pinned(pool).await?;
    lock::acquire(&mut tx, settings).await?;
    catalog::require_migrated(&mut tx, &settings.audit_schema).await?;
    let living = event::available(&mut tx, &settings.audit_schema).await?;
    let before = if living {
        event::state(&mut tx, &settings.audit_schema).await?
    } else {
        event::EventState::default()
    };
    let mut work = plan(&mut tx, settings, rules, options).await?;
    work.plan.automatic_attach = before.automatic_attach;
    work.plan.ddl_trail = before.ddl_trail;
    if options.dry_run {
        tx.rollback().await?;
        return Ok(work.plan);
    }
    let request = event::EventRequest {
        ddl_trail: options.ddl_trail,
        automatic_attach: options.automatic_attach,
    };
    if !living {
        let plan = apply(&mut tx, settings, work).await?;
        tx.commit().await?;
        return Ok(AttachPlan {
            event_triggers_refused: (request != event::EventRequest::default()).then(|| {
                "the audit schema predates migration 6: run `pg-audit migrate` first".to_string()
            }),
            ..plan
        });
    }
    event::begin_run(&mut tx, &settings.audit_schema).await?;
    let mut plan = apply(&mut tx, settings, work).await?;
    let (after, refused) = event::apply(&mut tx, settings, request).await?;
    if after.ddl_trail
        && (plan.has_changes()
            || after.ddl_trail != before.ddl_trail
            || after.automatic_attach != before.automatic_attach)
    {
        event::record_run(
            &mut tx,
            &settings.audit_schema,
            "pg-audit attach",
            run_summary(&plan, &after),
        )
        .await?;
    }
    event::end_run(&mut tx, &settings.audit_schema).await?;
    tx.commit().await?;
    plan.automatic_attach = after.automatic_attach;
    plan.ddl_trail = after.ddl_trail;
    plan.event_triggers_refused = refused;
    Ok(plan)
}

/// What an attach run records of itself in the DDL trail: each table it changed, and the
/// state of the event triggers.
fn run_summary(plan: &AttachPlan, after: &event::EventState) -> serde_json::Value {
    let changes: Vec<serde_json::Value> = plan
        .actions
        .iter()
        .filter(|a| {
            matches!(
                a.kind,
                ActionKind::Create | ActionKind::Replace | ActionKind::Drop
            )
        })
        .map(|a| serde_json::json!({ "table": a.table.to_string(), "action": a.kind.label() }))
        .collect();
    serde_json::json!({
        "changes": changes,
        "automatic_attach": after.automatic_attach,
        "ddl_trail": after.ddl_trail,
    })
}

/// A plan with what it takes to carry it out.
pub(crate) struct PlannedWork {
    pub plan: AttachPlan,
    /// SQL dropping triggers and functions, then creating triggers, in that order.
    pub sql: Vec<Sql>,
    pub registry: Vec<RegistryEntry>,
    pub forget: Vec<QualifiedName>,
    /// Tables (partitions included) on which this run creates or drops audit triggers.
    pub touched: Vec<QualifiedName>,
    pub declared: DeclaredSettings,
    pub context_functions_stale: bool,
}

/// Computes the plan on a connection that holds the migration lock.
pub(crate) async fn plan(
    conn: &mut PgConnection,
    settings: &SchemaSettings,
    rules: &TableRules,
    options: &AttachOptions,
) -> Result<PlannedWork> {
    let audit_schema = settings.audit_schema.as_str();
    let declared_schemas = rules.schemas_or_public();
    let schemas = options
        .schemas
        .clone()
        .unwrap_or_else(|| declared_schemas.clone());
    let tables = catalog::load_tables(conn, &schemas, audit_schema).await?;
    for pattern in options.exclude.iter().chain(&options.include) {
        if !tables
            .iter()
            .any(|t| pattern.matches(&t.name.schema, &t.name.name))
        {
            return Err(Error::UnknownTable(pattern.to_string()));
        }
    }
    let entries = registry::load(conn, audit_schema).await?;
    let present = catalog::load_triggers(conn, audit_schema).await?;
    if let Some((table, other)) =
        catalog::foreign_audit_triggers(conn, &schemas, audit_schema).await?
    {
        return Err(Error::invalid(
            "audit schema",
            format!(
                "table {table} already has the audit triggers of audit schema {other}; remove them first \
                 (`pg-audit --audit-schema {other} attach --remove`) or keep using that audit schema"
            ),
        ));
    }
    let functions = catalog::load_functions(conn, audit_schema).await?;
    let declared = DeclaredSettings {
        schemas: declared_schemas,
        ..DeclaredSettings::of(settings, rules)
    };
    let context_functions_stale = registry::load_settings(conn, audit_schema).await?.as_ref()
        != Some(&declared)
        || !catalog::context_functions_current(conn, settings, context_body(settings).as_str())
            .await?;

    let mut work = PlannedWork {
        plan: AttachPlan {
            actions: Vec::new(),
            applied: false,
            automatic_attach: false,
            ddl_trail: false,
            event_triggers_refused: None,
        },
        sql: Vec::new(),
        registry: Vec::new(),
        forget: Vec::new(),
        touched: Vec::new(),
        declared,
        context_functions_stale,
    };
    let mut drops: Vec<&AttachedTrigger> = Vec::new();
    let mut creates: Vec<Sql> = Vec::new();
    let mut kept_functions: BTreeSet<String> = BTreeSet::new();

    for table in &tables {
        let entry = entries
            .iter()
            .find(|e| e.schema_name == table.name.schema && e.table_name == table.name.name);
        let on_table: Vec<&AttachedTrigger> =
            present.iter().filter(|t| belongs_to(t, table)).collect();
        let exclusion = exclusion(table, rules, options, entry);
        let rule = table_rule(table, rules, settings)?;
        let mut action = TableAction {
            table: table.name.clone(),
            kind: ActionKind::Unchanged,
            reason: ActionReason::AsDeclared,
            key_columns: table.key_columns.clone(),
            partitions: if table.partitioned {
                table.partitions.len()
            } else {
                0
            },
            masked_columns: rule.masked.clone(),
            ignored_columns: rule.ignored.clone(),
        };
        let mut registry_entry = RegistryEntry {
            schema_name: table.name.schema.clone(),
            table_name: table.name.name.clone(),
            excluded: exclusion.is_some(),
            excluded_by: exclusion.map(Exclusion::origin),
            masked_columns: rule.masked.clone(),
            ignored_columns: rule.ignored.clone(),
            definition_hash: None,
        };
        if options.remove || exclusion.is_some() {
            action.reason = match exclusion {
                Some(exclusion) if !options.remove => ActionReason::Excluded(exclusion),
                _ => ActionReason::Removed,
            };
            if on_table.is_empty() {
                action.kind = ActionKind::Excluded;
            } else {
                action.kind = ActionKind::Drop;
                drops.extend(on_table.iter().copied());
            }
            if options.remove {
                // --remove keeps the rules, so a later attach restores the same triggers.
                registry_entry.excluded = entry.is_some_and(|e| e.excluded);
                registry_entry.excluded_by = entry.and_then(|e| e.excluded_by);
            }
        } else {
            let rendered = trigger::render_table(audit_schema, table, &rule);
            registry_entry.definition_hash = Some(rendered.definition_hash.clone());
            kept_functions.insert(rendered.function_name.clone());
            let stale = staleness(&rendered, &on_table, entry);
            match (on_table.is_empty(), stale) {
                (true, _) => {
                    action.kind = ActionKind::Create;
                    work.touched
                        .extend(rendered.triggers.iter().map(|(t, _)| t.clone()));
                    creates.push(rendered.create);
                }
                (false, Some(why)) => {
                    action.kind = ActionKind::Replace;
                    action.reason = ActionReason::Stale(why);
                    drops.extend(on_table.iter().copied());
                    work.touched
                        .extend(rendered.triggers.iter().map(|(t, _)| t.clone()));
                    creates.push(rendered.create);
                }
                (false, None) => {}
            }
        }
        work.plan.actions.push(action);
        work.registry.push(registry_entry);
    }
    for entry in &entries {
        let in_scope = schemas.contains(&entry.schema_name);
        if in_scope
            && !tables
                .iter()
                .any(|t| t.name.schema == entry.schema_name && t.name.name == entry.table_name)
        {
            work.forget.push(entry.name());
        }
    }
    // Functions still called by triggers this run does not touch are kept.
    for t in &present {
        if !drops.contains(&t) {
            kept_functions.insert(t.function.clone());
        }
    }
    let orphan_functions: Vec<String> = functions
        .into_iter()
        .filter(|f| !kept_functions.contains(f))
        .collect();
    work.touched.extend(drops.iter().map(|t| t.table.clone()));
    work.touched.sort();
    work.touched.dedup();
    let drop_sql = trigger::render_drop(audit_schema, &drops, &orphan_functions);
    if !drop_sql.is_empty() {
        work.sql.push(drop_sql);
    }
    work.sql.extend(creates);
    Ok(work)
}

/// Applies a plan on the connection that computed it.
pub(crate) async fn apply(
    conn: &mut PgConnection,
    settings: &SchemaSettings,
    work: PlannedWork,
) -> Result<AttachPlan> {
    if !work.sql.is_empty() {
        // Trigger functions are created and dropped as a member of the audit role,
        // triggers as the owner of their table: say so before any statement fails.
        catalog::check_audit_role(conn, &settings.writer_role()).await?;
        catalog::check_table_owners(conn, &work.touched).await?;
    }
    let audit_schema = settings.audit_schema.as_str();
    if work.context_functions_stale {
        context_functions(settings).execute(&mut *conn).await?;
        registry::save_settings(conn, audit_schema, &work.declared).await?;
    }
    for sql in work.sql {
        sql.execute(&mut *conn).await?;
    }
    for entry in &work.registry {
        registry::save(conn, audit_schema, entry).await?;
    }
    for table in &work.forget {
        registry::forget(conn, audit_schema, table).await?;
    }
    if event::available(&mut *conn, audit_schema).await? {
        event::refresh_functions(&mut *conn, settings).await?;
    }
    Ok(AttachPlan {
        applied: true,
        ..work.plan
    })
}

/// The functions the triggers call to read the request context, with the settings baked in.
pub(crate) fn context_functions(settings: &SchemaSettings) -> Sql {
    use crate::sql::templates::ContextJsonCheckBody;
    ContextFunctions {
        schema: &settings.audit_schema,
        role: &settings.writer_role(),
        json_check_body: &ContextJsonCheckBody.render(),
        context_body: &context_body(settings),
    }
    .render()
}

/// The body of `pg_audit_context()` as this version renders it for these settings.
fn context_body(settings: &SchemaSettings) -> Sql {
    crate::sql::templates::ContextBody {
        schema: &settings.audit_schema,
        track_db_users: if settings.track_db_users {
            "true"
        } else {
            "false"
        },
    }
    .render()
}

fn belongs_to(trigger: &AttachedTrigger, table: &TableInfo) -> bool {
    trigger.table == table.name || table.partitions.iter().any(|p| p.name == trigger.table)
}

/// Whether and why a table is excluded: by the command (remembered until `--include`), or
/// by the declaration (rules, settings, migration-history tables).
fn exclusion(
    table: &TableInfo,
    rules: &TableRules,
    options: &AttachOptions,
    entry: Option<&RegistryEntry>,
) -> Option<Exclusion> {
    let (schema, name) = (&table.name.schema, &table.name.name);
    if options.exclude.iter().any(|p| p.matches(schema, name)) {
        return Some(Exclusion::ByCommand);
    }
    let included_again = options.include.iter().any(|p| p.matches(schema, name));
    if !included_again && entry.is_some_and(|e| e.excluded_by == Some(ExcludedBy::Command)) {
        return Some(Exclusion::ByEarlierCommand);
    }
    if rules.is_excluded(schema, name) {
        return Some(Exclusion::ByDeclaration);
    }
    None
}

/// The rules one table is attached with, checked against its columns.
pub(crate) fn table_rule(
    table: &TableInfo,
    rules: &TableRules,
    settings: &SchemaSettings,
) -> Result<TableRule> {
    let masked = rules.masked_columns(&table.name.schema, &table.name.name);
    let ignored = rules.ignored_columns(&table.name.schema, &table.name.name);
    check_columns(table, &masked, &ignored)?;
    Ok(TableRule {
        masked,
        ignored,
        keep_noop_updates: settings.keep_noop_updates,
    })
}

/// Masked and ignored columns must exist: a typo in a masked column would store the secret.
fn check_columns(table: &TableInfo, masked: &[String], ignored: &[String]) -> Result<()> {
    for (column, role) in masked
        .iter()
        .map(|c| (c, "masked"))
        .chain(ignored.iter().map(|c| (c, "ignored")))
    {
        if !table.columns.contains(column) {
            return Err(Error::invalid(
                "table rules",
                format!(
                    "{role} column {} does not exist in table {}",
                    display_ident(column),
                    table.name
                ),
            ));
        }
    }
    if let Some(column) = masked.iter().find(|c| table.key_columns.contains(c)) {
        return Err(Error::invalid(
            "table rules",
            format!("column {} of {} is part of its primary key and cannot be masked (record_id holds the key)", display_ident(column), table.name),
        ));
    }
    Ok(())
}

/// Why triggers that exist must be replaced, if they must.
fn staleness(
    rendered: &trigger::TableTriggers,
    present: &[&AttachedTrigger],
    entry: Option<&RegistryEntry>,
) -> Option<Staleness> {
    let expected: BTreeSet<(&QualifiedName, &str)> =
        rendered.triggers.iter().map(|(t, n)| (t, *n)).collect();
    let actual: BTreeSet<(&QualifiedName, &str)> = present
        .iter()
        .map(|t| (&t.table, t.trigger.as_str()))
        .collect();
    if let Some(t) = present.iter().find(|t| t.enabled != "A") {
        return Some(Staleness::NotEnabledAlways {
            trigger: t.trigger.clone(),
            table: t.table.clone(),
        });
    }
    if present.iter().any(|t| t.function != rendered.function_name) {
        return Some(Staleness::CallsAnotherFunction);
    }
    if expected != actual {
        return Some(Staleness::TriggersChanged);
    }
    if entry.and_then(|e| e.definition_hash.as_deref()) != Some(rendered.definition_hash.as_str()) {
        return Some(Staleness::DefinitionChanged);
    }
    None
}

/// The SQL that attaches every table the rules audit (context functions first), whatever is
/// attached now: for `pg-audit sql`, to review or to run with another migration tool.
pub async fn attach_sql(
    pool: &PgPool,
    settings: &SchemaSettings,
    rules: &TableRules,
) -> Result<Sql> {
    settings.validate()?;
    let mut conn = crate::sql::begin_pinned(pool).await?;
    let schemas = rules.schemas_or_public();
    let tables = catalog::load_tables(&mut conn, &schemas, &settings.audit_schema).await?;
    // Tables excluded with `attach --exclude` stay out of the export too.
    let excluded_by_command: Vec<QualifiedName> =
        match catalog::require_migrated(&mut conn, &settings.audit_schema).await {
            Ok(()) => registry::load(&mut conn, &settings.audit_schema)
                .await?
                .into_iter()
                .filter(|e| e.excluded_by == Some(ExcludedBy::Command))
                .map(|e| e.name())
                .collect(),
            Err(_) => Vec::new(),
        };
    let mut statements = vec![context_functions(settings)];
    for table in tables.iter().filter(|t| {
        !rules.is_excluded(&t.name.schema, &t.name.name) && !excluded_by_command.contains(&t.name)
    }) {
        let rule = table_rule(table, rules, settings)?;
        statements.push(trigger::render_table(&settings.audit_schema, table, &rule).create);
    }
    Ok(Sql::join(statements, "\n\n"))
}
