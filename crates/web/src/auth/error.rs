//! Why a request's credentials do not let it in: one refusal type for
//! every extractor, answered as problem+json with its challenge.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::services::identity::records::StoreError;

/// Why a request's credentials do not let it in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials where some are needed.
    #[error("{0}")]
    Missing(&'static str),
    /// A token that is not (or no longer) valid: bad signature, expired,
    /// revoked, a DPoP proof missing or wrong. `dpop`: it came under the
    /// DPoP scheme (the challenge says so).
    #[error("{reason}")]
    InvalidToken {
        code: &'static str,
        reason: String,
        dpop: bool,
    },
    /// A valid token that is not for this: another audience, a client the
    /// platform does not trust for it, a scope it lacks, the wrong kind of
    /// caller.
    #[error("{reason}")]
    Insufficient { reason: String, dpop: bool },
    /// A caller known, but refused this act.
    #[error("{0}")]
    Forbidden(String),
    /// The store could not be read: not the caller's fault.
    #[error("the credentials could not be checked: {0}")]
    Unavailable(#[from] StoreError),
}

impl AuthError {
    pub(crate) fn insufficient(reason: impl Into<String>, dpop: bool) -> Self {
        AuthError::Insufficient {
            reason: reason.into(),
            dpop,
        }
    }

    pub(crate) fn invalid(reason: impl Into<String>, dpop: bool) -> Self {
        AuthError::InvalidToken {
            code: "invalid_token",
            reason: reason.into(),
            dpop,
        }
    }

    pub(crate) fn bad_proof(reason: impl Into<String>) -> Self {
        AuthError::InvalidToken {
            code: "invalid_dpop_proof",
            reason: reason.into(),
            dpop: true,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            AuthError::Missing(_) | AuthError::InvalidToken { .. } => StatusCode::UNAUTHORIZED,
            AuthError::Insufficient { .. } | AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
            AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9449 §7.1).
    fn challenge(&self) -> Option<String> {
        let (code, reason, dpop) = match self {
            AuthError::Missing(_) => return Some("Bearer realm=\"motcua\"".to_string()),
            AuthError::InvalidToken { code, reason, dpop } => (*code, reason.as_str(), *dpop),
            AuthError::Insufficient { reason, dpop } => {
                ("insufficient_scope", reason.as_str(), *dpop)
            }
            _ => return None,
        };
        let scheme = if dpop {
            format!(
                "DPoP algs=\"{}\", ",
                identity::jwk::VerifyKey::ALGORITHMS.join(" ")
            )
        } else {
            "Bearer realm=\"motcua\", ".to_string()
        };
        Some(format!(
            "{scheme}error=\"{code}\", error_description=\"{}\"",
            reason.replace(['"', '\\'], "'")
        ))
    }

    /// The answer of the provider's own resource (UserInfo): RFC 6750 JSON.
    pub(crate) fn oauth_response(&self) -> Response {
        let code = match self {
            AuthError::Missing(_) => "invalid_token",
            AuthError::InvalidToken { code, .. } => code,
            AuthError::Insufficient { .. } | AuthError::Forbidden(_) => "insufficient_scope",
            AuthError::Unavailable(_) => "temporarily_unavailable",
        };
        let description = match self {
            AuthError::Unavailable(e) => {
                tracing::error!(error = %e, "checking a token");
                "the token could not be checked now; try again".to_string()
            }
            other => other.to_string(),
        };
        let mut res = (
            self.status(),
            axum::Json(serde_json::json!({"error": code, "error_description": description})),
        )
            .into_response();
        let h = res.headers_mut();
        if let Some(c) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            h.insert(header::WWW_AUTHENTICATE, c);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let challenge = e.challenge();
        match e {
            AuthError::Missing(m) => ApiError::Unauthorized(m.to_string()),
            AuthError::InvalidToken { reason, .. } => ApiError::Unauthorized(reason),
            AuthError::Insufficient { reason, .. } => ApiError::Forbidden(reason),
            AuthError::Forbidden(reason) => ApiError::Forbidden(reason),
            AuthError::Unavailable(e) => ApiError::Unavailable(format!(
                "the credentials could not be checked now ({e}); try again shortly"
            )),
        }
        .with_challenge(challenge)
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
