//! The `refresh_token` grant.

use std::collections::HashMap;

use axum::http::HeaderMap;
use base64::Engine as _;
use chrono::Utc;
use identity::client::{Client, GrantType};

use crate::oidc::dpop::{TOKEN_PATH, dpop_key};
use crate::oidc::error::OAuthError;
use crate::oidc::mint::{TokenResponse, TokenSubject, mint, require_grant, subjects_for};
use crate::services::identity::grants::{self, Rotation};
use crate::state::AppState;

/// The `refresh_token` grant: the token is rotated (a new one replaces it)
/// and a new access token issued in the same grant; a token presented a
/// second time (or revoked) revokes every token of that grant.
pub(crate) async fn refresh(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    client: &Client,
) -> Result<TokenResponse, OAuthError> {
    require_grant(client, GrantType::RefreshToken)?;
    let presented = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::request("refresh_token is required"))?;
    let now = Utc::now();
    // a bad proof is refused before the token is spent
    let jkt = dpop_key(state, headers, now, TOKEN_PATH).await?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(OAuthError::server)?;
    let new_token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let outcome = grants::rotate_refresh(state, presented, &new_token, now)
        .await
        .map_err(OAuthError::server)?;
    let invalid = |m: &str| OAuthError::bad("invalid_grant", m.to_string());
    let grant = match outcome {
        Rotation::Rotated(g) => g,
        Rotation::Reused { family } => {
            tracing::warn!(client = %client.id, family, "a used or revoked refresh token was presented: its grant is revoked");
            return Err(invalid(
                "the refresh token was used or revoked before: every token of this log-in is revoked; log in again",
            ));
        }
        Rotation::Expired => return Err(invalid("the refresh token has expired")),
        Rotation::Unknown => return Err(invalid("unknown refresh token")),
    };
    if grant.client_id != client.id.as_str() {
        return Err(invalid("the refresh token was issued to another client"));
    }
    identity::authz::dpop_binding(grant.jkt.as_deref(), jkt.as_deref())
        .map_err(|e| OAuthError::bad("invalid_dpop_proof", e.to_string()))?;
    let scope = grant.scopes.iter().cloned().collect::<Vec<_>>().join(" ");
    let (sub, actor) =
        subjects_for(state, client, &grant.subject, grant.actor.as_deref(), false).await?;
    let subject = TokenSubject {
        sub: &sub,
        login: Some((grant.level, grant.auth_time)),
        actor: actor.as_deref(),
        grant: Some(&grant.family),
    };
    let mut answer = mint(state, client, subject, None, &scope, jkt, now)?;
    answer.refresh_token = Some(new_token);
    Ok(answer)
}
