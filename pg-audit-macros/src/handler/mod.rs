//! `#[audited_handler]`: parse the options → validate the function → expand.

mod attr;
mod expand;
mod valid;

use proc_macro2::TokenStream;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = attr::parse(args)?;
    let function: syn::ItemFn = syn::parse2(item)?;
    valid::check(&function)?;
    Ok(expand::handler(&options, function))
}

#[cfg(test)]
mod tests;
