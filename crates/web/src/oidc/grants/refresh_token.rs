//! The `refresh_token` grant.

use chrono::Utc;

use crate::oidc::error::OAuthError;
use crate::oidc::grants::request::TokenRequest;
use crate::oidc::mint::{TokenResponse, random_secret};
use crate::services::identity::grants::{self, Rotation};

/// The `refresh_token` grant: the token is rotated (a new one replaces it)
/// and a new access token issued in the same grant; a token presented a
/// second time (or revoked) revokes every token of that grant.
pub(crate) async fn refresh(request: &TokenRequest<'_>) -> Result<TokenResponse, OAuthError> {
    let TokenRequest { state, client, .. } = *request;
    let presented = request.required("refresh_token")?;
    let now = Utc::now();
    // a bad proof is refused before the token is spent
    let jkt = request.dpop_key(now).await?;
    let new_token = random_secret()?;
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
    let (mut answer, _, _) = request
        .in_grant(&grant, grant.jkt.as_deref(), jkt, false, now)
        .await?;
    answer.refresh_token = Some(new_token);
    Ok(answer)
}
