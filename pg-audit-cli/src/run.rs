//! Carries out one command.

use crate::args::{AttachArgs, Cli, Command, MaintainArgs};
use crate::error::{CliError, CliResult};
use pg_audit_runtime::{
    attach, attach_sql, connect_pinned, maintain, migrate, migrate_zero, migration_files,
    partition_table, partitions, registered_rules, status, AttachOptions, Error, Result,
    SchemaSettings, Sql, TablePattern, TableRules, Tables,
};
use sqlx::PgPool;
use std::path::Path;

pub(crate) async fn run(cli: Cli) -> CliResult<()> {
    let settings = SchemaSettings {
        audit_schema: cli.audit_schema.clone(),
        ..SchemaSettings::default()
    };
    settings.validate()?;
    if let Command::Sql { out: None } = &cli.command {
        if cli.database_url.is_none() {
            // Without a database only the migrations can be rendered.
            for (name, sql) in migration_files(&settings)? {
                println!("-- {name}\n{sql}\n");
            }
            return Ok(());
        }
    }
    let url = cli.database_url.as_deref().ok_or(CliError::NoDatabase)?;
    let pool = connect_pinned(url).await?;
    match cli.command {
        Command::Migrate { zero: true } => {
            let report = migrate_zero(&pool, &settings).await?;
            if report.reverted.is_empty() {
                println!(
                    "nothing to revert: {} has no pg-audit migrations",
                    settings.audit_schema
                );
            }
            for (version, name) in &report.reverted {
                println!("reverted {version:04} {name}");
            }
            if report.schema_dropped {
                println!("dropped schema {}", settings.audit_schema);
            }
        }
        Command::Migrate { zero: false } => {
            let (rules, settings) = rules_for(&pool, &settings).await?;
            let report = migrate(&pool, &settings, &rules).await?;
            if report.applied.is_empty() {
                println!("up to date");
            }
            for (version, name) in &report.applied {
                println!("applied {version:04} {name}");
            }
            if let Some(plan) = &report.attach {
                print!("{plan}");
            }
        }
        Command::Attach(args) => run_attach(&pool, &settings, args).await?,
        Command::Status { json, check } => {
            let report = status(&pool, &settings).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print!("{report}");
            }
            if check && !report.is_as_declared() {
                return Err(CliError::NotAsDeclared);
            }
        }
        Command::Log(args) => crate::log::run(&pool, &settings.audit_schema, args).await?,
        Command::Maintain(args) => run_maintain(&pool, &settings, args).await?,
        Command::Sql { out } => {
            let (rules, settings) = rules_for(&pool, &settings).await?;
            let mut files = migration_files(&settings)?;
            // Numbered after the last migration, so a migration tool runs it last.
            let next = files
                .iter()
                .filter_map(|(name, _)| name.get(..4)?.parse::<u32>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            files.push((
                format!("{next:04}_attach_triggers.up.sql"),
                attach_sql(&pool, &settings, &rules).await?,
            ));
            match out {
                Some(dir) => write_files(&dir, &files)?,
                None => {
                    for (name, sql) in files {
                        println!("-- {name}\n{sql}\n");
                    }
                }
            }
        }
    }
    Ok(())
}

async fn run_maintain(pool: &PgPool, settings: &SchemaSettings, args: MaintainArgs) -> Result<()> {
    let settings = SchemaSettings {
        partitions_ahead: args.ahead,
        retention: args.retain,
        lock_timeout: args.lock_timeout,
        ..settings.clone()
    };
    let report = maintain(pool, &settings).await?;
    let listed = if args.list {
        Some(partitions(pool, &settings).await?)
    } else {
        None
    };
    if args.json {
        let mut out = serde_json::to_value(&report).unwrap_or_default();
        if let (Some(list), Some(object)) = (&listed, out.as_object_mut()) {
            object.insert(
                "partitions".into(),
                serde_json::to_value(list).unwrap_or_default(),
            );
        }
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(());
    }
    print!("{report}");
    if let Some(list) = listed {
        print!("{}", partition_table(&list));
    }
    Ok(())
}

/// The rules the application recorded, or django-pg-audit's default (every table of
/// `public`) when the audit schema has not been migrated yet.
async fn rules_for(
    pool: &PgPool,
    settings: &SchemaSettings,
) -> Result<(TableRules, SchemaSettings)> {
    match registered_rules(pool, settings).await {
        Ok(found) => Ok(found),
        Err(Error::NotMigrated { .. }) => {
            Ok((TableRules::from_tables(&Tables::PUBLIC)?, settings.clone()))
        }
        Err(other) => Err(other),
    }
}

async fn run_attach(pool: &PgPool, settings: &SchemaSettings, args: AttachArgs) -> Result<()> {
    let parse = |names: &[String]| {
        names
            .iter()
            .map(|n| TablePattern::parse(n))
            .collect::<Result<Vec<_>>>()
    };
    let (rules, settings) = rules_for(pool, settings).await?;
    let options = AttachOptions {
        dry_run: args.dry_run,
        remove: args.remove,
        exclude: parse(&args.exclude)?,
        include: parse(&args.include)?,
        schemas: if args.schema.is_empty() {
            None
        } else {
            Some(args.schema)
        },
        automatic_attach: on_off(args.auto, args.no_auto || args.no_ddl_trail),
        ddl_trail: on_off(args.ddl_trail, args.no_ddl_trail),
    };
    let plan = attach(pool, &settings, &rules, &options).await?;
    print!("{plan}");
    match (plan.applied, plan.has_changes()) {
        (false, true) => println!("dry run: nothing changed"),
        (_, false) => println!("nothing to do"),
        (true, true) => println!("applied"),
    }
    if args.baseline {
        crate::progress::run_baseline(pool, &settings, &rules).await?;
    }
    if let Some(reason) = &plan.event_triggers_refused {
        println!("automatic attach and DDL trail unchanged: {reason}");
    } else if options.automatic_attach.is_some() || options.ddl_trail.is_some() {
        let word = |on: bool| if on { "on" } else { "off" };
        println!(
            "automatic attach {}, DDL trail {}",
            word(plan.automatic_attach),
            word(plan.ddl_trail)
        );
    }
    Ok(())
}

/// A pair of `--x` / `--no-x` flags: on, off, or as it is.
fn on_off(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

fn write_files(dir: &Path, files: &[(String, Sql)]) -> CliResult<()> {
    let io = |path: &Path, source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    for (name, sql) in files {
        let path = dir.join(name);
        std::fs::write(&path, format!("{sql}\n")).map_err(|e| io(&path, e))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
