//! The SQL of pg-audit. Every statement pg-audit runs is a template in one of this crate's
//! folders (`migrations/`, `trigger/`, `catalog/`, `registry/`, `context/`, `query/`,
//! `api_log/`, `viewer/`), named after the module of `pg-audit-runtime` that runs (or, for
//! the viewer's restore statements, shows) it. The build script
//! checks each template (see [`parse_template`] for the syntax) and generates one typed
//! struct per file in [`templates`], so a template with an unknown, unused or mistyped
//! placeholder fails the build at its file and line instead of failing a deployment.
//!
//! Rendering quotes every value by the kind its placeholder declares, so no caller ever
//! concatenates a name into SQL: a [`Sql`] can only come out of a renderer (or be fixed text
//! written in pg-audit's own source), so holding one means the text is trusted.
//!
//! ```
//! use pg_audit_sql::templates::TableExists;
//! let sql = TableExists.render();
//! assert!(sql.as_str().contains("pg_catalog.pg_class"));
//! ```
#![warn(missing_docs, unreachable_pub)]

mod dynamic;
mod quote;
mod syntax;

pub use dynamic::{RenderError, Value};
pub use syntax::{parse_template, Piece, Placeholder, PlaceholderKind, SyntaxError, Template};

/// The typed templates, one struct per `.sql` file of this crate. Each has a field per
/// placeholder, typed by its kind, and a `render` method.
pub mod templates {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// SQL text produced by rendering a template: identifiers and literals in it were quoted by
/// their placeholder's kind. It is made only by the renderers, by [`Sql::join`] of rendered
/// pieces, or from fixed text of pg-audit's own source, so holding one means the text is
/// trusted. Printed with `Display` (for `pg-audit sql` and exported migration files).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sql(String);

impl Sql {
    /// Wraps text a renderer produced.
    pub(crate) fn trusted(text: String) -> Self {
        Sql(text)
    }

    /// Joins rendered pieces with a separator (itself fixed SQL such as `", "` or `" OR "`).
    ///
    /// ```
    /// use pg_audit_sql::Sql;
    /// let list = Sql::join([Sql::fixed("a"), Sql::fixed("b")], ", ");
    /// assert_eq!(list.as_str(), "a, b");
    /// ```
    pub fn join(parts: impl IntoIterator<Item = Sql>, separator: &'static str) -> Self {
        let mut out = String::new();
        for (index, part) in parts.into_iter().enumerate() {
            if index > 0 {
                out.push_str(separator);
            }
            out.push_str(&part.0);
        }
        Sql(out)
    }

    /// Fixed SQL written in pg-audit's own source (a keyword, an operator, an expression),
    /// never input: the `'static` lifetime keeps runtime strings out.
    pub fn fixed(text: &'static str) -> Self {
        Sql(text.to_string())
    }

    /// An integer constant.
    ///
    /// ```
    /// assert_eq!(pg_audit_sql::Sql::integer(-3).as_str(), "-3");
    /// ```
    pub fn integer(value: i64) -> Self {
        Sql(value.to_string())
    }

    /// The SQL text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SQL text, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_template, PlaceholderKind};

    #[test]
    fn a_declared_and_used_placeholder_parses_with_its_kind() {
        let template =
            parse_template("-- Why.\n-- @ident schema the schema\nSELECT 1 FROM {{schema}}.t")
                .unwrap();
        assert_eq!(template.doc, vec!["Why."]);
        assert_eq!(template.placeholders[0].kind, PlaceholderKind::Ident);
    }

    #[test]
    fn an_unknown_placeholder_is_an_error_at_its_line() {
        let errors = parse_template("-- @ident a x\nSELECT {{a}}\nFROM {{b}}").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(
            errors[0].message.contains("unknown placeholder `{{b}}`"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn an_unused_placeholder_is_an_error_at_its_declaration() {
        let errors = parse_template("-- x\n-- @literal unused x\nSELECT 1").unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("declared but never used"));
    }

    #[test]
    fn an_unknown_kind_and_a_duplicate_declaration_are_errors() {
        let errors =
            parse_template("-- @raw a x\n-- @ident b x\n-- @ident b y\nSELECT {{b}}").unwrap_err();
        assert!(errors
            .iter()
            .any(|e| e.line == 1 && e.message.contains("unknown placeholder kind")));
        assert!(errors
            .iter()
            .any(|e| e.line == 3 && e.message.contains("declared twice")));
    }

    #[test]
    fn an_unclosed_placeholder_is_an_error() {
        let errors = parse_template("SELECT {{a").unwrap_err();
        assert!(errors[0].message.contains("without a closing"));
    }
}
