//! `POST /oidc/revoke` (RFC 7009): the client that holds a token ends it;
//! a refresh token ends its whole grant.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use identity::client::Client;

use crate::oidc::client_auth::client_and_token;
use crate::oidc::error::OAuthError;
use crate::oidc::http::no_store_answer;
use crate::services::identity::grants;
use crate::state::AppState;

/// `POST /oidc/revoke`
pub(crate) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    no_store_answer(revocation(&state, &headers, &body).await)
}

/// Revokes the token the client names, if it is one of this provider's;
/// the answer (200, with no body) once it is revoked.
async fn revocation(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<StatusCode, OAuthError> {
    let (client, token, hint) = client_and_token(state, headers, body).await?;
    let now = Utc::now();
    // RFC 7009 §2.1: the hint says which kind to look for first; the
    // other is tried when the token is not of that kind
    if hint.as_deref() == Some("refresh_token") {
        if !revoke_refresh(state, &client, &token, now).await? {
            revoke_access(state, &client, &token, now).await?;
        }
    } else if !revoke_access(state, &client, &token, now).await? {
        revoke_refresh(state, &client, &token, now).await?;
    }
    // RFC 7009 §2.2: an invalid or expired token needs no revoking
    Ok(StatusCode::OK)
}

/// The client did not get the token it asks to revoke.
pub(crate) fn not_its_token() -> OAuthError {
    OAuthError::bad(
        "unauthorized_client",
        "the token was not issued to this client",
    )
}

/// Revokes `token` if it is a live access token of this provider, issued
/// to `client`; whether it was one.
pub(crate) async fn revoke_access(
    state: &AppState,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, OAuthError> {
    let Some(claims) = crate::auth::token::live_claims(state, token, now) else {
        return Ok(false);
    };
    if claims.get("client_id").and_then(|v| v.as_str()) != Some(client.id.as_str()) {
        return Err(not_its_token());
    }
    let jti = claims
        .get("jti")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let exp = claims
        .get("exp")
        .and_then(|v| v.as_i64())
        .and_then(|e| DateTime::<Utc>::from_timestamp(e, 0))
        .unwrap_or(now);
    grants::revoke_token(state, jti, exp, now)
        .await
        .map_err(OAuthError::server)?;
    tracing::info!(client = %client.id, jti, "access token revoked");
    Ok(true)
}

/// Revokes the grant of `token` if it is a refresh token (live or not)
/// issued to `client`: its refresh tokens and its access tokens (RFC 7009
/// §2.1); whether it was one.
pub(crate) async fn revoke_refresh(
    state: &AppState,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, OAuthError> {
    let Some(grant) = grants::refresh_grant(state, token)
        .await
        .map_err(OAuthError::server)?
    else {
        return Ok(false);
    };
    if grant.client_id != client.id.as_str() {
        return Err(not_its_token());
    }
    grants::revoke_grant(state, &grant.family, now)
        .await
        .map_err(OAuthError::server)?;
    tracing::info!(client = %client.id, grant = grant.family, "refresh token revoked with its grant");
    Ok(true)
}
