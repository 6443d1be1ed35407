//! Access tokens (RFC 9068 JWTs signed with EdDSA, by
//! [`TokenRequest::mint`](crate::oidc::grants::request::TokenRequest::mint))
//! and the token response every grant answers with.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use identity::client::{Client, GrantType};
use identity::level::AssuranceLevel;
use serde::Serialize;

use crate::oidc::error::OAuthError;

/// The token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: u32,
    pub(crate) scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
}

/// RFC 9068 access-token claims for a client acting as itself.
#[derive(Debug, Serialize)]
pub(crate) struct AccessClaims<'a> {
    pub(crate) iss: &'a str,
    pub(crate) sub: &'a str,
    /// The resources it is meant for: one (a string) or several (an array).
    pub(crate) aud: serde_json::Value,
    pub(crate) client_id: &'a str,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) jti: String,
    pub(crate) scope: &'a str,
    /// RFC 9449 §6: the thumbprint of the DPoP key the token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cnf: Option<Confirmation>,
    /// For a person's token: the level of the log-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) acr: Option<&'static str>,
    /// For a person's token: when the person logged in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auth_time: Option<i64>,
    /// For an organisation's token: the person acting for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) act: Option<Actor<'a>>,
    /// For a person's token: the grant it was issued in
    /// ([`GRANT_CLAIM`](crate::services::identity::grants::GRANT_CLAIM)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) grant_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Confirmation {
    pub(crate) jkt: String,
}

/// Whom an access token is about: the client itself, or a person's log-in
/// (with its level and time).
pub(crate) struct TokenSubject<'a> {
    pub(crate) sub: &'a str,
    pub(crate) login: Option<(AssuranceLevel, DateTime<Utc>)>,
    /// The person acting when `sub` is an organisation.
    pub(crate) actor: Option<&'a str>,
    /// The grant of a person's log-in the token is issued in.
    pub(crate) grant: Option<&'a str>,
}

/// RFC 8693 §4.1: the party acting for the subject.
#[derive(Debug, Serialize)]
pub(crate) struct Actor<'a> {
    pub(crate) sub: &'a str,
}

/// The scopes of `scope` that `client` may hold in a token: a scope of the
/// platform's own API only for a client the platform trusts (a
/// registration can hold no other, this keeps it so for one stored
/// before that rule).
pub(crate) fn token_scopes(client: &Client, scope: &str) -> Vec<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .filter(|s| client.trusted || !identity::client::is_api_scope(s))
        .map(str::to_string)
        .collect()
}

/// Whom a token is meant for: the resource the client named (RFC 8707),
/// or this provider (its UserInfo) and, when a scope of the API was
/// granted, the API.
pub(crate) fn audiences(
    issuer: &str,
    resource: Option<&str>,
    scopes: &[String],
) -> serde_json::Value {
    if let Some(r) = resource {
        return r.into();
    }
    if scopes.iter().any(|s| identity::client::is_api_scope(s)) {
        serde_json::json!([issuer, crate::auth::api_audience(issuer)])
    } else {
        issuer.into()
    }
}

/// A new secret value (a refresh token, a request URI's tail): 32 random
/// bytes, base64url.
pub(crate) fn random_secret() -> Result<String, OAuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(OAuthError::server)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Refuses a grant the client is not registered for.
pub(crate) fn require_grant(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.grant_types.contains(&grant) {
        Ok(())
    } else {
        Err(OAuthError::bad(
            "unauthorized_client",
            format!("this client is not registered for {}", grant.as_str()),
        ))
    }
}
