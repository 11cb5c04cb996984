//! API tokens: create (the secret is shown once), list, revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::time_text;
use crate::auth::{hash_token, new_token, valid_scope, Caller};
use crate::problem::{ApiJson, ApiPath, ApiResult, Problem};
use crate::store::{self, now_ms};
use crate::SharedState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// `admin`, `read`, `scenarios`, `ingest:TWIN/STREAM` (`*` for any part).
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created: String,
    /// The secret, only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

async fn refresh(state: &SharedState) -> ApiResult<()> {
    let tokens = state.store.read(store::list_tokens).await?;
    state.tokens.replace(tokens);
    Ok(())
}

#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = TokenInfo), (status = 403, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 422, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_token(
    _caller: crate::auth::Admin,
    State(state): State<SharedState>,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<TokenInfo>)> {
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(Problem::unprocessable("a token needs a name (at most 200 bytes)").at("/name"));
    }
    if req.scopes.is_empty() {
        return Err(Problem::unprocessable("give at least one scope").at("/scopes"));
    }
    for (i, s) in req.scopes.iter().enumerate() {
        if !valid_scope(s) {
            return Err(Problem::unprocessable(format!(
                "unknown scope `{s}`: use admin, read, scenarios or ingest:TWIN/STREAM"
            ))
            .at(format!("/scopes/{i}")));
        }
    }
    let token = new_token();
    let (hash, name, scopes, now) = (
        hash_token(&token),
        req.name.clone(),
        req.scopes.clone(),
        now_ms(),
    );
    let id = state
        .store
        .write(move |c| store::insert_token(c, &name, &hash, &scopes, now))
        .await?;
    refresh(&state).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenInfo {
            id,
            name: req.name,
            scopes: req.scopes,
            created: time_text(now),
            token: Some(token),
        }),
    ))
}

#[utoipa::path(get, path = "/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenInfo>), (status = 403, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_tokens(
    caller: Caller,
    State(state): State<SharedState>,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    caller.require_admin()?;
    let rows = state.store.read(store::list_tokens).await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                name: t.name,
                scopes: t.scopes,
                created: time_text(t.created_ms),
                token: None,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 204), (status = 409, body = crate::problem::ProblemDocument, content_type = "application/problem+json"), (status = 404, body = crate::problem::ProblemDocument, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete_token(
    caller: Caller,
    State(state): State<SharedState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    if caller.id == id {
        // Revoking the token in use would lock its holder out mid-session.
        return Err(Problem::conflict(
            "a token cannot revoke itself; use another admin token",
        ));
    }
    state
        .store
        .write(move |c| store::delete_token(c, id))
        .await?;
    refresh(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}
