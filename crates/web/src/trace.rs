//! The request-id and tracing parts of the middleware stack: the header
//! that carries a request's id, one span per request, and what is logged
//! when an answer leaves.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::HeaderName;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::{MakeSpan, OnFailure, OnRequest, OnResponse};
use tracing::Span;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

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
