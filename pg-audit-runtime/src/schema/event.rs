//! The living schema: event triggers that record DDL on audited tables and on the audit
//! schema in the trail (the DDL trail), and that attach new and altered tables inside the
//! DDL's own transaction (the automatic attach). Both are opt-in and need a superuser to
//! install, since only superusers may create event triggers; their functions belong to the
//! audit schema's owner and render the triggers from the same templates as `trigger.rs`.

use crate::config::MIGRATION_HISTORY_TABLES;
use crate::error::{Error, Result};
use crate::schema::trigger::stable_hash;
use crate::settings::SchemaSettings;
use crate::sql::templates::{
    CatalogEventTriggers, CreateEventTrigger, CreateStatementTriggers, CreateTruncateTrigger,
    DdlTokenBegin, DdlTokenEnd, DropEventTrigger, DropTrigger, DropTriggerFunction, EventFillBody,
    EventFnvBody, EventFunctions, EventFunctionsDrop, EventRenderBody, EventRulesBody,
    EventSyncBody, EventSyncDdlBody, EventSyncDropBody, EventTrailDdlBody, EventTrailDropBody,
    ExprChangedFields, ExprColumnChanged, ExprColumnUnchanged, ExprCountsEqual, ExprJsonChanged,
    ExprJsonColumnChanged, ExprJsonText, ExprKeyArray, ExprKeyValue, ExprMasked, ExprNewValues,
    ExprNotIgnored, ExprRecordIdComposite, ExprRecordIdSingle, ExprRecordKey,
    MayCreateEventTriggers, RecordDdl, SettingsSelect, SettingsUpsert, TableExists, TriggerBody,
    TriggerFunction, TriggerUpdatePaired, TriggerUpdateUnpaired,
};
use crate::sql::{Sql, SqlQuery};
use sqlx::PgConnection;

/// The names of the per-table audit triggers.
const AUDIT_TRIGGER_NAMES: [&str; 4] = [
    "pg_audit_insert",
    "pg_audit_update",
    "pg_audit_delete",
    "pg_audit_truncate",
];

/// The settings row remembering which version of the event functions is installed.
const FUNCTIONS_SETTING: &str = "event_functions";

/// One event trigger pg-audit installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventTrigger {
    /// The DDL trail at the end of each DDL command.
    TrailDdl,
    /// The DDL trail for dropped objects.
    TrailDrop,
    /// The automatic attach at the end of each DDL command.
    SyncDdl,
    /// The automatic attach after objects are dropped.
    SyncDrop,
}

impl EventTrigger {
    const TRAIL: [EventTrigger; 2] = [EventTrigger::TrailDdl, EventTrigger::TrailDrop];
    const SYNC: [EventTrigger; 2] = [EventTrigger::SyncDdl, EventTrigger::SyncDrop];

    /// Its name: the kind first, so the trail's sort (and fire) before the automatic
    /// attach's, then the audit schema, readable and hashed like the trigger functions.
    fn name(self, audit_schema: &str) -> String {
        let kind = match self {
            EventTrigger::TrailDdl => "ddl",
            EventTrigger::TrailDrop => "drop",
            EventTrigger::SyncDdl => "sync",
            EventTrigger::SyncDrop => "sync_drop",
        };
        let readable: String = audit_schema
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        format!(
            "pg_audit_{kind}_{readable}_{:08x}",
            stable_hash(audit_schema.as_bytes()) & 0xffff_ffff
        )
    }

    fn event(self) -> &'static str {
        match self {
            EventTrigger::TrailDdl | EventTrigger::SyncDdl => "ddl_command_end",
            EventTrigger::TrailDrop | EventTrigger::SyncDrop => "sql_drop",
        }
    }

    fn function(self) -> &'static str {
        match self {
            EventTrigger::TrailDdl => "pg_audit_trail_ddl",
            EventTrigger::TrailDrop => "pg_audit_trail_drop",
            EventTrigger::SyncDdl => "pg_audit_sync_ddl",
            EventTrigger::SyncDrop => "pg_audit_sync_drop",
        }
    }
}

