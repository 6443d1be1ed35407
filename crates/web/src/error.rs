//! How the HTTP surface fails, and the rules every handler keeps.
//!
//! # The policy
//!
//! - **One error type per face.** The JSON API answers [`ApiError`], as an
//!   RFC 9457 `application/problem+json` body; the pages answer
//!   `pages::failure::PageError`, an HTML page in the reader's language; the
//!   identity provider's protocol endpoints answer the OAuth error object
//!   their RFCs prescribe (`oidc::error::OAuthError`). Nothing else reaches
//!   a client: a router's fallbacks, the body limit, a panic and a rejected
//!   extractor all end in one of these three. A problem answered to a
//!   browser asking for a page (it accepts HTML, it is not htmx, the path
//!   is not under `/api/`) is shown as the portal's page for its status
//!   (`pages::failure::for_browsers`); API clients always get the problem.
//! - **Errors travel by `?`.** Libraries return their own `thiserror` types
//!   (`store::StoreError` with its kind and source, `domain::DomainError`,
//!   a service's error); each has a `From` conversion into the face's
//!   error, written once here or beside the service, which decides the
//!   status. A handler does not map an error by hand unless it adds what
//!   only it knows (which field, which page to go back to).
//! - **The detail is for the person who can act on it.** A 4xx says what
//!   was wrong with the request and what to do about it. A 5xx says only
//!   that the server failed and to quote the request id: the cause (a
//!   database message, a path, a key) is logged with the request's span
//!   and never sent.
//! - **Status by kind, not by accident.** Not found 404, a conflict 409, a
//!   refused but well-formed request 422, no or bad credentials 401 with a
//!   `WWW-Authenticate` challenge, credentials that do not allow it 403, a
//!   limit reached 429 with `Retry-After`, a dependency down or a day's
//!   numbers used up 503, everything unexpected 500.
//! - **Every answer is finished in one place.** [`finish_problems`] adds the
//!   request's path and id to every problem, whichever layer produced it,
//!   and turns the framework's plain-text rejections into problems.
//!
//! [`ApiError`] renders its body at once and also leaves the [`Problem`] in
//! the response's extensions, so that the [`finish_problems`] middleware can
//! add what only the request knows (its path as `instance`, its request id)
//! and render it again.

use std::any::Any;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::services::dossiers::error::FlowError;

