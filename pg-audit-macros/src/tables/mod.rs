//! `audit_tables!`: parse → validate → expand.

mod ast;
mod expand;
mod valid;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let declaration: ast::Declaration = syn::parse2(input)?;
    valid::check(&declaration)?;
    Ok(expand::tables(&declaration))
}

#[cfg(test)]
mod tests;
