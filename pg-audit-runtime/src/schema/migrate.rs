//! Versioned migrations of the audit schema: recorded in a table of their own, idempotent,
//! serialized by an advisory lock so several replicas can run them at once, reversible to
//! zero, and exportable as plain SQL files.

use crate::config::TableRules;
use crate::error::{Error, Result};
use crate::schema::attach::{self, AttachOptions, AttachPlan};
use crate::schema::event;
use crate::schema::lock;
use crate::schema::maintain;
use crate::schema::trigger;
use crate::settings::SchemaSettings;
use crate::sql::templates::{
    AddPartitionBody, AppendOnlyGuardBody, CreatePartitionsBody, DefaultMonthsBody,
    DropPartitionsBody, DropSchema, LogViewInsertBody, Migration0001Down, Migration0001Up,
    Migration0002Down, Migration0002RequestKeyBody, Migration0002Up, Migration0003Down,
    Migration0003Up, Migration0004Down, Migration0004RoleBody, Migration0004Up, Migration0005Down,
    Migration0005Up, Migration0006Down, Migration0006RecordBody, Migration0006Up,
    Migration0007ConvertBody, Migration0007Down, Migration0007RevertBody, Migration0007Up,
    Migration0008Down, Migration0008Up, MigrationsApplied, MigrationsBootstrap, MigrationsRecord,
    MigrationsTeardown, MigrationsUpdateChecksum, MonthBody, NewDataBody, PartitionsBody,
    PurgeBody, RecordBody, Release01ContextFunctions, SchemaExists, TableExists,
};
use crate::sql::Sql;
use crate::sql::SqlQuery;
use sqlx::{Acquire, PgConnection, PgPool};

/// One migration.
struct Migration {
    version: i32,
    name: &'static str,
    up: fn(&SchemaSettings) -> Sql,
    down: fn(&SchemaSettings) -> Sql,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "audit_tables",
        up: migration_0001_up,
        down: migration_0001_down,
    },
    Migration {
        version: 2,
        name: "api_log_request_key",
        up: migration_0002_up,
        down: migration_0002_down,
    },
    Migration {
        version: 3,
        name: "positional_update_pairing",
        up: migration_0003_up,
        down: migration_0003_down,
    },
    Migration {
        version: 4,
        name: "audit_role",
        up: migration_0004_up,
        down: migration_0004_down,
    },
    Migration {
        version: 5,
        name: "log_time_indexes",
        up: migration_0005_up,
        down: migration_0005_down,
    },
    Migration {
        version: 6,
        name: "living_schema",
        up: migration_0006_up,
        down: migration_0006_down,
    },
    Migration {
        version: 7,
        name: "partitioned_log",
        up: migration_0007_up,
        down: migration_0007_down,
    },
    Migration {
        version: 8,
        name: "lean_trigger_bodies",
        up: migration_0008_up,
        down: migration_0008_down,
    },
];

fn migration_0001_up(settings: &SchemaSettings) -> Sql {
    let schema = settings.audit_schema.as_str();
    Migration0001Up {
        schema,
        guard_body: &AppendOnlyGuardBody { schema }.render(),
        purge_body: &PurgeBody {
            schema,
            schema_name: schema,
        }
        .render(),
    }
    .render()
}

fn migration_0002_up(settings: &SchemaSettings) -> Sql {
    let schema = settings.audit_schema.as_str();
    Migration0002Up {
        body: &Migration0002RequestKeyBody {
            schema,
            schema_name: schema,
        }
        .render(),
    }
    .render()
}

fn migration_0002_down(settings: &SchemaSettings) -> Sql {
    Migration0002Down {
        schema: &settings.audit_schema,
    }
    .render()
}

fn migration_0003_up(settings: &SchemaSettings) -> Sql {
    Migration0003Up {
        schema: &settings.audit_schema,
    }
    .render()
}

fn migration_0003_down(settings: &SchemaSettings) -> Sql {
    Migration0003Down {
        schema: &settings.audit_schema,
    }
    .render()
}

fn migration_0004_up(settings: &SchemaSettings) -> Sql {
    let role = settings.writer_role();
    Migration0004Up {
        schema: &settings.audit_schema,
        role: &role,
        body: &Migration0004RoleBody { role_name: &role }.render(),
    }
    .render()
}

fn migration_0004_down(settings: &SchemaSettings) -> Sql {
    Migration0004Down {
        schema: &settings.audit_schema,
        role: &settings.writer_role(),
    }
    .render()
}

