//! Prometheus metrics: a request counter and a latency histogram by method,
//! matched route and status, served at `/metrics`.
//!
//! The recorder is process-wide and installed once, however many apps a
//! process builds (the tests build several).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const REQUESTS_TOTAL: &str = "http_requests_total";
pub const REQUEST_DURATION: &str = "http_request_duration_seconds";
pub const CONVERSIONS_TOTAL: &str = "units_conversions_total";
/// The dossiers of the national portal a province's node held back in its
/// last pass over the feed (a code taken here by another dossier, a change
/// to one moved here, a file not as announced): each waits for an
/// operator.
pub const INBOUND_HELD: &str = "inbound_held_dossiers";
pub const LOG_BATCH_ENTRIES: &str = "exchange_log_batch_entries";
/// How long one commit of the message log's writer takes (entries and the
/// dossiers filed with them).
pub const LOG_COMMIT_SECONDS: &str = "exchange_log_commit_seconds";
/// Dossiers stored by one commit of the writer.
pub const LOG_BATCH_DOSSIERS: &str = "exchange_log_batch_dossiers";
pub const EXCHANGE_PHASE: &str = "exchange_request_phase_seconds";
/// Registry reads for forms that could not be written to the message log.
pub const PREFILL_LOG_FAILURES: &str = "dossier_prefill_log_failures_total";
/// Dossiers filed, by channel.
pub const DOSSIERS_FILED: &str = "dossiers_filed_total";
/// Acts on dossiers, by act.
pub const DOSSIER_ACTS: &str = "dossier_acts_total";
/// E-mails of notices sent or failed, by outcome.
pub const NOTICE_EMAILS: &str = "dossier_notice_emails_total";

/// Latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

fn builder() -> PrometheusBuilder {
    let b = PrometheusBuilder::new();
    match b.set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.to_string()), BUCKETS) {
        Ok(b) => b,
        // only an empty bucket list is refused
        Err(_) => PrometheusBuilder::new(),
    }
}

/// The process's Prometheus handle, installing the global recorder on the
/// first call.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        match builder().install_recorder() {
            Ok(handle) => {
                describe();
                handle
            }
            Err(e) => {
                // Someone else installed a global recorder: keep serving,
                // with a detached (empty) registry.
                tracing::warn!(error = %e, "metrics recorder not installed");
                builder().build_recorder().handle()
            }
        }
    })
}

fn describe() {
    metrics::describe_counter!(REQUESTS_TOTAL, "HTTP requests answered");
    metrics::describe_histogram!(
        REQUEST_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency"
    );
    metrics::describe_counter!(CONVERSIONS_TOTAL, "Addresses converted, by outcome");
    metrics::describe_gauge!(
        INBOUND_HELD,
        "Dossiers of the national portal this node held back in its last pass over the feed"
    );
    metrics::describe_histogram!(
        LOG_BATCH_ENTRIES,
        "Entries of the exchange message log stored by one commit"
    );
    metrics::describe_histogram!(
        LOG_COMMIT_SECONDS,
        "Time one commit of the message log's writer takes (its entries and the dossiers filed with them)"
    );
    metrics::describe_histogram!(
        LOG_BATCH_DOSSIERS,
        "New dossiers stored by one commit of the message log's writer"
    );
    metrics::describe_histogram!(
        EXCHANGE_PHASE,
        metrics::Unit::Seconds,
        "Time an exchange request spends in each phase (verify, authorize, read, log, sign)"
    );
}

/// Middleware: counts and times every request under its matched route
/// (`unmatched` for the fallback, to keep the label set bounded).
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!(REQUESTS_TOTAL, &labels).increment(1);
    metrics::histogram!(REQUEST_DURATION, &labels).record(start.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`: the Prometheus text exposition.
pub async fn render() -> Response {
    let handle = handle();
    handle.run_upkeep();
    let mut res = handle.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
