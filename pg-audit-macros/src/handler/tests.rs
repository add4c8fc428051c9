//! Expansions of `#[audited_handler]`, formatted for review, and its errors.

use quote::quote;

fn pretty(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> String {
    let out = super::expand(args, item).expect("expands");
    prettyplease::unparse(&syn::parse2(out).expect("expansion parses"))
}

fn error(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> String {
    match super::expand(args, item) {
        Ok(out) => panic!("expected an error, got {out}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_handler_with_every_option() {
    insta::assert_snapshot!(pretty(
        quote!(
            user = auth.user_id,
            name = "orders.create",
            context(tenant = auth.tenant, reason = "api"),
            skip_response_body
        ),
        quote! {
            /// Creates an order.
            pub async fn create_order(auth: AuthUser, State(app): State<App>, Json(order): Json<NewOrder>) -> Result<Json<Order>, AppError> {
                let mut tx = pg_audit::begin(&app.pool).await?;
                tx.commit().await?;
                Ok(Json(order))
            }
        }
    ));
}

#[test]
fn a_generic_handler_keeps_its_generics_and_bounds() {
    insta::assert_snapshot!(pretty(
        quote!(),
        quote! {
            async fn get<S: Store + Clone>(State(store): State<S>, Path(id): Path<i64>) -> impl IntoResponse where S: Send + Sync {
                store.get(id).await
            }
        }
    ));
}

#[test]
fn misuse_is_reported() {
    assert!(error(
        quote!(),
        quote!(
            fn not_async() {}
        )
    )
    .contains("requires an `async fn`"));
    assert!(error(
        quote!(),
        quote!(
            async fn method(&self) {}
        )
    )
    .contains("cannot be used on a method with `self`"));
    assert!(error(
        quote!(usr = a),
        quote!(
            async fn f() {}
        )
    )
    .contains("unknown option `usr`"));
    assert!(error(
        quote!(user = a, user = b),
        quote!(
            async fn f() {}
        )
    )
    .contains("`user` is given more than once"));
    assert!(error(
        quote!(log_get, log_get),
        quote!(
            async fn f() {}
        )
    )
    .contains("`log_get` is given more than once"));
    assert!(error(
        quote!(name = 5),
        quote!(
            async fn f() {}
        )
    )
    .contains("`name` takes a string literal"));
    assert!(error(
        quote!(log_get = true),
        quote!(
            async fn f() {}
        )
    )
    .contains("is a flag and takes no value"));
    assert!(error(
        quote!(context(a = 1, a = 2)),
        quote!(
            async fn f() {}
        )
    )
    .contains("context key `a` is given more than once"));
    assert!(error(
        quote!(context),
        quote!(
            async fn f() {}
        )
    )
    .contains("`context` takes entries in parentheses"));
}

#[test]
fn an_operator_expression_is_borrowed_whole() {
    let out = pretty(
        quote!(
            user = first + "-admin",
            context(total = 2 * 21, tenant = auth.tenant)
        ),
        quote!(
            async fn f() {}
        ),
    );
    assert!(out.contains(r#".user(&(first + "-admin"))"#), "{out}");
    assert!(out.contains(r#".context("total", &(2 * 21))"#), "{out}");
    assert!(out.contains(r#".context("tenant", &auth.tenant)"#), "{out}");
}