fn migration_0005_up(settings: &SchemaSettings) -> Sql {
    Migration0005Up {
        schema: &settings.audit_schema,
    }
    .render()
}

fn migration_0005_down(settings: &SchemaSettings) -> Sql {
    Migration0005Down {
        schema: &settings.audit_schema,
    }
    .render()
}

fn migration_0006_up(settings: &SchemaSettings) -> Sql {
    let schema = settings.audit_schema.as_str();
    Migration0006Up {
        schema,
        role: &settings.writer_role(),
        record_body: &Migration0006RecordBody { schema }.render(),
    }
    .render()
}

fn migration_0006_down(settings: &SchemaSettings) -> Sql {
    Migration0006Down {
        schema: &settings.audit_schema,
        drop_event_functions: &event::drop_all(settings),
    }
    .render()
}

fn migration_0007_up(settings: &SchemaSettings) -> Sql {
    let schema = settings.audit_schema.as_str();
    let schema_name = schema;
    Migration0007Up {
        schema,
        role: &settings.writer_role(),
        month_body: &MonthBody.render(),
        partitions_body: &PartitionsBody { schema_name }.render(),
        default_months_body: &DefaultMonthsBody { schema_name }.render(),
        add_partition_body: &AddPartitionBody {
            schema,
            schema_name,
        }
        .render(),
        create_partitions_body: &CreatePartitionsBody {
            schema,
            schema_name,
        }
        .render(),
        drop_partitions_body: &DropPartitionsBody {
            schema,
            schema_name,
        }
        .render(),
        new_data_body: &NewDataBody.render(),
        view_insert_body: &LogViewInsertBody { schema }.render(),
        record_body: &RecordBody { schema }.render(),
        convert_body: &Migration0007ConvertBody {
            schema,
            schema_name,
        }
        .render(),
    }
    .render()
}

fn migration_0007_down(settings: &SchemaSettings) -> Sql {
    let schema = settings.audit_schema.as_str();
    Migration0007Down {
        schema,
        revert_body: &Migration0007RevertBody {
            schema,
            schema_name: schema,
        }
        .render(),
        record_body: &Migration0006RecordBody { schema }.render(),
    }
    .render()
}

fn migration_0008_up(settings: &SchemaSettings) -> Sql {
    Migration0008Up {
        schema: &settings.audit_schema,
    }
    .render()
}

fn migration_0008_down(settings: &SchemaSettings) -> Sql {
    Migration0008Down {
        schema: &settings.audit_schema,
    }
    .render()
}

/// The checksums migration 1 was recorded with before its text took its present form, so
/// a schema migrated then is recognized as the same schema and its recorded checksum is
/// brought up to date instead of warning: release 0.1 embedded the context functions (and
/// so the `track_db_users` setting) in it, and until migration 4 one of its comments held a
/// non-ASCII "…", which a LATIN1 server cannot take.
fn legacy_checksums(version: i32, settings: &SchemaSettings) -> Vec<String> {
    if version != 1 {
        return Vec::new();
    }
    let with_ellipsis = migration_0001_up(settings).as_str().replacen(
        "(audited schemas, ...)",
        "(audited schemas, \u{2026})",
        1,
    );
    let mut sums = vec![checksum(&with_ellipsis)];
    for track_db_users in [false, true] {
        let then = Release01ContextFunctions {
            schema: &settings.audit_schema,
            track_db_users: if track_db_users { "true" } else { "false" },
        }
        .render();
        sums.push(checksum(&format!("{with_ellipsis}\n\n{then}")));
    }
    sums
}

fn migration_0001_down(settings: &SchemaSettings) -> Sql {
    Migration0001Down {
        schema: &settings.audit_schema,
    }
    .render()
}

/// What a migrate run did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationReport {
    /// Migrations applied by this run (version, name).
    pub applied: Vec<(i32, String)>,
    /// Migrations reverted by this run (version, name).
    pub reverted: Vec<(i32, String)>,
    /// The attach run that followed the migrations this run applied, if it applied any: the
    /// first one attaches every eligible table, a later one refreshes the attached triggers.
    pub attach: Option<AttachPlan>,
    /// Whether `--zero` dropped the audit schema (only when pg-audit had created it).
    pub schema_dropped: bool,
    /// Partitions of the logs this run made (see [`maintain`](crate::maintain)).
    pub partitions_created: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct AppliedRow {
    version: i32,
    name: String,
    checksum: String,
    schema_created: bool,
}

fn checksum(sql: &str) -> String {
    format!("{:016x}", trigger::stable_hash(sql.as_bytes()))
}

