//! Checks of an `audit_tables!` declaration, each error at the token the user wrote.

use super::ast::{Declaration, Entry, Name, TableName};
use std::collections::HashSet;

/// PostgreSQL truncates longer identifiers.
const MAX_NAME_BYTES: usize = 63;

pub(crate) fn check(declaration: &Declaration) -> syn::Result<()> {
    let mut errors = Errors(None);
    let mut keys = HashSet::new();
    for entry in &declaration.entries {
        let key = entry.key();
        if !keys.insert(key.to_string()) {
            errors.push(syn::Error::new(
                key.span(),
                format!("duplicate key `{key}`: each key may appear once"),
            ));
        }
        match entry {
            Entry::Schemas(key, names) => {
                if names.is_empty() {
                    errors.push(syn::Error::new(
                        key.span(),
                        "`schemas` lists no schema, so nothing would be audited: name at least one (leave the key out for `[public]`)",
                    ));
                }
                names.iter().for_each(|n| errors.check(name(n, "schema")));
                unique(
                    names.iter().map(|n| (n.value.clone(), n)),
                    "schema",
                    &mut errors,
                );
            }
            Entry::Exclude(_, list) => {
                list.tables.iter().for_each(|t| errors.check(table(t)));
                unique(
                    list.tables.iter().map(|t| (t.display(), &t.table)),
                    "table",
                    &mut errors,
                );
            }
            Entry::Mask(_, map) | Entry::Ignore(_, map) => {
                for (t, columns) in &map.entries {
                    errors.check(table(t));
                    if columns.is_empty() {
                        errors.push(syn::Error::new(
                            t.table.span,
                            format!(
                                "`{}` lists no column in `{}`: name its columns or remove it",
                                t.display(),
                                entry.key()
                            ),
                        ));
                    }
                    columns.iter().for_each(|c| errors.check(name(c, "column")));
                    unique(
                        columns.iter().map(|c| (c.value.clone(), c)),
                        "column",
                        &mut errors,
                    );
                }
                unique(
                    map.entries.iter().map(|(t, _)| (t.display(), &t.table)),
                    "table",
                    &mut errors,
                );
            }
        }
    }
    excluded_and_configured(declaration, &mut errors);
    errors.finish()
}

/// A table both excluded and masked or ignored: the rule could never apply. A bare excluded
/// name excludes that table in every schema, so it also covers `schema.table` entries.
fn excluded_and_configured(declaration: &Declaration, errors: &mut Errors) {
    let excluded: Vec<&TableName> = declaration
        .entries
        .iter()
        .flat_map(|e| {
            if let Entry::Exclude(_, l) = e {
                l.tables.iter().collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    for entry in &declaration.entries {
        let (key, map) = match entry {
            Entry::Mask(k, m) | Entry::Ignore(k, m) => (k, m),
            _ => continue,
        };
        for (t, _) in &map.entries {
            if excluded.iter().any(|e| covers(e, t)) {
                errors.push(syn::Error::new(
                    t.table.span,
                    format!("table `{}` is excluded, so it cannot also be in `{key}`: remove it from one of them", t.display()),
                ));
            }
        }
    }
}

/// Whether excluding `excluded` excludes every table `configured` names.
fn covers(excluded: &TableName, configured: &TableName) -> bool {
    let (excluded_schema, excluded_name) = excluded.key();
    let (configured_schema, configured_name) = configured.key();
    excluded_name == configured_name
        && (excluded_schema.is_none() || excluded_schema == configured_schema)
}

fn table(t: &TableName) -> syn::Result<()> {
    if let Some(schema) = &t.schema {
        name(schema, "schema")?;
    }
    name(&t.table, "table")
}

fn name(n: &Name, what: &str) -> syn::Result<()> {
    if n.value.is_empty() {
        return Err(syn::Error::new(n.span, format!("empty {what} name")));
    }
    if n.value.len() > MAX_NAME_BYTES {
        return Err(syn::Error::new(
            n.span,
            format!(
                "{what} name is {} bytes long; PostgreSQL names have at most {MAX_NAME_BYTES}",
                n.value.len()
            ),
        ));
    }
    if n.value.contains('\0') {
        return Err(syn::Error::new(
            n.span,
            format!("{what} name contains a NUL character"),
        ));
    }
    Ok(())
}

fn unique<'a>(items: impl Iterator<Item = (String, &'a Name)>, what: &str, errors: &mut Errors) {
    let mut seen = HashSet::new();
    for (key, n) in items {
        if !seen.insert(key.clone()) {
            errors.push(syn::Error::new(n.span, format!("duplicate {what} `{key}`")));
        }
    }
}

/// Collects every error, so the user sees them all at once.
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn check(&mut self, result: syn::Result<()>) {
        if let Err(error) = result {
            self.push(error);
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
