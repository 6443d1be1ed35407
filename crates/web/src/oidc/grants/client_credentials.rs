//! The `client_credentials` grant (RFC 6749 §4.4).

use std::collections::HashMap;

use axum::http::HeaderMap;
use chrono::Utc;
use identity::client::{Client, GrantType};

use crate::oidc::dpop::{TOKEN_PATH, dpop_key};
use crate::oidc::error::OAuthError;
use crate::oidc::mint::{TokenResponse, TokenSubject, mint, require_grant};
use crate::state::AppState;

/// The `client_credentials` grant: an agency system acting as itself,
/// for the scopes it asks among those registered, for the resource it
/// names (RFC 8707) or the provider.
pub(crate) async fn grant(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    client: &Client,
) -> Result<TokenResponse, OAuthError> {
    require_grant(client, GrantType::ClientCredentials)?;
    let asked = form
        .get("scope")
        .map(|s| s.split(' ').filter(|s| !s.is_empty()));
    let scopes = client
        .grant_scopes(asked.into_iter().flatten())
        .map_err(|s| {
            OAuthError::bad(
                "invalid_scope",
                format!("the scope {s:?} is not registered for this client"),
            )
        })?;
    let scope = scopes.into_iter().collect::<Vec<_>>().join(" ");
    let aud = match form.get("resource") {
        Some(r) if r.starts_with("https://") || r.starts_with("http://") => Some(r.as_str()),
        Some(r) => {
            return Err(OAuthError::bad(
                "invalid_target",
                format!("resource {r:?} is not an absolute URI"),
            ));
        }
        None => None,
    };
    let now = Utc::now();
    let jkt = dpop_key(state, headers, now, TOKEN_PATH).await?;
    let subject = TokenSubject {
        sub: client.id.as_str(),
        login: None,
        actor: None,
        grant: None,
    };
    mint(state, client, subject, aud, &scope, jkt, now)
}
