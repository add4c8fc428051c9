//! The handler rebuilt: same signature plus a leading audit-record extractor, the body run
//! inside the request's audit context. The generated code names only `pg_audit::__private`.

use super::attr::Options;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_quote, Expr, FnArg, ItemFn};

pub(crate) fn handler(options: &Options, mut function: ItemFn) -> TokenStream {
    let record: FnArg = parse_quote!(__pg_audit_request: ::pg_audit::__private::RequestAudit);
    function.sig.inputs.insert(0, record);

    let mut calls = Vec::new();
    if let Some((key, user)) = &options.user {
        let user_ref = by_ref(user);
        calls.push(quote_spanned!(key.span()=> .user(#user_ref)));
    }
    if let Some(name) = &options.name {
        calls.push(quote!(.name(#name)));
    }
    for (key, value) in &options.context {
        let name = key.to_string();
        let value_ref = by_ref(value);
        calls.push(quote_spanned!(key.span()=> .context(#name, #value_ref)));
    }
    if options.skip_request_body {
        calls.push(quote!(.skip_request_body()));
    }
    if options.skip_response_body {
        calls.push(quote!(.skip_response_body()));
    }
    if options.log_get {
        calls.push(quote!(.log_get()));
    }
    let body = &function.block;
    *function.block = parse_quote!({
        let __pg_audit_context = ::pg_audit::__private::HandlerContext::new(&__pg_audit_request)
            #(#calls)*;
        __pg_audit_context.scope(async move #body).await
    });
    quote!(#function)
}

/// `&expr`, spanned on the user's own tokens, so that a type error (a user that is not an
/// `AuditUser`, a context value that is not `Serialize`) points at the expression written in
/// the attribute, not at the whole attribute.
fn by_ref(expr: &Expr) -> TokenStream {
    let span = expr.span();
    match expr {
        // `&` binds looser than these, so it borrows the whole expression, and the span of
        // the borrow runs from the user's first token to their last.
        Expr::Path(_)
        | Expr::Field(_)
        | Expr::MethodCall(_)
        | Expr::Call(_)
        | Expr::Index(_)
        | Expr::Lit(_)
        | Expr::Macro(_)
        | Expr::Struct(_)
        | Expr::Paren(_)
        | Expr::Tuple(_)
        | Expr::Array(_)
        | Expr::Try(_)
        | Expr::Await(_)
        | Expr::Reference(_)
        | Expr::Unary(_) => quote_spanned!(span=> &#expr),
        // The others (`a + b`, `a as T`, …) need parentheses, whose span can only be one token
        // (joining spans is nightly-only): a type error then points at the first token.
        _ => quote_spanned!(span=> &(#expr)),
    }
}