/// What the event triggers of an audit schema do right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EventState {
    /// The DDL trail's event triggers are present and enabled always.
    pub ddl_trail: bool,
    /// The automatic attach's event triggers are present and enabled always.
    pub automatic_attach: bool,
    /// Event triggers of the audit schema that are present but not ENABLE ALWAYS.
    pub not_enabled_always: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct EventTriggerRow {
    name: String,
    function_name: String,
    enabled: String,
}

/// Whether the audit schema has the tables of migration 6 (the tokens table), which the
/// event functions need.
pub(crate) async fn available(conn: &mut PgConnection, audit_schema: &str) -> Result<bool> {
    Ok(TableExists
        .render()
        .query_scalar()
        .bind(audit_schema)
        .bind("pg_audit_ddl_tokens")
        .fetch_one(conn)
        .await?)
}

/// The event triggers of the audit schema, read from the catalog.
pub(crate) async fn state(conn: &mut PgConnection, audit_schema: &str) -> Result<EventState> {
    let rows: Vec<EventTriggerRow> = CatalogEventTriggers
        .render()
        .query_as()
        .bind(audit_schema)
        .fetch_all(conn)
        .await?;
    let on = |kinds: [EventTrigger; 2]| {
        kinds.iter().all(|kind| {
            rows.iter()
                .any(|r| r.function_name == kind.function() && r.enabled == "A")
        })
    };
    Ok(EventState {
        ddl_trail: on(EventTrigger::TRAIL),
        automatic_attach: on(EventTrigger::SYNC),
        not_enabled_always: rows
            .iter()
            .filter(|r| r.enabled != "A")
            .map(|r| (r.name.clone(), r.enabled.clone()))
            .collect(),
    })
}

/// The event functions, rendered for the audit schema and its owner.
fn functions(settings: &SchemaSettings, owner: &str) -> Sql {
    let schema = settings.audit_schema.as_str();
    let role = settings.writer_role();
    let history: Vec<String> = MIGRATION_HISTORY_TABLES
        .iter()
        .map(|t| t.to_string())
        .collect();
    let trigger_names: Vec<String> = AUDIT_TRIGGER_NAMES.iter().map(|t| t.to_string()).collect();
    EventFunctions {
        schema,
        owner,
        schema_name: schema,
        fnv_body: &EventFnvBody.render(),
        fill_body: &EventFillBody.render(),
        render_body: &EventRenderBody {
            schema,
            schema_name: schema,
            role_name: &role,
            t_function: TriggerFunction::BODY,
            t_body: TriggerBody::BODY,
            t_paired: TriggerUpdatePaired::BODY,
            t_unpaired: TriggerUpdateUnpaired::BODY,
            t_counts_equal: ExprCountsEqual::BODY,
            t_masked: ExprMasked::BODY,
            t_key_value: ExprKeyValue::BODY,
            t_key_array: ExprKeyArray::BODY,
            t_record_id_single: ExprRecordIdSingle::BODY,
            t_record_id_composite: ExprRecordIdComposite::BODY,
            t_json_text: ExprJsonText::BODY,
            t_record_key: ExprRecordKey::BODY,
            t_json_changed: ExprJsonChanged::BODY,
            t_json_column_changed: ExprJsonColumnChanged::BODY,
            t_changed_fields: ExprChangedFields::BODY,
            t_column_changed: ExprColumnChanged::BODY,
            t_column_unchanged: ExprColumnUnchanged::BODY,
            t_new_values: ExprNewValues::BODY,
            t_not_ignored: ExprNotIgnored::BODY,
            t_statement_triggers: CreateStatementTriggers::BODY,
            t_truncate_trigger: CreateTruncateTrigger::BODY,
        }
        .render(),
        rules_body: &EventRulesBody {
            schema,
            history_tables: &history,
        }
        .render(),
        sync_body: &EventSyncBody {
            schema,
            schema_name: schema,
            t_drop_trigger: DropTrigger::BODY,
            t_drop_function: DropTriggerFunction::BODY,
        }
        .render(),
        trail_ddl_body: &EventTrailDdlBody {
            schema,
            schema_name: schema,
        }
        .render(),
        trail_drop_body: &EventTrailDropBody {
            schema,
            schema_name: schema,
            trigger_names: &trigger_names,
        }
        .render(),
        sync_ddl_body: &EventSyncDdlBody { schema }.render(),
        sync_drop_body: &EventSyncDropBody {
            schema,
            schema_name: schema,
            trigger_names: &trigger_names,
        }
        .render(),
    }
    .render()
}

