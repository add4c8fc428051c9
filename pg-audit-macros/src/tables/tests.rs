//! Expansions of `audit_tables!`, formatted for review, and its parse/validation errors.

use quote::quote;

fn pretty(tokens: proc_macro2::TokenStream) -> String {
    let file: syn::File = syn::parse2(quote!(static TABLES: ::pg_audit::Tables = #tokens;))
        .expect("expansion parses");
    prettyplease::unparse(&file)
}

fn error(tokens: proc_macro2::TokenStream) -> String {
    match super::expand(tokens) {
        Ok(out) => panic!("expected an error, got {out}"),
        Err(e) => e
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn a_full_declaration_expands_to_a_tables_constant() {
    let out = super::expand(quote! {
        schemas: [public, billing],
        exclude: [sessions, "job_queue", billing.raw_events],
        mask: { accounts: [password_hash, api_token] },
        ignore: { accounts: [last_seen_at], "Odd Table": ["Last Seen"] },
    })
    .unwrap();
    insta::assert_snapshot!(pretty(out));
}

#[test]
fn an_empty_declaration_audits_public() {
    insta::assert_snapshot!(pretty(super::expand(quote!()).unwrap()));
}

#[test]
fn mistakes_are_reported_with_a_message_each() {
    assert_eq!(
        error(quote!(exclud: [a])),
        "unknown key `exclud`: expected one of `schemas`, `exclude`, `mask`, `ignore`"
    );
    assert_eq!(
        error(quote!(exclude: [a], exclude: [b])),
        "duplicate key `exclude`: each key may appear once"
    );
    assert_eq!(error(quote!(exclude: [a, b, a])), "duplicate table `a`");
    assert_eq!(
        error(quote!(exclude: [a], mask: { a: [x] })),
        "table `a` is excluded, so it cannot also be in `mask`: remove it from one of them"
    );
    assert_eq!(error(quote!(exclude: [""])), "empty table name");
    assert!(error(quote!(exclude: [a.b.c])).contains("at most one dot"));
    assert!(error(quote!(exclude: [a.])).contains("a table name must follow the dot"));
    assert_eq!(error(quote!(mask: { a: [x, x] })), "duplicate column `x`");
    let long = "t".repeat(64);
    assert_eq!(
        error(quote!(exclude: [#long])),
        "table name is 64 bytes long; PostgreSQL names have at most 63"
    );
}

#[test]
fn a_bare_excluded_name_covers_the_same_table_in_any_schema() {
    assert_eq!(
        error(quote!(schemas: [public, billing], exclude: [accounts], ignore: { billing.accounts: [seen] })),
        "table `billing.accounts` is excluded, so it cannot also be in `ignore`: remove it from one of them"
    );
    // Excluding one schema's table leaves the others' masks meaningful.
    assert!(super::expand(quote!(
        schemas: [public, billing],
        exclude: [billing.accounts],
        mask: { accounts: [token] },
    ))
    .is_ok());
}

#[test]
fn empty_lists_that_would_silently_do_nothing_are_refused() {
    assert!(error(quote!(schemas: [])).starts_with("`schemas` lists no schema"));
    assert_eq!(
        error(quote!(mask: { accounts: [] })),
        "`accounts` lists no column in `mask`: name its columns or remove it"
    );
    // An empty exclude list is harmless: nothing is excluded.
    assert!(super::expand(quote!(exclude: [])).is_ok());
}

#[test]
fn hostile_input_is_an_error_not_a_panic() {
    assert_eq!(
        error(quote!(exclude: ["a\0b"])),
        "table name contains a NUL character"
    );
    assert!(!error(quote!(exclude: [1])).is_empty());
    assert!(!error(quote!(mask: [a])).is_empty());
    assert!(!error(quote!(mask: { a: x })).is_empty());
    assert!(!error(quote!(schemas: public)).is_empty());
    let huge = "é".repeat(32);
    assert_eq!(
        error(quote!(mask: { t: [#huge] })),
        "column name is 64 bytes long; PostgreSQL names have at most 63"
    );
}
