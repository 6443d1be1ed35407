//! `POST /oidc/token`: the token endpoint (RFC 6749 §3.2). The client is
//! authenticated, then the grant it names is served.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use identity::client::GrantType;

use crate::oidc::client_auth::authenticated_client;
use crate::oidc::error::OAuthError;
use crate::oidc::grants::request::TokenRequest;
use crate::oidc::grants::{authorization_code, client_credentials, refresh_token};
use crate::oidc::http::parse_form;
use crate::oidc::mint::{TokenResponse, require_grant};
use crate::state::AppState;

/// `POST /oidc/token`: the token response, or the RFC 6749 §5.2 error.
pub(crate) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, &headers, &body).await {
        Ok(t) => {
            let mut res = axum::Json(t).into_response();
            let h = res.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => {
            tracing::info!(error = e.code, detail = %e.description, "token request refused");
            e.into_response()
        }
    }
}

/// Authenticates the client and serves the grant the form names.
pub(crate) async fn issue(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, OAuthError> {
    let form = parse_form(body)?;
    let grant = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::request("grant_type is required"))?;
    let grant = GrantType::parse(grant).ok_or_else(|| {
        OAuthError::bad(
            "unsupported_grant_type",
            format!("grant_type {grant:?} is not supported here (client_credentials)"),
        )
    })?;
    let client = authenticated_client(state, headers, &form).await?;
    require_grant(&client, grant)?;
    let request = TokenRequest {
        state,
        headers,
        form: &form,
        client: &client,
    };
    match grant {
        GrantType::RefreshToken => refresh_token::refresh(&request).await,
        GrantType::AuthorizationCode => authorization_code::redeem_code(&request).await,
        GrantType::ClientCredentials => client_credentials::grant(&request).await,
    }
}
