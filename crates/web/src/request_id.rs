//! The header that carries a request's id: set on arrival when the client
//! sent none, echoed on the answer, named in logs and problem documents.

use axum::http::HeaderName;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
