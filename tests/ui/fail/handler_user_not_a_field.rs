struct AuthUser {
    id: i64,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AuthUser {
    type Rejection = axum::http::StatusCode;
    async fn from_request_parts(_: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(AuthUser { id: 1 })
    }
}

#[pg_audit::audited_handler(user = auth.user_id)]
async fn handler(auth: AuthUser) -> String {
    auth.id.to_string()
}

fn main() {}
