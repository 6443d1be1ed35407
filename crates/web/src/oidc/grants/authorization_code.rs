//! The `authorization_code` grant: a person's log-in redeemed for an
//! access token, an ID token and, for clients registered for it, a refresh
//! token.

use chrono::Utc;
use identity::authz::RefreshGrant;
use identity::client::{AuthMethod, GrantType};
use identity::level::AssuranceLevel;
use serde::Serialize;

use crate::oidc::error::OAuthError;
use crate::oidc::grants::request::TokenRequest;
use crate::oidc::mint::{Actor, TokenResponse, random_secret};
use crate::services::identity::grants::{self, Redemption, refresh_token_hash};

/// How long an ID token is valid (it is read once, at log-in).
pub const ID_TOKEN_TTL: i64 = 300;

/// The claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Serialize)]
pub(crate) struct IdClaims<'a> {
    pub(crate) iss: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) aud: &'a str,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) nonce: Option<&'a str>,
    pub(crate) acr: &'static str,
    pub(crate) amr: &'a [&'a str],
    pub(crate) azp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) act: Option<Actor<'a>>,
}

/// The `authorization_code` grant: the code is marked redeemed in the store
/// as a new grant (a second redemption finds that grant, revokes it and is
/// refused), checked against the client, the redirect URI and the PKCE
/// verifier, and answered with an access token, an ID token and, for
/// clients registered for it, a refresh token starting the grant's family.
pub(crate) async fn redeem_code(
    token_request: &TokenRequest<'_>,
) -> Result<TokenResponse, OAuthError> {
    let TokenRequest {
        state,
        form,
        client,
        ..
    } = *token_request;
    let code = token_request.required("code")?;
    let now = Utc::now();
    let invalid = |m: String| OAuthError::bad("invalid_grant", m);
    let grant_id = uuid::Uuid::now_v7().to_string();
    // RFC 6749 §4.1.2: a second redemption revokes the tokens of the first
    let taken = grants::redeem_code(state, &identity::jwk::sha256_b64url(code), &grant_id, now)
        .await
        .map_err(OAuthError::server)?;
    let grant = match taken {
        Redemption::First(grant) => *grant,
        Redemption::Replayed { grant: first } => {
            tracing::warn!(client = %client.id, grant = first, "an authorization code was redeemed again: the tokens of its first redemption are revoked");
            return Err(invalid(
                "the code was used before: the tokens it gave are revoked".into(),
            ));
        }
        Redemption::Unknown => {
            return Err(invalid(identity::authz::RedeemError::Code.to_string()));
        }
    };
    identity::authz::redeem(
        &grant,
        client.id.as_str(),
        form.get("redirect_uri").map(String::as_str),
        form.get("code_verifier").map(String::as_str),
        now,
    )
    .map_err(|e| invalid(e.to_string()))?;
    let jkt = token_request.dpop_key(now).await?;
    let request = &grant.request;
    let family = RefreshGrant {
        client_id: client.id.to_string(),
        subject: grant.subject.clone(),
        scopes: request.scopes.clone(),
        level: grant.level,
        auth_time: grant.auth_time,
        family: grant_id,
        actor: grant.actor.clone(),
        // a public client's renewals prove the key its tokens are bound to
        jkt: jkt
            .clone()
            .filter(|_| client.auth_method == AuthMethod::None),
    };
    // a code asked with dpop_jkt (or pushed with a proof) needs that key
    let (mut answer, sub, actor) = token_request
        .in_grant(&family, request.dpop_jkt.as_deref(), jkt, true, now)
        .await?;
    let amr: &[&str] = match grant.level {
        AssuranceLevel::Level2 => &["pwd", "otp"],
        AssuranceLevel::Level1 => &["pwd"],
    };
    let id = IdClaims {
        iss: state.oidc.issuer(),
        sub: &sub,
        aud: client.id.as_str(),
        exp: now.timestamp() + ID_TOKEN_TTL,
        iat: now.timestamp(),
        auth_time: grant.auth_time.timestamp(),
        nonce: request.nonce.as_deref(),
        acr: grant.level.acr(),
        amr,
        azp: client.id.as_str(),
        act: actor.as_deref().map(|sub| Actor { sub }),
    };
    answer.id_token = Some(
        state
            .oidc
            .signing_key()
            .sign("JWT", &id)
            .map_err(OAuthError::server)?,
    );
    if client.grant_types.contains(&GrantType::RefreshToken) {
        let token = random_secret()?;
        grants::put_refresh(
            state,
            &refresh_token_hash(&token),
            &family,
            now + grants::REFRESH_TTL,
        )
        .await
        .map_err(OAuthError::server)?;
        answer.refresh_token = Some(token);
    }
    tracing::info!(client = %client.id, level = %grant.level, "authorization code redeemed");
    Ok(answer)
}
