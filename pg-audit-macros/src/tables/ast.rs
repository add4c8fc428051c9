//! The parsed form of an `audit_tables!` invocation.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, Ident, LitStr, Token};

/// A name as written: an identifier or a string literal.
#[derive(Clone)]
pub(crate) struct Name {
    pub value: String,
    pub span: Span,
}

impl Parse for Name {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            return Ok(Name {
                value: lit.value(),
                span: lit.span(),
            });
        }
        let ident: Ident = input.call(syn::ext::IdentExt::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a name: an identifier or a string literal",
            )
        })?;
        let value = ident.to_string();
        Ok(Name {
            value: value.strip_prefix("r#").unwrap_or(&value).to_string(),
            span: ident.span(),
        })
    }
}

/// `table` or `schema.table`.
#[derive(Clone)]
pub(crate) struct TableName {
    pub schema: Option<Name>,
    pub table: Name,
}

impl TableName {
    pub(super) fn key(&self) -> (Option<&str>, &str) {
        (
            self.schema.as_ref().map(|s| s.value.as_str()),
            self.table.value.as_str(),
        )
    }

    pub(super) fn display(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", schema.value, self.table.value),
            None => self.table.value.clone(),
        }
    }
}

impl Parse for TableName {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let first: Name = input.parse()?;
        if !input.peek(Token![.]) {
            return Ok(TableName {
                schema: None,
                table: first,
            });
        }
        let dot: Token![.] = input.parse()?;
        if input.is_empty() || input.peek(Token![,]) || input.peek(Token![:]) {
            return Err(syn::Error::new(
                dot.span,
                "malformed `schema.table`: a table name must follow the dot",
            ));
        }
        let table: Name = input.parse()?;
        if input.peek(Token![.]) {
            let extra: Token![.] = input.parse()?;
            return Err(syn::Error::new(
                extra.span,
                "malformed `schema.table`: a name has at most one dot (write `schema.table`)",
            ));
        }
        Ok(TableName {
            schema: Some(first),
            table,
        })
    }
}

/// `[a, b.c, "d"]`.
pub(crate) struct TableList {
    pub tables: Vec<TableName>,
}

impl Parse for TableList {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        bracketed!(content in input);
        let tables = content.parse_terminated(TableName::parse, Token![,])?;
        Ok(TableList {
            tables: tables.into_iter().collect(),
        })
    }
}

/// `{ accounts: [password_hash], billing.cards: [number] }`.
pub(crate) struct ColumnMap {
    pub entries: Vec<(TableName, Vec<Name>)>,
}

struct ColumnEntry {
    table: TableName,
    columns: Vec<Name>,
}

impl Parse for ColumnEntry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let table: TableName = input.parse()?;
        input.parse::<Token![:]>()?;
        let content;
        bracketed!(content in input);
        let columns = content.parse_terminated(Name::parse, Token![,])?;
        Ok(ColumnEntry {
            table,
            columns: columns.into_iter().collect(),
        })
    }
}

impl Parse for ColumnMap {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        braced!(content in input);
        let entries = content.parse_terminated(ColumnEntry::parse, Token![,])?;
        Ok(ColumnMap {
            entries: entries.into_iter().map(|e| (e.table, e.columns)).collect(),
        })
    }
}

/// One `key: value` of the invocation.
pub(crate) enum Entry {
    Schemas(Ident, Vec<Name>),
    Exclude(Ident, TableList),
    Mask(Ident, ColumnMap),
    Ignore(Ident, ColumnMap),
}

impl Entry {
    pub(super) fn key(&self) -> &Ident {
        match self {
            Entry::Schemas(k, _)
            | Entry::Exclude(k, _)
            | Entry::Mask(k, _)
            | Entry::Ignore(k, _) => k,
        }
    }
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        Ok(match key.to_string().as_str() {
            "schemas" => {
                let content;
                bracketed!(content in input);
                let names = content.parse_terminated(Name::parse, Token![,])?;
                Entry::Schemas(key, names.into_iter().collect())
            }
            "exclude" => Entry::Exclude(key, input.parse()?),
            "mask" => Entry::Mask(key, input.parse()?),
            "ignore" => Entry::Ignore(key, input.parse()?),
            other => {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                    "unknown key `{other}`: expected one of `schemas`, `exclude`, `mask`, `ignore`"
                ),
                ))
            }
        })
    }
}

/// The whole invocation.
pub(crate) struct Declaration {
    pub entries: Vec<Entry>,
}

impl Parse for Declaration {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let entries = input.parse_terminated(Entry::parse, Token![,])?;
        Ok(Declaration {
            entries: entries.into_iter().collect(),
        })
    }
}
