//! The handler rebuilt: same signature plus a leading audit-record extractor, the body run
//! inside `pg_audit::scope` with the request's context.

use super::attr::Options;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{parse_quote, FnArg, ItemFn};

pub(crate) fn handler(options: &Options, mut function: ItemFn) -> TokenStream {
    let record: FnArg = parse_quote!(__pg_audit_request: ::pg_audit::RequestAudit);
    function.sig.inputs.insert(0, record);

    let mut calls = Vec::new();
    if let Some(user) = &options.user {
        calls.push(quote!(.user(&(#user))));
    }
    if let Some(name) = &options.name {
        calls.push(quote!(.name(#name)));
    }
    for (key, value) in &options.context {
        let key = key.to_string();
        calls.push(quote!(.context(#key, &(#value))));
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
            #(#calls)*
            .finish();
        ::pg_audit::scope(__pg_audit_context, async move #body).await
    });
    quote!(#function)
}
