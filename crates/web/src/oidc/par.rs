//! `POST /oidc/par`: pushed authorization requests (RFC 9126).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;

use crate::oidc::client_auth::authenticated_client;
use crate::oidc::dpop::{PAR_PATH, dpop_key};
use crate::oidc::error::OAuthError;
use crate::oidc::http::{no_store_answer, parse_form};
use crate::oidc::mint::random_secret;
use crate::services::identity::grants;
use crate::state::AppState;

/// How long a pushed authorization request waits for the browser.
pub const PAR_LIFETIME: chrono::Duration = chrono::Duration::seconds(300);

/// RFC 9126 §2.2: the prefix of the `request_uri` values handed out.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// The pushed authorization request endpoint (RFC 9126): an authenticated
/// client sends its authorization request on the back channel, hears at
/// once what is wrong with it, and gets a `request_uri` to send the
/// browser with instead of the parameters.
pub(crate) async fn par(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    no_store_answer(
        pushed(&state, &headers, &body)
            .await
            .map(|v| (StatusCode::CREATED, axum::Json(v))),
    )
}

/// Checks and keeps the authorization request the client pushes; its
/// `request_uri` and how long it waits.
async fn pushed(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let form = parse_form(body)?;
    let client = authenticated_client(state, headers, &form).await?;
    if form.contains_key("request_uri") || form.contains_key("request") {
        return Err(OAuthError::request(
            "request_uri and request cannot be pushed: send the parameters",
        ));
    }
    if form
        .get("client_id")
        .is_some_and(|id| id != client.id.as_str())
    {
        return Err(OAuthError::request(
            "client_id differs from the authenticated client",
        ));
    }
    let mut pairs: Vec<(&str, &str)> = form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(k, _)| {
            !matches!(
                *k,
                "client_id" | "client_secret" | "client_assertion" | "client_assertion_type"
            )
        })
        .collect();
    pairs.push(("client_id", client.id.as_str()));
    // RFC 9449 §10.1: a proof at PAR binds the code to its key; with
    // dpop_jkt as well, both must name the same key
    let proven = dpop_key(state, headers, Utc::now(), PAR_PATH).await?;
    if let Some(jkt) = &proven {
        match form.get("dpop_jkt") {
            Some(asked) if asked != jkt => {
                return Err(OAuthError::bad(
                    "invalid_dpop_proof",
                    "dpop_jkt names another key than the DPoP proof is made with",
                ));
            }
            Some(_) => {}
            None => pairs.push(("dpop_jkt", jkt.as_str())),
        }
    }
    pairs.sort_unstable();
    let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    identity::authz::check_request(&client, &crate::oidc::flow::raw_request(get))
        .map_err(|e| OAuthError::bad(e.code(), e.to_string()))?;
    let query = serde_urlencoded::to_string(&pairs).map_err(OAuthError::server)?;
    let request_uri = format!("{REQUEST_URI_PREFIX}{}", random_secret()?);
    let now = Utc::now();
    grants::push_request(
        state,
        &identity::jwk::sha256_b64url(&request_uri),
        client.id.as_str(),
        &query,
        now + PAR_LIFETIME,
        now,
    )
    .await
    .map_err(OAuthError::server)?;
    tracing::info!(client = %client.id, "authorization request pushed");
    Ok(serde_json::json!({
        "request_uri": request_uri,
        "expires_in": PAR_LIFETIME.num_seconds(),
    }))
}
