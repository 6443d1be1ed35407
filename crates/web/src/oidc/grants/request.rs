//! A token request from an authenticated client: what every grant reads,
//! and the access token it answers with.

use std::collections::HashMap;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use identity::authz::RefreshGrant;
use identity::client::Client;

use crate::oidc::dpop::{TOKEN_PATH, dpop_key};
use crate::oidc::error::OAuthError;
use crate::oidc::mint::{
    AccessClaims, Actor, Confirmation, TokenResponse, TokenSubject, audiences, token_scopes,
};
use crate::services::identity::grants;
use crate::state::AppState;

/// The request a grant serves: its headers and form, and the client
/// authenticated for it (registered for the grant).
pub(crate) struct TokenRequest<'a> {
    pub(crate) state: &'a AppState,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) form: &'a HashMap<String, String>,
    pub(crate) client: &'a Client,
}

impl TokenRequest<'_> {
    /// The parameter `name`, which the grant requires.
    pub(crate) fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.form
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| OAuthError::request(format!("{name} is required")))
    }

    /// The key of the request's DPoP proof for the token endpoint, if it
    /// has one (see [`dpop_key`]).
    pub(crate) async fn dpop_key(&self, now: DateTime<Utc>) -> Result<Option<String>, OAuthError> {
        dpop_key(self.state, self.headers, now, TOKEN_PATH).await
    }

    /// Signs an access token for the client, for `resource` (or the
    /// provider and, with an API scope, the API), bound to a DPoP key when
    /// one was proven.
    pub(crate) fn mint(
        &self,
        subject: TokenSubject<'_>,
        resource: Option<&str>,
        scope: &str,
        jkt: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<TokenResponse, OAuthError> {
        let TokenRequest { state, client, .. } = *self;
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

    /// An access token in `grant`, a person's log-in, with the DPoP key
    /// `jkt` proven (the one the grant is `bound_to`, if any); with the
    /// subject and the actor (when a person acts for an organisation) as
    /// the client knows them, recorded when `record`.
    pub(crate) async fn in_grant(
        &self,
        grant: &RefreshGrant,
        bound_to: Option<&str>,
        jkt: Option<String>,
        record: bool,
        now: DateTime<Utc>,
    ) -> Result<(TokenResponse, String, Option<String>), OAuthError> {
        identity::authz::dpop_binding(bound_to, jkt.as_deref())
            .map_err(|e| OAuthError::bad("invalid_dpop_proof", e.to_string()))?;
        let scope = grant.scopes.iter().cloned().collect::<Vec<_>>().join(" ");
        let sub = self.subject_for(&grant.subject, record).await?;
        let actor = match &grant.actor {
            Some(person) => Some(self.subject_for(person, record).await?),
            None => None,
        };
        let subject = TokenSubject {
            sub: &sub,
            login: Some((grant.level, grant.auth_time)),
            actor: actor.as_deref(),
            grant: Some(&grant.family),
        };
        let answer = self.mint(subject, None, &scope, jkt, now)?;
        Ok((answer, sub, actor))
    }

    /// The identifier the client knows the account `internal` by.
    async fn subject_for(&self, internal: &str, record: bool) -> Result<String, OAuthError> {
        grants::subject_for(self.state, self.client, internal, record)
            .await
            .map_err(OAuthError::server)
    }
}