/// Drops the event triggers and the event functions: part of reverting migration 6.
pub(crate) fn drop_all(settings: &SchemaSettings) -> Sql {
    let schema = settings.audit_schema.as_str();
    let triggers = EventTrigger::TRAIL
        .iter()
        .chain(&EventTrigger::SYNC)
        .map(|kind| {
            DropEventTrigger {
                name: &kind.name(schema),
            }
            .render()
        });
    Sql::join(
        triggers.chain(std::iter::once(EventFunctionsDrop { schema }.render())),
        "\n",
    )
}

#[derive(sqlx::FromRow)]
struct Privileges {
    superuser: bool,
    schema_owner: Option<String>,
}

async fn privileges(conn: &mut PgConnection, audit_schema: &str) -> Result<Privileges> {
    Ok(MayCreateEventTriggers
        .render()
        .query_as()
        .bind(audit_schema)
        .fetch_one(conn)
        .await?)
}

/// Fails with what to do when event triggers are installed and the role may not drop them
/// (`migrate --zero` by a role that is not a superuser).
pub(crate) async fn require_removable(conn: &mut PgConnection, audit_schema: &str) -> Result<()> {
    let present = state(conn, audit_schema).await?;
    let any =
        present.ddl_trail || present.automatic_attach || !present.not_enabled_always.is_empty();
    if any && !privileges(conn, audit_schema).await?.superuser {
        return Err(Error::Privilege(
            "the DDL trail's event triggers can only be dropped by a superuser: have one run \
             `pg-audit attach --no-auto --no-ddl-trail` (or this command) first"
                .to_string(),
        ));
    }
    Ok(())
}

/// (Re)creates the event functions when the installed ones are not this version's, so the
/// automatic attach renders exactly what this version's attach renders. Needs migration 6.
pub(crate) async fn refresh_functions(
    conn: &mut PgConnection,
    settings: &SchemaSettings,
) -> Result<()> {
    let schema = settings.audit_schema.as_str();
    let owner = privileges(conn, schema)
        .await?
        .schema_owner
        .ok_or_else(|| Error::NotMigrated {
            schema: schema.to_string(),
        })?;
    let sql = functions(settings, &owner);
    let version = serde_json::json!(format!("{:016x}", stable_hash(sql.as_str().as_bytes())));
    let installed: Vec<(String, serde_json::Value)> = SettingsSelect { schema }
        .render()
        .query_as()
        .fetch_all(&mut *conn)
        .await?;
    if installed
        .iter()
        .any(|(name, value)| name == FUNCTIONS_SETTING && *value == version)
    {
        return Ok(());
    }
    sql.execute(&mut *conn).await?;
    SettingsUpsert { schema }
        .render()
        .query()
        .bind(FUNCTIONS_SETTING)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What an attach run asks of the event triggers: `Some(true)` on, `Some(false)` off,
/// `None` as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EventRequest {
    pub ddl_trail: Option<bool>,
    pub automatic_attach: Option<bool>,
}

/// Why the event triggers could not be changed as asked, in one line.
pub(crate) fn refusal(role_is_superuser: bool) -> Option<String> {
    (!role_is_superuser).then(|| {
        "automatic attach and the DDL trail need event triggers, which only a superuser may \
         create or drop (managed PostgreSQL: ask the provider, or run `pg-audit attach` after \
         each migration); everything else was done"
            .to_string()
    })
}

