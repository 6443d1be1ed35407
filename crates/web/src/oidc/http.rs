//! What the provider's back-channel endpoints share: the form they read
//! (each parameter at most once) and the answer no cache keeps.

use std::collections::HashMap;

use axum::response::{IntoResponse, Response};

use crate::oidc::error::OAuthError;
use crate::reply::no_store;

/// The form, each parameter at most once (RFC 6749 §3.2).
pub(crate) fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| OAuthError::request(format!("the body is not a form: {e}")))?;
    let mut form = HashMap::with_capacity(pairs.len());
    for (k, v) in pairs {
        if form.contains_key(&k) {
            return Err(OAuthError::request(format!(
                "the parameter {k} is repeated"
            )));
        }
        form.insert(k, v);
    }
    Ok(form)
}

/// The answer of a back-channel endpoint: what it served, kept by no
/// cache, or the OAuth error.
pub(crate) fn no_store_answer(answer: Result<impl IntoResponse, OAuthError>) -> Response {
    match answer {
        Ok(served) => no_store(served.into_response()),
        Err(e) => e.into_response(),
    }
}
