//! Which tables an application audits, with which per-table rules (masked and ignored
//! columns, exclusions).

use crate::error::Result;
use crate::names::{check_identifier, TablePattern};
use crate::settings::SchemaSettings;

/// Migration-history tables of Rust's migration tools, never audited (like django-pg-audit's
/// `django_*` and `auth_*` tables).
pub const MIGRATION_HISTORY_TABLES: &[&str] = &[
    "_sqlx_migrations",
    "refinery_schema_history",
    "__diesel_schema_migrations",
    "seaql_migrations",
];

/// A table named in [`Tables`], as `audit_tables!` writes it: `table` (that table in every
/// audited schema) or `schema.table`.
///
/// ```text
/// static TABLES: pg_audit::Tables = pg_audit::audit_tables! { exclude: [billing.raw_events] };
/// let table = TABLES.exclude()[0];
/// assert_eq!((table.schema(), table.name()), (Some("billing"), "raw_events"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRef {
    schema: Option<&'static str>,
    name: &'static str,
}

impl TableRef {
    /// Built by `audit_tables!` through `__private::table_ref`, so the fields stay private.
    pub(crate) const fn new(schema: Option<&'static str>, name: &'static str) -> Self {
        TableRef { schema, name }
    }

    /// The schema, when written as `schema.table`.
    pub const fn schema(&self) -> Option<&'static str> {
        self.schema
    }

    /// The table.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// Which tables are audited and how, declared once by the application with
/// `pg_audit::audit_tables!`, usually in a `static`; [`Tables::PUBLIC`] (the default) audits
/// every table of `public`.
///
/// ```
/// use pg_audit_runtime::Tables;
/// assert_eq!(Tables::PUBLIC.schemas(), ["public"]);
/// assert!(Tables::PUBLIC.exclude().is_empty());
/// assert_eq!(Tables::default(), Tables::PUBLIC);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tables {
    schemas: &'static [&'static str],
    exclude: &'static [TableRef],
    mask: &'static [(TableRef, &'static [&'static str])],
    ignore: &'static [(TableRef, &'static [&'static str])],
}

impl Tables {
    /// Every table of the `public` schema.
    pub const PUBLIC: Tables = Tables::new(&["public"], &[], &[], &[]);

    /// Built by `audit_tables!` through `__private::tables`, so the fields stay private.
    pub(crate) const fn new(
        schemas: &'static [&'static str],
        exclude: &'static [TableRef],
        mask: &'static [(TableRef, &'static [&'static str])],
        ignore: &'static [(TableRef, &'static [&'static str])],
    ) -> Self {
        Tables {
            schemas,
            exclude,
            mask,
            ignore,
        }
    }

    /// Schemas whose tables are audited.
    pub const fn schemas(&self) -> &'static [&'static str] {
        self.schemas
    }

    /// Tables never audited.
    pub const fn exclude(&self) -> &'static [TableRef] {
        self.exclude
    }

    /// Columns stored as `"********"` in row data, per table.
    pub const fn mask(&self) -> &'static [(TableRef, &'static [&'static str])] {
        self.mask
    }

    /// Columns whose changes alone do not make an audit row, per table.
    pub const fn ignore(&self) -> &'static [(TableRef, &'static [&'static str])] {
        self.ignore
    }
}

impl Default for Tables {
    fn default() -> Self {
        Tables::PUBLIC
    }
}

/// Per-table rules in owned form: what [`Tables`] declares, what the `pg-audit` command reads
/// back from the registry, or what a program builds at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableRules {
    /// Schemas whose tables are audited.
    pub schemas: Vec<String>,
    /// Tables never audited.
    pub exclude: Vec<TablePattern>,
    /// Masked columns, per table.
    pub mask: Vec<(TablePattern, Vec<String>)>,
    /// Ignored columns, per table.
    pub ignore: Vec<(TablePattern, Vec<String>)>,
}

impl TableRules {
    /// Rules from a declaration, checked (names that cannot be PostgreSQL names are refused).
    pub fn from_tables(tables: &Tables) -> Result<Self> {
        let pattern = |t: &TableRef| -> Result<TablePattern> {
            if let Some(schema) = t.schema {
                check_identifier(schema, "schema name")?;
            }
            check_identifier(t.name, "table name")?;
            Ok(TablePattern {
                schema: t.schema.map(str::to_string),
                name: t.name.to_string(),
            })
        };
        let columns = |list: &[(TableRef, &[&str])]| -> Result<Vec<(TablePattern, Vec<String>)>> {
            list.iter()
                .map(|(table, cols)| {
                    for col in cols.iter() {
                        check_identifier(col, "column name")?;
                    }
                    Ok((
                        pattern(table)?,
                        cols.iter().map(|c| c.to_string()).collect(),
                    ))
                })
                .collect()
        };
        for schema in tables.schemas() {
            check_identifier(schema, "schema name")?;
        }
        Ok(TableRules {
            schemas: tables.schemas().iter().map(|s| s.to_string()).collect(),
            exclude: tables
                .exclude()
                .iter()
                .map(pattern)
                .collect::<Result<_>>()?,
            mask: columns(tables.mask())?,
            ignore: columns(tables.ignore())?,
        })
    }

    /// The audited schemas: those declared, or `public` when none is.
    pub fn schemas_or_public(&self) -> Vec<String> {
        if self.schemas.is_empty() {
            vec!["public".to_string()]
        } else {
            self.schemas.clone()
        }
    }

    /// Adds the tables excluded by [`SchemaSettings::excluded_tables`].
    pub fn with_settings(mut self, settings: &SchemaSettings) -> Result<Self> {
        for table in &settings.excluded_tables {
            self.exclude.push(TablePattern::parse(table)?);
        }
        Ok(self)
    }

    /// Whether the rules exclude `schema.table`.
    pub fn is_excluded(&self, schema: &str, table: &str) -> bool {
        MIGRATION_HISTORY_TABLES.contains(&table)
            || self.exclude.iter().any(|p| p.matches(schema, table))
    }

    /// Masked columns of `schema.table`, sorted and deduplicated.
    pub fn masked_columns(&self, schema: &str, table: &str) -> Vec<String> {
        collect_columns(&self.mask, schema, table)
    }

    /// Ignored columns of `schema.table`, sorted and deduplicated.
    pub fn ignored_columns(&self, schema: &str, table: &str) -> Vec<String> {
        collect_columns(&self.ignore, schema, table)
    }
}

fn collect_columns(list: &[(TablePattern, Vec<String>)], schema: &str, table: &str) -> Vec<String> {
    let mut columns: Vec<String> = list
        .iter()
        .filter(|(p, _)| p.matches(schema, table))
        .flat_map(|(_, cols)| cols.iter().cloned())
        .collect();
    columns.sort();
    columns.dedup();
    columns
}
