//! The options of `#[audited_handler(...)]`, parsed into plain data.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr};

/// The handler's options.
#[derive(Default)]
pub(crate) struct Options {
    /// The `user` key as written (where a type error of the call it becomes is reported)
    /// and the expression.
    pub user: Option<(Ident, Expr)>,
    pub name: Option<LitStr>,
    pub context: Vec<(Ident, Expr)>,
    pub skip_request_body: bool,
    pub skip_response_body: bool,
    pub log_get: bool,
}

const KNOWN: &str =
    "`user`, `name`, `context`, `skip_request_body`, `skip_response_body` or `log_get`";

pub(crate) fn parse(args: TokenStream) -> syn::Result<Options> {
    let mut options = Options::default();
    let mut seen: Vec<String> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let ident = meta
            .path
            .get_ident()
            .cloned()
            .ok_or_else(|| meta.error(format!("expected one of {KNOWN}")))?;
        let key = ident.to_string();
        if seen.contains(&key) {
            return Err(syn::Error::new(
                ident.span(),
                format!("`{key}` is given more than once"),
            ));
        }
        seen.push(key.clone());
        match key.as_str() {
            "user" => options.user = Some((ident, meta.value()?.parse()?)),
            "name" => options.name = Some(name(&meta)?),
            "context" => options.context = context(&meta)?,
            "skip_request_body" => options.skip_request_body = flag(&meta, &key)?,
            "skip_response_body" => options.skip_response_body = flag(&meta, &key)?,
            "log_get" => options.log_get = flag(&meta, &key)?,
            other => {
                return Err(syn::Error::new(
                    ident.span(),
                    format!("unknown option `{other}`: expected {KNOWN}"),
                ))
            }
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(options)
}

fn name(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    let value = meta.value()?;
    let lit: LitStr = value.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "`name` takes a string literal, e.g. `name = \"orders.create\"`",
        )
    })?;
    if lit.value().trim().is_empty() {
        return Err(syn::Error::new(lit.span(), "`name` must not be empty"));
    }
    if lit.value().contains('\0') {
        return Err(syn::Error::new(
            lit.span(),
            "`name` must not contain a NUL character",
        ));
    }
    Ok(lit)
}

fn context(meta: &ParseNestedMeta) -> syn::Result<Vec<(Ident, Expr)>> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(
            "`context` takes entries in parentheses, e.g. `context(tenant = auth.tenant_id)`",
        ));
    }
    let mut entries: Vec<(Ident, Expr)> = Vec::new();
    meta.parse_nested_meta(|entry| {
        let key = entry
            .path
            .get_ident()
            .cloned()
            .ok_or_else(|| entry.error("a context key is a plain identifier"))?;
        if entries.iter().any(|(k, _)| *k == key) {
            return Err(syn::Error::new(
                key.span(),
                format!("context key `{key}` is given more than once"),
            ));
        }
        let value: Expr = entry.value()?.parse()?;
        entries.push((key, value));
        Ok(())
    })?;
    if entries.is_empty() {
        return Err(meta.error("`context(...)` needs at least one `key = value` entry"));
    }
    Ok(entries)
}

fn flag(meta: &ParseNestedMeta, key: &str) -> syn::Result<bool> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            meta.path.span(),
            format!("`{key}` is a flag and takes no value"),
        ));
    }
    Ok(true)
}
