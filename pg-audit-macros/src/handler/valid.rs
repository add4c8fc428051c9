//! What a function must be to become an audited handler.

use syn::spanned::Spanned;
use syn::{FnArg, ItemFn};

pub(crate) fn check(function: &ItemFn) -> syn::Result<()> {
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        return Err(syn::Error::new(
            signature.fn_token.span,
            "#[audited_handler] requires an `async fn`: axum handlers are async",
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = signature.inputs.first() {
        return Err(syn::Error::new(receiver.span(), "#[audited_handler] cannot be used on a method with `self`: axum handlers are free functions"));
    }
    if let Some(variadic) = &signature.variadic {
        return Err(syn::Error::new(
            variadic.span(),
            "#[audited_handler] cannot be used on a variadic function",
        ));
    }
    Ok(())
}
