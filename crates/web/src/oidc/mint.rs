//! Access tokens (RFC 9068 JWTs signed with EdDSA) and the token response
//! every grant answers with.

use chrono::{DateTime, Utc};
use identity::client::{Client, GrantType};
use identity::level::AssuranceLevel;
use serde::Serialize;

use crate::oidc::error::OAuthError;
use crate::services::identity::grants::{self};
use crate::state::AppState;

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
    /// For a person's token: the grant it was issued in ([`GRANT_CLAIM`]).
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

/// Signs an access token for `client`, for `resource` (or the provider
/// and, with an API scope, the API), bound to a DPoP key when one was
/// proven.
#[allow(clippy::too_many_arguments)]
pub(crate) fn mint(
    state: &AppState,
    client: &Client,
    subject: TokenSubject<'_>,
    resource: Option<&str>,
    scope: &str,
    jkt: Option<String>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let TokenSubject {
        sub,
        login,
        actor,
        grant,
    } = subject;
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let scopes = token_scopes(client, scope);
    let scope = scopes.join(" ");
    let claims = AccessClaims {
        iss: state.oidc.issuer(),
        sub,
        aud: audiences(state.oidc.issuer(), resource, &scopes),
        client_id: client.id.as_str(),
        iat: now.timestamp(),
        exp: now.timestamp() + i64::from(client.access_token_ttl),
        jti: uuid::Uuid::now_v7().to_string(),
        scope: &scope,
        cnf: jkt.map(|jkt| Confirmation { jkt }),
        acr: login.map(|(level, _)| level.acr()),
        auth_time: login.map(|(_, at)| at.timestamp()),
        act: actor.map(|sub| Actor { sub }),
        grant_id: grant,
    };
    let access_token = state
        .oidc
        .signing_key()
        .sign("at+jwt", &claims)
        .map_err(OAuthError::server)?;
    Ok(TokenResponse {
        access_token,
        token_type,
        expires_in: client.access_token_ttl,
        scope,
        refresh_token: None,
        id_token: None,
    })
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

/// The subject and the actor (when a person acts for an organisation) as
/// `client` knows them.
pub(crate) async fn subjects_for(
    state: &AppState,
    client: &Client,
    subject: &str,
    actor: Option<&str>,
    record: bool,
) -> Result<(String, Option<String>), OAuthError> {
    let sub = grants::subject_for(state, client, subject, record)
        .await
        .map_err(OAuthError::server)?;
    let actor = match actor {
        Some(person) => Some(
            grants::subject_for(state, client, person, record)
                .await
                .map_err(OAuthError::server)?,
        ),
        None => None,
    };
    Ok((sub, actor))
}
