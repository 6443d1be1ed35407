//! The request-id and tracing parts of the middleware stack, the limit on
//! a request's URI, and `Cache-Control: no-store` on what carries a
//! person's data.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::request_id::REQUEST_ID;

/// The longest request URI (path and query) the application reads: longer
/// ones are answered 414. (Past 64 KiB the HTTP server itself answers 414,
/// without a body, before the application sees the request.)
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Whether a request carries credentials: an access token, a signed
/// exchange request, or a portal session — what is answered to it is a
/// person's, or may be.
fn credentialed(req: &Request) -> bool {
    let h = req.headers();
    h.contains_key(header::AUTHORIZATION)
        || h.contains_key("dpop")
        || h.contains_key("signature")
        || h.get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| {
                c.split(';')
                    .any(|kv| kv.trim_start().starts_with("motcua_sid="))
            })
}

/// Middleware: refuses a URI longer than [`MAX_URI_BYTES`] (414), and
/// marks every answer to a request with credentials `Cache-Control:
/// no-store` — a dossier, a list of one's dossiers, a file, the data
/// tracker, a page of one's own — so that no cache on the way or on the
/// device keeps a person's data (static files excepted: they are the same
/// for everyone).
pub async fn guard(req: Request, next: Next) -> Response {
    let length = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if length > MAX_URI_BYTES {
        return ApiError::UriTooLong(format!(
            "the request's URI is {length} bytes long; the server reads at most {MAX_URI_BYTES}: \
             send long input in a request body (for addresses, POST /api/v1/units/convert)"
        ))
        .into_response();
    }
    let private = credentialed(&req) && !req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    if private {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::{MakeSpan, OnFailure, OnRequest, OnResponse};
use tracing::Span;

/// One span per request: method, path, matched route, request id; status
/// and latency are recorded when the response is ready.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &axum::http::Request<B>) -> Span {
        let request_id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str)
            .unwrap_or("");
        tracing::info_span!(
            "request",
            method = %req.method(),
            path = %req.uri().path(),
            route,
            request_id,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    }
}

/// Logs nothing on the way in (the span says it all).
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl<B> OnRequest<B> for Quiet {
    fn on_request(&mut self, _: &axum::http::Request<B>, _: &Span) {}
}

impl OnFailure<ServerErrorsFailureClass> for Quiet {
    fn on_failure(&mut self, _: ServerErrorsFailureClass, _: Duration, _: &Span) {}
}

/// Records status and latency on the span, and logs one line per request
/// (a warning for server errors).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, res: &axum::http::Response<B>, latency: Duration, span: &Span) {
        // milliseconds, to the microsecond
        let latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3;
        span.record("status", res.status().as_u16());
        span.record("latency_ms", latency_ms);
        if res.status().is_server_error() {
            tracing::warn!("request failed");
        } else {
            tracing::info!("request served");
        }
    }
}