/// Brings the event triggers to what `request` asks (the automatic attach needs the trail,
/// which records what it does). Returns the state after, and why nothing could be changed
/// when the role may not.
pub(crate) async fn apply(
    conn: &mut PgConnection,
    settings: &SchemaSettings,
    request: EventRequest,
) -> Result<(EventState, Option<String>)> {
    let schema = settings.audit_schema.as_str();
    let before = state(conn, schema).await?;
    let automatic_attach = request.automatic_attach.unwrap_or(before.automatic_attach);
    let ddl_trail = automatic_attach || request.ddl_trail.unwrap_or(before.ddl_trail);
    let wanted = EventState {
        ddl_trail,
        automatic_attach,
        not_enabled_always: Vec::new(),
    };
    if wanted == before {
        return Ok((before, None));
    }
    let privileges = privileges(conn, schema).await?;
    if let Some(reason) = refusal(privileges.superuser) {
        return Ok((before, Some(reason)));
    }
    let mut statements = Vec::new();
    for (kinds, on) in [
        (EventTrigger::TRAIL, ddl_trail),
        (EventTrigger::SYNC, automatic_attach),
    ] {
        for kind in kinds {
            let name = kind.name(schema);
            statements.push(DropEventTrigger { name: &name }.render());
            if on {
                statements.push(
                    CreateEventTrigger {
                        name: &name,
                        event: &Sql::fixed(kind.event()),
                        schema,
                        function_name: kind.function(),
                    }
                    .render(),
                );
            }
        }
    }
    Sql::join(statements, "\n").execute(&mut *conn).await?;
    Ok((state(conn, schema).await?, None))
}

/// Marks the transaction as a pg-audit run, whose DDL the trail leaves to it.
pub(crate) async fn begin_run(conn: &mut PgConnection, audit_schema: &str) -> Result<()> {
    DdlTokenBegin {
        schema: audit_schema,
    }
    .render()
    .query()
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a run begun with [`begin_run`].
pub(crate) async fn end_run(conn: &mut PgConnection, audit_schema: &str) -> Result<()> {
    DdlTokenEnd {
        schema: audit_schema,
    }
    .render()
    .query()
    .execute(conn)
    .await?;
    Ok(())
}

/// Records one DDL row of pg-audit's own run: `command` (e.g. `pg-audit attach`) on the
/// audit schema, with what it did; `table_name` holds the command.
pub(crate) async fn record_run(
    conn: &mut PgConnection,
    audit_schema: &str,
    command: &str,
    details: serde_json::Value,
) -> Result<()> {
    let mut description = serde_json::json!({
        "command_tag": command,
        "object_type": "schema",
        "identity": audit_schema,
    });
    if let (Some(target), serde_json::Value::Object(extra)) = (description.as_object_mut(), details)
    {
        target.extend(extra);
    }
    RecordDdl {
        schema: audit_schema,
    }
    .render()
    .query()
    .bind(audit_schema)
    .bind(command)
    .bind(description)
    .execute(conn)
    .await?;
    Ok(())
}

/// What the trail does not record while its event triggers are missing, for `status`.
pub(crate) const NOT_RECORDED_WITHOUT_TRAIL: &[&str] = &[
    "audit triggers disabled, enabled or dropped",
    "audited tables altered or dropped",
    "audit tables altered",
    "append-only guard changes",
    "pg-audit's own attach and migrate runs",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_fires_before_the_automatic_attach_and_names_fit() {
        let schema = "a".repeat(63);
        let names: Vec<String> = [
            EventTrigger::TrailDdl,
            EventTrigger::SyncDdl,
            EventTrigger::TrailDrop,
            EventTrigger::SyncDrop,
        ]
        .iter()
        .map(|k| k.name(&schema))
        .collect();
        assert!(names[0] < names[1], "{names:?}");
        assert!(names[2] < names[3], "{names:?}");
        assert!(names.iter().all(|n| n.len() <= 63), "{names:?}");
    }
}
