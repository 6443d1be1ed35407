//! The errors of the provider's back-channel endpoints: the RFC 6749 §5.2
//! JSON (`{"error", "error_description"}`) that every OAuth client
//! library reads, not problem+json.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An RFC 6749 §5.2 error.
#[derive(Debug)]
pub struct OAuthError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) description: String,
    /// `WWW-Authenticate` for a failed Basic authentication.
    pub(crate) basic_challenge: bool,
    pub(crate) retry_after: Option<Duration>,
}

impl OAuthError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        OAuthError {
            status,
            code,
            description: description.into(),
            basic_challenge: false,
            retry_after: None,
        }
    }

    pub(crate) fn request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// A 400 with `code`.
    pub(crate) fn bad(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// A client locked out for `wait` after repeated failures.
    pub(crate) fn locked(wait: Duration) -> Self {
        OAuthError {
            retry_after: Some(wait),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_client",
                format!(
                    "too many failed authentications of this client: try again in {} s",
                    wait.as_secs().max(1)
                ),
            )
        }
    }

    /// The store or the signer failed.
    pub(crate) fn server(e: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        )
    }

    pub(crate) fn client(basic: bool) -> Self {
        OAuthError {
            basic_challenge: basic,
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed: unknown client, wrong secret, or a method the client is not registered for",
            )
        }
    }
}

impl OAuthError {
    pub(crate) fn with_challenge(mut self, basic: bool) -> Self {
        if self.code == "invalid_client" {
            self.basic_challenge = basic;
        }
        self
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code,
            "error_description": self.description,
        });
        let mut res = (self.status, axum::Json(body)).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.basic_challenge {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"motcua\""),
            );
        }
        if let Some(after) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&after.as_secs().max(1).to_string())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        res
    }
}
