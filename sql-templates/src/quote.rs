//! Quoting by placeholder kind. These functions are called by the code that build.rs
//! generates from the templates and by the dynamic renderer.
//!
//! NUL cannot appear in PostgreSQL text and would end the query text early, so it is
//! dropped here; the public entry points refuse names containing it before they get here.

use crate::{Sql, Value};

/// Appends a value quoted by its kind.
pub(crate) fn push(out: &mut String, value: Value<'_>) {
    match value {
        Value::Ident(name) => push_ident(out, name),
        Value::Idents(names) => push_list(out, names, push_ident),
        Value::Literal(text) => push_literal(out, text),
        Value::Literals(texts) => push_list(out, texts, push_literal),
        Value::Fragment(sql) => out.push_str(sql.as_str()),
        Value::Dollar(sql) => push_dollar_quoted(out, sql),
    }
}

/// Appends `name` as a double-quoted identifier (`"a""b"` for `a"b`).
fn push_ident(out: &mut String, name: &str) {
    out.push('"');
    for c in name.chars().filter(|&c| c != '\0') {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// Appends `value` as a string literal: `'it''s'`, or `E'a\\b'` when it holds a backslash, so
/// the result is the same whatever `standard_conforming_strings` says.
fn push_literal(out: &mut String, value: &str) {
    if value.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in value.chars().filter(|&c| c != '\0') {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
}

fn push_list(out: &mut String, items: &[String], push: fn(&mut String, &str)) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        push(out, item);
    }
}

/// Appends trusted SQL inside a dollar quote whose tag does not occur in it, so no name or
/// literal rendered into a function body can end the quote early.
fn push_dollar_quoted(out: &mut String, sql: &Sql) {
    let body = sql.as_str();
    let mut tag = String::from("$pg_audit$");
    let mut counter = 0u32;
    while body.contains(&tag) {
        counter += 1;
        tag = format!("$pg_audit_{counter}$");
    }
    out.push_str(&tag);
    out.push_str(body);
    out.push_str(&tag);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(push: fn(&mut String, &str), value: &str) -> String {
        let mut out = String::new();
        push(&mut out, value);
        out
    }

    #[test]
    fn identifiers_double_their_quotes_and_keep_unicode() {
        assert_eq!(render(push_ident, "Order\"s; DROP"), "\"Order\"\"s; DROP\"");
        assert_eq!(render(push_ident, "заказы"), "\"заказы\"");
    }

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(render(push_literal, "it's"), "'it''s'");
        assert_eq!(render(push_literal, "a\\'b"), "E'a\\\\''b'");
    }

    #[test]
    fn nul_never_reaches_the_query_text() {
        assert_eq!(render(push_ident, "a\0b"), "\"ab\"");
        assert_eq!(render(push_literal, "a\0b"), "'ab'");
    }

    #[test]
    fn a_dollar_quote_picks_a_tag_absent_from_the_body() {
        let mut out = String::new();
        push_dollar_quoted(&mut out, &Sql::trusted("SELECT '$pg_audit$'".into()));
        assert_eq!(out, "$pg_audit_1$SELECT '$pg_audit$'$pg_audit_1$");
    }
}
