//! Rendering a template that is read at run time rather than checked at build time: for SQL
//! that lives outside this crate (the benchmark's statements in `examples/`), with the same
//! syntax and the same quoting as the generated renderers. Every declared placeholder must
//! get exactly one value of its kind.

use crate::quote;
use crate::syntax::{Piece, PlaceholderKind, Template};
use crate::Sql;

/// A value for one placeholder, tagged with the kind that decides how it is quoted.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// One identifier, double-quoted.
    Ident(&'a str),
    /// Identifiers, each double-quoted, comma-separated.
    Idents(&'a [String]),
    /// One string literal.
    Literal(&'a str),
    /// String literals, comma-separated.
    Literals(&'a [String]),
    /// Trusted SQL, inserted as is.
    Fragment(&'a Sql),
    /// Trusted SQL inside a dollar quote.
    Dollar(&'a Sql),
}

impl Value<'_> {
    /// The placeholder kind this value fills.
    pub fn kind(&self) -> PlaceholderKind {
        match self {
            Value::Ident(_) => PlaceholderKind::Ident,
            Value::Idents(_) => PlaceholderKind::Idents,
            Value::Literal(_) => PlaceholderKind::Literal,
            Value::Literals(_) => PlaceholderKind::Literals,
            Value::Fragment(_) => PlaceholderKind::Fragment,
            Value::Dollar(_) => PlaceholderKind::Dollar,
        }
    }
}

/// Why a template could not be rendered with the values given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderError {}

impl Template {
    /// Renders the template with one value per declared placeholder.
    ///
    /// ```
    /// use pg_audit_sql::{parse_template, Value};
    /// let template = parse_template("-- @ident t the table\nTRUNCATE {{t}}").unwrap();
    /// let sql = template.render(&[("t", Value::Ident("my \"table\""))]).unwrap();
    /// assert_eq!(sql.as_str(), "TRUNCATE \"my \"\"table\"\"\"");
    /// ```
    pub fn render(&self, values: &[(&str, Value<'_>)]) -> Result<Sql, RenderError> {
        for (index, (name, _)) in values.iter().enumerate() {
            if !self.placeholders.iter().any(|p| p.name == *name) {
                return Err(RenderError(format!(
                    "no placeholder `{name}` in the template"
                )));
            }
            if values[..index].iter().any(|(other, _)| other == name) {
                return Err(RenderError(format!("placeholder `{name}` given twice")));
            }
        }
        let mut filled = Vec::with_capacity(self.placeholders.len());
        for placeholder in &self.placeholders {
            let Some((_, value)) = values.iter().find(|(name, _)| *name == placeholder.name) else {
                return Err(RenderError(format!(
                    "no value for placeholder `{}`",
                    placeholder.name
                )));
            };
            if value.kind() != placeholder.kind {
                return Err(RenderError(format!(
                    "placeholder `{}` is declared {:?} but was given {:?}",
                    placeholder.name,
                    placeholder.kind,
                    value.kind()
                )));
            }
            filled.push(*value);
        }
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Slot(slot) => quote::push(&mut out, filled[*slot]),
            }
        }
        Ok(Sql::trusted(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_template;

    fn template() -> Template {
        parse_template("-- @ident t the table\n-- @literal v a value\nSELECT {{v}} FROM {{t}}")
            .unwrap()
    }

    #[test]
    fn values_are_quoted_by_their_kind() {
        let sql = template()
            .render(&[("t", Value::Ident("a\"b")), ("v", Value::Literal("it's"))])
            .unwrap();
        assert_eq!(sql.as_str(), "SELECT 'it''s' FROM \"a\"\"b\"");
    }

    #[test]
    fn a_missing_value_is_an_error_naming_the_placeholder() {
        let error = template().render(&[("t", Value::Ident("x"))]).unwrap_err();
        assert_eq!(error.to_string(), "no value for placeholder `v`");
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused() {
        let error = template()
            .render(&[("t", Value::Literal("x")), ("v", Value::Literal("y"))])
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "placeholder `t` is declared Ident but was given Literal"
        );
    }

    #[test]
    fn an_unknown_or_repeated_name_is_refused() {
        let unknown = template()
            .render(&[
                ("t", Value::Ident("x")),
                ("v", Value::Literal("y")),
                ("w", Value::Literal("z")),
            ])
            .unwrap_err();
        assert_eq!(unknown.to_string(), "no placeholder `w` in the template");
        let twice = template()
            .render(&[("t", Value::Ident("x")), ("t", Value::Ident("y"))])
            .unwrap_err();
        assert_eq!(twice.to_string(), "placeholder `t` given twice");
    }
}
