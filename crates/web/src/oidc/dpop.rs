//! DPoP proofs (RFC 9449) sent to the token and the pushed authorization
//! request endpoints: fresh, for the endpoint, used once.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};

use crate::oidc::error::OAuthError;
use crate::services::identity::grants;
use crate::state::AppState;

/// The token endpoint's path.
pub(crate) const TOKEN_PATH: &str = "/oidc/token";

/// The pushed authorization request endpoint's path.
pub(crate) const PAR_PATH: &str = "/oidc/par";

/// The key of the request's DPoP proof (made for `POST` on this server's
/// `path`), if it has one that verifies and was not used before; a proof
/// that does not verify is refused.
pub(crate) async fn dpop_key(
    state: &AppState,
    headers: &HeaderMap,
    now: DateTime<Utc>,
    path: &str,
) -> Result<Option<String>, OAuthError> {
    let mut proofs = headers.get_all("dpop").iter();
    let Some(proof) = proofs.next() else {
        return Ok(None);
    };
    let invalid = |m: String| OAuthError::bad("invalid_dpop_proof", m);
    if proofs.next().is_some() {
        return Err(invalid("one DPoP header at most".into()));
    }
    let proof = proof
        .to_str()
        .map_err(|_| invalid("the DPoP header is not text".into()))?;
    let uri = format!("{}{path}", state.oidc.issuer());
    let p = identity::dpop::verify_proof(proof, "POST", &uri, now, grants::DPOP_MAX_AGE, None)
        .map_err(|e| invalid(e.to_string()))?;
    let keep_until = p.iat + grants::DPOP_MAX_AGE + identity::dpop::CLOCK_SKEW;
    if !grants::first_use(state, &format!("dpop {}", p.jti), keep_until, now)
        .await
        .map_err(OAuthError::server)?
    {
        return Err(invalid(
            "this DPoP proof was used before: make a new one for each request".into(),
        ));
    }
    Ok(Some(p.jkt))
}
