//! `POST /oidc/introspect` (RFC 7662): whether a token is active, for the
//! client it was issued to or the one named as its audience.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;

use crate::oidc::client_auth::client_and_token;
use crate::oidc::error::OAuthError;
use crate::oidc::http::no_store_answer;
use crate::services::identity::grants::{self, GRANT_CLAIM};
use crate::state::AppState;

/// `POST /oidc/introspect`
pub(crate) async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    no_store_answer(introspection(&state, &headers, &body).await.map(axum::Json))
}

/// Whether the token the client names is active, and what it says.
async fn introspection(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let (client, token, _) = client_and_token(state, headers, body).await?;
    let token = token.as_str();
    let inactive = serde_json::json!({ "active": false });
    let Some(claims) = crate::auth::token::live_claims(state, token, Utc::now()) else {
        return Ok(inactive);
    };
    // only the token's own client, or the service it is meant for
    let str_of = |k: &str| claims.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    let meant_for_client = match claims.get("aud") {
        Some(serde_json::Value::Array(a)) => a.iter().any(|v| v == client.id.as_str()),
        Some(v) => v == client.id.as_str(),
        None => false,
    };
    if str_of("client_id") != client.id.as_str() && !meant_for_client {
        return Ok(inactive);
    }
    let revoked = grants::is_revoked(
        state,
        str_of("jti"),
        claims.get(GRANT_CLAIM).and_then(|g| g.as_str()),
    )
    .await
    .map_err(OAuthError::server)?;
    if revoked {
        return Ok(inactive);
    }
    let mut out = serde_json::Map::new();
    out.insert("active".into(), true.into());
    // a DPoP-bound token says so, with the key it is bound to
    let bound = claims.contains_key("cnf");
    out.insert(
        "token_type".into(),
        if bound { "DPoP" } else { "Bearer" }.into(),
    );
    for k in [
        "scope",
        "client_id",
        "sub",
        "aud",
        "iss",
        "exp",
        "iat",
        "jti",
        "cnf",
    ] {
        if let Some(v) = claims.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    Ok(serde_json::Value::Object(out))
}