/// Applies pending migrations. Like django-pg-audit, the first migration also attaches audit
/// triggers to every eligible table of the declared schemas; a run that applies a later
/// migration refreshes the attached triggers in the same transaction. Safe to run at every
/// start and from several processes at once.
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> pg_audit_runtime::Result<()> {
/// use pg_audit_runtime::{migrate, SchemaSettings, TableRules, Tables};
/// let report = migrate(&pool, &SchemaSettings::default(), &TableRules::from_tables(&Tables::PUBLIC)?).await?;
/// println!("applied {} migrations", report.applied.len());
/// # Ok(()) }
/// ```
pub async fn migrate(
    pool: &PgPool,
    settings: &SchemaSettings,
    rules: &TableRules,
) -> Result<MigrationReport> {
    run(pool, settings, rules, None).await
}

/// Applies the migrations up to `version` and nothing else: no attach, no partitions. For
/// pg-audit's own upgrade tests, which populate a log of an earlier version; an
/// application runs [`migrate`].
#[doc(hidden)]
pub async fn migrate_until(
    pool: &PgPool,
    settings: &SchemaSettings,
    version: i32,
) -> Result<MigrationReport> {
    run(pool, settings, &TableRules::default(), Some(version)).await
}

async fn run(
    pool: &PgPool,
    settings: &SchemaSettings,
    rules: &TableRules,
    until: Option<i32>,
) -> Result<MigrationReport> {
    settings.validate()?;
    let mut tx = crate::sql::begin_pinned(pool).await?;
    lock::acquire(&mut tx, settings).await?;
    crate::schema::catalog::check_audit_role(&mut tx, &settings.writer_role()).await?;
    let schema = settings.audit_schema.as_str();
    let schema_existed: bool = SchemaExists
        .render()
        .query_scalar()
        .bind(schema)
        .fetch_one(&mut *tx)
        .await?;
    MigrationsBootstrap { schema }
        .render()
        .execute(&mut *tx)
        .await?;
    let applied = applied_migrations(&mut tx, schema).await?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(found) = applied
        .iter()
        .map(|a| a.version)
        .max()
        .filter(|&v| v > known)
    {
        return Err(Error::UnknownMigration { found, known });
    }
    let mut report = MigrationReport {
        applied: Vec::new(),
        reverted: Vec::new(),
        attach: None,
        schema_dropped: false,
        partitions_created: Vec::new(),
    };
    // With the DDL trail on, this run's statements are recorded as the one row below.
    let living = event::available(&mut tx, schema).await?;
    if living {
        event::begin_run(&mut tx, schema).await?;
    }
    for migration in MIGRATIONS
        .iter()
        .filter(|m| until.is_none_or(|last| m.version <= last))
    {
        let up = (migration.up)(settings);
        if let Some(done) = applied.iter().find(|a| a.version == migration.version) {
            let sum = checksum(up.as_str());
            if legacy_checksums(done.version, settings).contains(&done.checksum) {
                MigrationsUpdateChecksum { schema }
                    .render()
                    .query()
                    .bind(done.version)
                    .bind(sum)
                    .execute(&mut *tx)
                    .await?;
            } else if done.checksum != sum {
                tracing::warn!(version = done.version, name = %done.name, "pg-audit migration changed since it was applied");
            }
            continue;
        }
        let first_of_schema = !schema_existed && report.applied.is_empty() && applied.is_empty();
        let sum = checksum(up.as_str());
        up.execute(&mut *tx).await?;
        MigrationsRecord { schema }
            .render()
            .query()
            .bind(migration.version)
            .bind(migration.name)
            .bind(sum)
            .bind(first_of_schema)
            .execute(&mut *tx)
            .await?;
        report
            .applied
            .push((migration.version, migration.name.to_string()));
    }
    // The first migration attaches the tables, as django-pg-audit's did; a later one may
    // change what the triggers rely on, so the run refreshes them in the same transaction.
    if !report.applied.is_empty() && until.is_none() {
        let work = attach::plan(&mut tx, settings, rules, &AttachOptions::default()).await?;
        report.attach = Some(attach::apply(&mut tx, settings, work).await?);
    }
    // Every run makes sure the logs' partitions reach partitions_ahead months ahead.
    if until.is_none() {
        report.partitions_created = maintain::create_partitions(&mut tx, settings).await?;
    }
    if living {
        if event::state(&mut tx, schema).await?.ddl_trail && !report.applied.is_empty() {
            let applied: Vec<String> = report
                .applied
                .iter()
                .map(|(version, name)| format!("{version:04}_{name}"))
                .collect();
            event::record_run(
                &mut tx,
                schema,
                "pg-audit migrate",
                serde_json::json!({ "applied": applied }),
            )
            .await?;
        }
        event::end_run(&mut tx, schema).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Reverts every migration: removes every audit trigger and function, the audit tables and,
/// when pg-audit created it and nothing else lives in it, the audit schema. Application
/// tables and their data are never touched.
pub async fn migrate_zero(pool: &PgPool, settings: &SchemaSettings) -> Result<MigrationReport> {
    settings.validate()?;
    let mut tx = crate::sql::begin_pinned(pool).await?;
    lock::acquire(&mut tx, settings).await?;
    let schema = settings.audit_schema.as_str();
    let mut report = MigrationReport {
        applied: Vec::new(),
        reverted: Vec::new(),
        attach: None,
        schema_dropped: false,
        partitions_created: Vec::new(),
    };
    let has_table: bool = TableExists
        .render()
        .query_scalar()
        .bind(schema)
        .bind("pg_audit_migrations")
        .fetch_one(&mut *tx)
        .await?;
    if !has_table {
        tx.commit().await?;
        return Ok(report);
    }
    let applied = applied_migrations(&mut tx, schema).await?;
    if event::available(&mut tx, schema).await? {
        event::require_removable(&mut tx, schema).await?;
        // The trail and the automatic attach leave this run alone until migration 6's
        // reversal drops them.
        event::begin_run(&mut tx, schema).await?;
    }
    let present = crate::schema::catalog::load_triggers(&mut tx, schema).await?;
    let functions = crate::schema::catalog::load_functions(&mut tx, schema).await?;
    let drop = trigger::render_drop(schema, &present.iter().collect::<Vec<_>>(), &functions);
    if !drop.is_empty() {
        drop.execute(&mut *tx).await?;
    }
    for migration in MIGRATIONS.iter().rev() {
        if let Some(done) = applied.iter().find(|a| a.version == migration.version) {
            (migration.down)(settings).execute(&mut *tx).await?;
            report.reverted.push((done.version, done.name.clone()));
        }
    }
    MigrationsTeardown { schema }
        .render()
        .execute(&mut *tx)
        .await?;
    if applied.iter().any(|a| a.schema_created) {
        // Something else may live in the schema: try in a savepoint and keep it if so.
        let mut savepoint = tx.begin().await?;
        let dropped = DropSchema { schema }
            .render()
            .execute(&mut *savepoint)
            .await;
        match dropped {
            Ok(()) => {
                savepoint.commit().await?;
                report.schema_dropped = true;
            }
            Err(error) => {
                tracing::info!(%error, "pg-audit kept the audit schema: it holds other objects");
                savepoint.rollback().await?;
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

async fn applied_migrations(conn: &mut PgConnection, schema: &str) -> Result<Vec<AppliedRow>> {
    Ok(MigrationsApplied { schema }
        .render()
        .query_as()
        .fetch_all(conn)
        .await?)
}

/// The migrations as numbered plain SQL files (`0001_audit_tables.up.sql`, `….down.sql`),
/// for teams that run migrations with another tool.
pub fn migration_files(settings: &SchemaSettings) -> Result<Vec<(String, Sql)>> {
    settings.validate()?;
    let bootstrap = MigrationsBootstrap {
        schema: &settings.audit_schema,
    }
    .render();
    let mut files = vec![("0000_bootstrap.up.sql".to_string(), bootstrap)];
    for m in MIGRATIONS {
        files.push((
            format!("{:04}_{}.up.sql", m.version, m.name),
            (m.up)(settings),
        ));
        files.push((
            format!("{:04}_{}.down.sql", m.version, m.name),
            (m.down)(settings),
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the default settings recorded: migration 1 as it was until migration 4, then as
    /// release 0.1 had it (`track_db_users` off, then on; its context functions are frozen in
    /// `release_0_1_context_functions.sql`).
    #[test]
    fn the_release_0_1_checksums_of_migration_1_are_recognized() {
        assert_eq!(
            legacy_checksums(1, &SchemaSettings::default()),
            ["721cb60912ca38db", "27c0f4d14c0c845f", "dc2c6d06819be94c"]
        );
        assert!(legacy_checksums(2, &SchemaSettings::default()).is_empty());
    }

    #[test]
    fn migration_text_does_not_depend_on_track_db_users() {
        let off = SchemaSettings::default();
        let on = SchemaSettings {
            track_db_users: true,
            ..SchemaSettings::default()
        };
        assert_eq!(migration_0001_up(&off), migration_0001_up(&on));
    }
}
