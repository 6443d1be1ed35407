//! The `client_credentials` grant (RFC 6749 §4.4).

use chrono::Utc;

use crate::oidc::error::OAuthError;
use crate::oidc::grants::request::TokenRequest;
use crate::oidc::mint::{TokenResponse, TokenSubject};

/// The `client_credentials` grant: an agency system acting as itself,
/// for the scopes it asks among those registered, for the resource it
/// names (RFC 8707) or the provider.
pub(crate) async fn grant(request: &TokenRequest<'_>) -> Result<TokenResponse, OAuthError> {
    let TokenRequest { form, client, .. } = *request;
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
    let jkt = request.dpop_key(now).await?;
    let subject = TokenSubject {
        sub: client.id.as_str(),
        login: None,
        actor: None,
        grant: None,
    };
    request.mint(subject, aud, &scope, jkt, now)
}
