//! `GET /.well-known/openid-configuration` (and the same document at
//! `/.well-known/oauth-authorization-server`, RFC 8414) and `GET
//! /oidc/jwks`, the signing keys (RFC 7517).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::state::AppState;

/// The discovery document.
pub(crate) async fn metadata(State(state): State<AppState>) -> Response {
    axum::Json(state.oidc.metadata()).into_response()
}

/// The published signing keys, cacheable for a while.
pub(crate) async fn jwks(State(state): State<AppState>) -> Response {
    let mut res = axum::Json(state.oidc.jwks(Utc::now())).into_response();
    // relying parties may cache it briefly; a rotation publishes ahead
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}