/// The content type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/not-found",
    "title": "Not Found",
    "status": 404,
    "detail": "province code '99' does not exist; the 34 codes are listed at /api/v1/units/provinces",
    "instance": "/api/v1/units/provinces/99/communes",
    "request_id": "5f0c8a2e-6f1d-4b8e-9f57-2a6b3c1d0e4f"
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem (`/problems/<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, and what to do about it.
    pub detail: String,
    /// The request path the problem occurred on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request's `x-request-id`, to quote when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Members a kind of problem adds (RFC 9457 §3.2): the integration
    /// adapter's `error_code`, `message` and per-packet `result`.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem of `kind` (`/problems/…`) answered with `status`, for this
    /// request (its instance and id are filled in on the way out).
    pub fn new(status: StatusCode, kind: String, detail: String) -> Problem {
        Problem {
            kind,
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            instance: None,
            request_id: None,
            extensions: serde_json::Map::new(),
        }
    }
}

/// Everything a handler or extractor can answer with instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: a bad code, a missing parameter, bad JSON.
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method.
    #[error("{method} is not allowed on {path}; see the Allow header for the methods that are")]
    MethodNotAllowed { method: String, path: String },
    /// The request body or batch is too large.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request's URI is longer than the server reads.
    #[error("{0}")]
    UriTooLong(String),
    /// The body is not in a content type the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is well-formed but its content cannot be processed.
    #[error("{0}")]
    Unprocessable(String),
    /// No credentials, or ones that are not valid (answered with a
    /// `WWW-Authenticate: Bearer` challenge).
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials that do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The thing exists already.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts from one client: try again later.
    #[error("{0}")]
    TooManyRequests(String),
    /// Too many requests from this account, or to this agency: answered
    /// with `Retry-After` (seconds).
    #[error("{detail}")]
    RateLimited { detail: String, retry_after: u64 },
    /// What the request would take is used up until a known time (an
    /// agency's numbers of the day): answered 503 with `Retry-After`.
    #[error("{detail}")]
    UsedUp { detail: String, retry_after: u64 },
    /// A dependency (the database) is not available.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; the detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// An error answered with an RFC 6750 / RFC 9449 `WWW-Authenticate`
    /// challenge naming what was wrong with the credentials.
    #[error("{error}")]
    Challenged {
        error: Box<ApiError>,
        challenge: String,
    },
}

impl ApiError {
    /// The same error, answered with `challenge` as its `WWW-Authenticate`.
    pub fn with_challenge(self, challenge: Option<String>) -> ApiError {
        match challenge {
            Some(challenge) => ApiError::Challenged {
                error: Box::new(self),
                challenge,
            },
            None => self,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Challenged { error, .. } => error.status(),
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests(_) | ApiError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable(_) | ApiError::UsedUp { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::Challenged { error, .. } => error.slug(),
            ApiError::BadRequest(_) => "bad-request",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UriTooLong(_) => "uri-too-long",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Unprocessable(_) => "unprocessable-content",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooManyRequests(_) | ApiError::RateLimited { .. } => "too-many-requests",
            ApiError::UsedUp { .. } => "used-up",
            ApiError::Unavailable(_) => "service-unavailable",
            ApiError::Internal(_) => "internal-error",
        }
    }

    /// The problem this error is answered with (without the request's
    /// instance and id).
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            ApiError::Challenged { error, .. } => return error.problem(),
            ApiError::Internal(_) => {
                "the server failed to answer this request; it has been logged, \
                 quote the request id when reporting it"
                    .to_string()
            }
            other => other.to_string(),
        };
        Problem::new(status, format!("/problems/{}", self.slug()), detail)
    }
}

impl From<domain::DomainError> for ApiError {
    fn from(e: domain::DomainError) -> Self {
        match e {
            domain::DomainError::Malformed { .. } => ApiError::BadRequest(e.to_string()),
            domain::DomainError::Unknown { .. } => ApiError::NotFound(e.to_string()),
        }
    }
}

/// A store's failure answered by its kind: what is not there 404, a
/// conflict 409, a refused write 422, a database that does not answer
/// 503, anything else 500 (logged, not sent).
impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::NotFound(m) => ApiError::NotFound(m),
            FlowError::Forbidden(why) => ApiError::Forbidden(why.en),
            FlowError::Invalid(why) => ApiError::Unprocessable(why.en),
            FlowError::Form(errors) => ApiError::Unprocessable(
                errors
                    .iter()
                    .map(|e| {
                        if e.field.is_empty() {
                            e.reason_en.clone()
                        } else {
                            format!("{}: {}", e.field, e.reason_en)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            FlowError::Conflict(m) => ApiError::Conflict(m),
            FlowError::TooMany(detail, retry_after) => ApiError::RateLimited {
                detail,
                retry_after,
            },
            FlowError::UsedUp(detail, retry_after) => ApiError::UsedUp {
                detail,
                retry_after,
            },
            FlowError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        match e.kind() {
            store::ErrorKind::NotFound => ApiError::NotFound(e.context().to_string()),
            store::ErrorKind::Conflict => ApiError::Conflict(e.context().to_string()),
            store::ErrorKind::Refused => ApiError::Unprocessable(e.context().to_string()),
            store::ErrorKind::Unavailable => ApiError::Unavailable(e.to_string()),
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.respond(serde_json::Map::new())
    }
}

impl ApiError {
    /// The answer, its problem carrying `extensions` beside the members
    /// every problem has.
    pub fn respond(self, extensions: serde_json::Map<String, serde_json::Value>) -> Response {
        if let ApiError::Internal(reason) = &self {
            tracing::error!(%reason, "internal error");
        }
        let challenge = match &self {
            ApiError::Challenged { challenge, .. } => HeaderValue::from_str(challenge).ok(),
            ApiError::Unauthorized(_) => Some(HeaderValue::from_static("Bearer realm=\"motcua\"")),
            _ => None,
        };
        let retry_after = match &self {
            ApiError::RateLimited { retry_after, .. } | ApiError::UsedUp { retry_after, .. } => {
                Some(*retry_after)
            }
            _ => None,
        };
        let mut problem = self.problem();
        problem.extensions = extensions;
        let mut res = problem_response(problem);
        if let Some(c) = challenge {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        res
    }
}

/// Renders a problem, keeping it in the extensions for [`finish_problems`].
pub fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, render(&problem)).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res.extensions_mut().insert(problem);
    res
}

fn render(problem: &Problem) -> String {
    // A struct of strings and numbers always serialises.
    serde_json::to_string(problem).unwrap_or_else(|_| String::from("{}"))
}

/// The problem for an error answered below [`finish_problems`] without
/// one (plain text from a library's rejection, or no body at all): its
/// status, with the text as detail when there is one.
fn problem_of_plain(status: StatusCode, text: &str) -> Problem {
    let text = text.trim();
    let detail = if text.is_empty() || status.is_server_error() {
        format!(
            "{}: the request cannot be answered as sent",
            status.canonical_reason().unwrap_or("Error")
        )
    } else {
        text.chars().take(1000).collect()
    };
    let slug = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace(' ', "-");
    Problem::new(status, format!("/problems/{slug}"), detail)
}

/// Whether an error response is one [`finish_problems`] answers again as a
/// problem: plain text or no body (HTML pages, JSON and problems stay).
fn is_plain(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"))
}

/// Middleware: fills in `instance` (the request path) and `request_id` of
/// every problem answered below it, and answers as a problem every error
/// below it that came as plain text or without a body.
pub async fn finish_problems(req: Request, next: Next) -> Response {
    let path = req.uri().path().chars().take(300).collect::<String>();
    let request_id = req
        .headers()
        .get(crate::trace::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut res = next.run(req).await;
    let status = res.status();
    if (status.is_client_error() || status.is_server_error())
        && res.extensions().get::<Problem>().is_none()
        && is_plain(&res)
    {
        let (parts, body) = res.into_parts();
        let text = axum::body::to_bytes(body, 64 * 1024)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let mut plain = problem_response(problem_of_plain(status, &text));
        for (name, value) in &parts.headers {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                plain.headers_mut().insert(name.clone(), value.clone());
            }
        }
        res = plain;
    }
    if let Some(mut problem) = res.extensions_mut().remove::<Problem>() {
        problem.instance.get_or_insert(path);
        if problem.request_id.is_none() {
            problem.request_id = request_id;
        }
        let (mut parts, _) = res.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        res = Response::from_parts(parts, axum::body::Body::from(render(&problem)));
    }
    res
}

/// The fallback for paths no route matches.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no resource at {}; the API is described at /api/v1/openapi.json",
        req.uri().path()
    ))
}

/// The fallback for a known path asked with a method it does not take
/// (axum adds the `Allow` header).
pub async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::MethodNotAllowed {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
    }
}

/// Answers a panic in a handler with a 500 problem, logging the message.
#[derive(Clone, Copy)]
pub struct PanicToProblem;

impl tower_http::catch_panic::ResponseForPanic for PanicToProblem {
    type ResponseBody = axum::body::Body;

    fn response_for_panic(
        &mut self,
        err: Box<dyn Any + Send + 'static>,
    ) -> axum::http::Response<Self::ResponseBody> {
        let message = if let Some(s) = err.downcast_ref::<String>() {
            s.as_str()
        } else if let Some(s) = err.downcast_ref::<&str>() {
            s
        } else {
            "(no message)"
        };
        ApiError::Internal(format!("handler panicked: {message}")).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_use_the_rfc_9457_members() {
        let p = ApiError::NotFound("nothing here".into()).problem();
        let v = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(v["type"], "/problems/not-found");
        assert_eq!(v["title"], "Not Found");
        assert_eq!(v["status"], 404);
        assert_eq!(v["detail"], "nothing here");
        assert!(v.get("instance").is_none());
    }

    #[test]
    fn plain_errors_become_problems_of_their_status() {
        let p = problem_of_plain(StatusCode::URI_TOO_LONG, "");
        assert_eq!(p.kind, "/problems/uri-too-long");
        assert_eq!(p.status, 414);
        assert!(p.detail.starts_with("URI Too Long"), "{}", p.detail);
        let p = problem_of_plain(
            StatusCode::BAD_REQUEST,
            "Failed to deserialize query string",
        );
        assert_eq!(p.detail, "Failed to deserialize query string");
        let p = problem_of_plain(StatusCode::INTERNAL_SERVER_ERROR, "secret=1");
        assert!(!p.detail.contains("secret"));
    }

    #[test]
    fn internal_errors_do_not_leak_their_reason() {
        let p = ApiError::Internal("password=hunter2".into()).problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("hunter2"));
    }

    #[test]
    fn domain_errors_map_to_400_and_404() {
        let malformed = domain::ProvinceCode::parse("1")
            .map(|_| ())
            .map_err(ApiError::from);
        assert!(matches!(malformed, Err(ApiError::BadRequest(_))));
        let unknown = domain::ProvinceCode::parse("99")
            .map(|_| ())
            .map_err(ApiError::from);
        assert!(matches!(unknown, Err(ApiError::NotFound(_))));
    }

    #[test]
    fn store_errors_answer_by_their_kind() {
        use store::{ErrorKind, StoreError};
        for (e, status) in [
            (StoreError::not_found("no account x"), 404),
            (StoreError::conflict("dossier X changed meanwhile"), 409),
            (StoreError::refused("a bad sequence"), 422),
            (
                StoreError::new(ErrorKind::Unavailable, "reading a person"),
                503,
            ),
            (StoreError::new(ErrorKind::Corrupt, "a stored record"), 500),
            (StoreError::database("a bug"), 500),
        ] {
            assert_eq!(ApiError::from(e).status().as_u16(), status);
        }
        let p = ApiError::from(StoreError::conflict("dossier X changed meanwhile")).problem();
        assert_eq!(p.detail, "dossier X changed meanwhile");
    }
}
