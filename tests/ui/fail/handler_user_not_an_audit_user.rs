use axum::extract::FromRequestParts;
use axum::http::request::Parts;

struct AccountId(u64);

struct AuthUser {
    id: AccountId,
    score: f64,
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = axum::http::StatusCode;
    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(AuthUser { id: AccountId(1), score: 0.5 })
    }
}

#[pg_audit::audited_handler(user = auth.id)]
async fn by_account(auth: AuthUser) -> String {
    auth.id.0.to_string()
}

#[pg_audit::audited_handler(user = auth.score)]
async fn by_score(auth: AuthUser) -> String {
    auth.score.to_string()
}

fn main() {}
