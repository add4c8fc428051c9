//! `pg-audit log`: the audit log, filtered, as a table or as JSON lines.

use crate::args::LogArgs;
use chrono::{DateTime, Utc};
use pg_audit_runtime::query::{self, AuditLogEntry, AuditLogFilter, Operation, TimeBound};
use pg_audit_runtime::{Error, Result, TablePattern, TextTable};
use sqlx::PgPool;

pub(crate) async fn run(pool: &PgPool, audit_schema: &str, args: LogArgs) -> Result<()> {
    if let Some(at) = &args.as_of {
        return as_of(pool, audit_schema, &args, at).await;
    }
    let filter = filter_of(&args, Utc::now())?;
    let page = query::audit_log(pool, audit_schema, &filter).await?;
    if args.json {
        for entry in &page.entries {
            println!("{}", serde_json::to_string(entry).unwrap_or_default());
        }
    } else {
        print!("{}", render_table(&page.entries));
    }
    Ok(())
}

fn filter_of(args: &LogArgs, now: DateTime<Utc>) -> Result<AuditLogFilter> {
    let mut filter = AuditLogFilter::default().limit(args.limit);
    if let Some(table) = &args.table {
        let pattern = TablePattern::parse(table)?;
        filter.schema = pattern.schema;
        filter.table = Some(pattern.name);
    }
    filter.record_id = args.record.clone();
    filter.user = args.user.clone();
    if let Some(request) = &args.request {
        filter.request_id = Some(request.parse().map_err(|_| Error::Invalid {
            what: "request id",
            reason: format!("`{request}` is not a UUID"),
        })?);
    }
    if let Some(operation) = &args.operation {
        filter.operation = Some(operation.parse::<Operation>()?);
    }
    if let Some(since) = &args.since {
        filter.since = Some(parse_since(since, now)?);
    }
    Ok(filter)
}

/// The forms [`TimeBound`] reads; an age counts back from `now`.
fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    parse_time(text, now, "--since")
}

fn parse_time(text: &str, now: DateTime<Utc>, what: &'static str) -> Result<DateTime<Utc>> {
    text.parse::<TimeBound>()
        .and_then(|bound| bound.resolve(now))
        .map_err(|error| Error::Invalid {
            what,
            reason: error.to_string(),
        })
}

/// `log --as-of`: the table's rows at that time, as a table or as JSON lines.
async fn as_of(pool: &PgPool, audit_schema: &str, args: &LogArgs, at: &str) -> Result<()> {
    let at = parse_time(at, Utc::now(), "--as-of")?;
    let pattern = TablePattern::parse(args.table.as_deref().unwrap_or_default())?;
    let schema = pattern.schema.as_deref().unwrap_or("public");
    let rows = query::table_as_of(
        pool,
        audit_schema,
        schema,
        &pattern.name,
        at,
        args.record.as_deref(),
    )
    .await?;
    if args.json {
        for row in &rows {
            println!("{}", serde_json::to_string(row).unwrap_or_default());
        }
        return Ok(());
    }
    if rows.is_empty() {
        println!("no rows in {schema}.{} at {at}", pattern.name);
        return Ok(());
    }
    let mut table = TextTable::new(0);
    table.row(["record", "row", "since (UTC)"]);
    for row in &rows {
        table.row([
            row.record_id.clone(),
            row.row_data
                .as_ref()
                .map(|data| serde_json::to_string(data).unwrap_or_default())
                .unwrap_or_default(),
            row.changed_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        ]);
    }
    print!("{table}");
    Ok(())
}

fn render_table(entries: &[AuditLogEntry]) -> String {
    if entries.is_empty() {
        return "no audit rows match\n".to_string();
    }
    let header = [
        "id",
        "at (UTC)",
        "operation",
        "table",
        "record",
        "by",
        "request",
        "changed",
    ];
    let mut table = TextTable::new(0);
    table.row(header);
    for e in entries {
        let by = match (&e.updated_by, e.is_db_user, &e.db_user) {
            (Some(user), _, _) => user.clone(),
            (None, true, Some(role)) => format!("db:{role}"),
            _ => String::new(),
        };
        table.row([
            e.id.to_string(),
            e.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.operation.clone(),
            format!("{}.{}", e.schema_name, e.table_name),
            e.record_id.clone().unwrap_or_default(),
            by,
            e.request_id.map(|r| r.to_string()).unwrap_or_default(),
            e.changed_field_names().join(","),
        ]);
    }
    table.to_string()
}
