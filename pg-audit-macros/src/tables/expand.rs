//! The `pg_audit::Tables` constant an `audit_tables!` declaration stands for, built through
//! the `const fn` constructors of `pg_audit::__private` (the types' fields are private).

use super::ast::{ColumnMap, Declaration, Entry, TableName};
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn tables(declaration: &Declaration) -> TokenStream {
    let mut schemas = vec![quote!("public")];
    let mut exclude = Vec::new();
    let mut mask = Vec::new();
    let mut ignore = Vec::new();
    for entry in &declaration.entries {
        match entry {
            Entry::Schemas(_, names) => schemas = names.iter().map(|n| literal(&n.value)).collect(),
            Entry::Exclude(_, list) => exclude = list.tables.iter().map(table_ref).collect(),
            Entry::Mask(_, map) => mask = columns(map),
            Entry::Ignore(_, map) => ignore = columns(map),
        }
    }
    // A `const` item, because only there are the constructors' calls promoted to `'static`:
    // the declaration then works anywhere, not only in a `static` or a `const`.
    quote! {{
        const __PG_AUDIT_TABLES: ::pg_audit::Tables = ::pg_audit::__private::tables(
            &[#(#schemas),*],
            &[#(#exclude),*],
            &[#(#mask),*],
            &[#(#ignore),*],
        );
        __PG_AUDIT_TABLES
    }}
}

fn literal(value: &str) -> TokenStream {
    quote!(#value)
}

fn table_ref(t: &TableName) -> TokenStream {
    let name = literal(&t.table.value);
    let schema = match &t.schema {
        Some(s) => {
            let s = literal(&s.value);
            quote!(::core::option::Option::Some(#s))
        }
        None => quote!(::core::option::Option::None),
    };
    quote!(::pg_audit::__private::table_ref(#schema, #name))
}

fn columns(map: &ColumnMap) -> Vec<TokenStream> {
    map.entries
        .iter()
        .map(|(t, cols)| {
            let table = table_ref(t);
            let cols = cols.iter().map(|c| literal(&c.value));
            quote!((#table, &[#(#cols),*]))
        })
        .collect()
}
