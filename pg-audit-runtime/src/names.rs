//! Validated PostgreSQL names: what users may write for schemas, tables and columns.

use crate::error::{Error, Result};
use std::fmt;

/// PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
pub(crate) const MAX_IDENTIFIER_BYTES: usize = 63;

/// Checks that `name` can be a PostgreSQL identifier: not empty, at most 63 bytes, no NUL.
pub(crate) fn check_identifier(name: &str, what: &'static str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(what, "it is empty"));
    }
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Err(Error::invalid(
            what,
            format!(
                "`{}…` is {} bytes long; PostgreSQL names have at most 63",
                truncate_for_display(name),
                name.len()
            ),
        ));
    }
    if name.contains('\0') {
        return Err(Error::invalid(what, "it contains a NUL character"));
    }
    Ok(())
}

fn truncate_for_display(name: &str) -> &str {
    let mut end = name.len().min(40);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A table named by a user: `orders` (any audited schema) or `billing.orders`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TablePattern {
    /// The schema, when the user gave one.
    pub schema: Option<String>,
    /// The table name, exactly (names are case-sensitive, as PostgreSQL stores them).
    pub name: String,
}

impl TablePattern {
    /// Parses `table` or `schema.table`. A name containing a dot can be written with double
    /// quotes: `"odd.name"` or `billing."odd.name"`.
    ///
    /// ```
    /// use pg_audit_runtime::TablePattern;
    /// let t = TablePattern::parse("billing.raw_events").unwrap();
    /// assert_eq!(t.schema.as_deref(), Some("billing"));
    /// assert_eq!(t.name, "raw_events");
    /// assert!(TablePattern::parse("a.b.c").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let parts = split_qualified(text)?;
        match parts.as_slice() {
            [name] => {
                check_identifier(name, "table name")?;
                Ok(TablePattern {
                    schema: None,
                    name: name.clone(),
                })
            }
            [schema, name] => {
                check_identifier(schema, "schema name")?;
                check_identifier(name, "table name")?;
                Ok(TablePattern {
                    schema: Some(schema.clone()),
                    name: name.clone(),
                })
            }
            _ => Err(Error::invalid(
                "table name",
                format!("`{text}` has more than one dot; write table or schema.table"),
            )),
        }
    }

    /// Whether this pattern names the table `schema.name`.
    pub fn matches(&self, schema: &str, name: &str) -> bool {
        self.name == name && self.schema.as_deref().is_none_or(|s| s == schema)
    }
}

impl fmt::Display for TablePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

fn split_qualified(text: &str) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) if current.is_empty() => quoted = true,
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            ('"', true) => {
                quoted = false;
                if chars.peek().is_some_and(|&n| n != '.') {
                    return Err(Error::invalid(
                        "table name",
                        format!("`{text}`: unexpected text after a closing quote"),
                    ));
                }
            }
            ('.', false) => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err(Error::invalid(
            "table name",
            format!("`{text}`: unclosed double quote"),
        ));
    }
    parts.push(current);
    Ok(parts)
}

/// A table as PostgreSQL knows it: schema and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct QualifiedName {
    /// The schema.
    pub schema: String,
    /// The table.
    pub name: String,
}

impl QualifiedName {
    /// Makes a qualified name.
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}",
            display_ident(&self.schema),
            display_ident(&self.name)
        )
    }
}

/// Shows a name as a user would type it: bare when it is a plain lower-case word, quoted
/// otherwise. For messages only; SQL is always quoted by the template renderer.
pub(crate) fn display_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_name_may_hold_dots_and_quotes() {
        let t = TablePattern::parse("billing.\"odd.\"\"name\"").unwrap();
        assert_eq!(t.schema.as_deref(), Some("billing"));
        assert_eq!(t.name, "odd.\"name");
    }

    #[test]
    fn over_long_empty_and_nul_names_are_refused() {
        assert!(TablePattern::parse(&"x".repeat(64)).is_err());
        assert!(TablePattern::parse(&"x".repeat(63)).is_ok());
        assert!(TablePattern::parse("public.").is_err());
        assert!(TablePattern::parse("a\0b").is_err());
        assert!(TablePattern::parse("\"unclosed").is_err());
    }

    #[test]
    fn an_unqualified_pattern_matches_any_schema() {
        let t = TablePattern::parse("orders").unwrap();
        assert!(t.matches("public", "orders"));
        assert!(t.matches("billing", "orders"));
        assert!(!TablePattern::parse("billing.orders")
            .unwrap()
            .matches("public", "orders"));
    }
}
