//! SQL rendering: every statement pg-audit runs comes from a template in `sql-templates/`,
//! rendered through a typed struct generated at build time (see `template_syntax`). Values
//! are quoted by the kind their placeholder declares, so no caller concatenates names into
//! SQL, and the one place where rendered text becomes a query is [`Sql::query`] /
//! [`Sql::execute`].

pub(crate) mod quote;
#[allow(dead_code)] // the build script uses all of it; the crate only its tests
pub(crate) mod template_syntax;

/// The typed templates, one struct per file in `sql-templates/`.
pub mod templates {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

use sqlx::postgres::{PgArguments, PgExecutor};
use sqlx::{AssertSqlSafe, Postgres};

/// SQL text produced by rendering a template: identifiers and literals in it were quoted by
/// their placeholder's kind. It can only be made by the renderer, so holding one means the
/// text is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sql(String);

impl Sql {
    /// Wraps text the renderer produced. Only generated template code calls this.
    pub(crate) fn trusted(text: String) -> Self {
        Sql(text)
    }

    /// Joins rendered pieces with a separator (itself fixed SQL such as `", "` or `" OR "`).
    pub(crate) fn join(parts: impl IntoIterator<Item = Sql>, separator: &'static str) -> Self {
        let mut out = String::new();
        for (index, part) in parts.into_iter().enumerate() {
            if index > 0 {
                out.push_str(separator);
            }
            out.push_str(&part.0);
        }
        Sql(out)
    }

    /// Fixed SQL written in pg-audit's own source (a keyword, an operator), never user input.
    pub(crate) fn fixed(text: &'static str) -> Self {
        Sql(text.to_string())
    }

    /// The SQL text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A prepared query over this text, to bind parameters to (`$1`, `$2`, …).
    pub(crate) fn query(self) -> sqlx::query::Query<'static, Postgres, PgArguments> {
        sqlx::query(AssertSqlSafe(self.0))
    }

    /// A prepared query whose rows map to `T`.
    pub(crate) fn query_as<T>(self) -> sqlx::query::QueryAs<'static, Postgres, T, PgArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        sqlx::query_as(AssertSqlSafe(self.0))
    }

    /// A prepared query returning one scalar `T`.
    pub(crate) fn query_scalar<T>(
        self,
    ) -> sqlx::query::QueryScalar<'static, Postgres, T, PgArguments>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        sqlx::query_scalar(AssertSqlSafe(self.0))
    }

    /// Runs the text, which may hold several statements, with the simple query protocol.
    pub(crate) async fn execute<'e>(
        self,
        executor: impl PgExecutor<'e>,
    ) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(self.0))
            .execute(executor)
            .await
            .map(|_| ())
    }
}

impl std::fmt::Display for Sql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::template_syntax::{parse_template, PlaceholderKind};

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
