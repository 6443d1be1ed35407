//! HTTP: the JSON API under `/api/v1` (OpenAPI at `/api/v1/openapi.json`),
//! the server-rendered pages, health, readiness and metrics.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
mod health;
pub mod metrics;
mod middleware;
pub mod oidc;
pub mod pages;
pub mod ratelimit;
mod reply;
pub mod services;
mod state;
mod trace;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, Problem};
pub use state::AppState;
pub use trace::REQUEST_ID;

/// The whole HTTP application: API, pages, health, metrics and the
/// middleware stack (request ids, tracing, metrics, problem+json errors,
/// panic catching, body limit).
pub fn app(state: AppState) -> Router {
    let https = state.oidc.issuer().starts_with("https://");
    let pages_fail = axum::middleware::from_fn_with_state(state.clone(), pages::failure::render);
    let browsers =
        axum::middleware::from_fn_with_state(state.clone(), pages::failure::for_browsers);
    let app = with_middleware(routes().layer(pages_fail))
        .layer(browsers)
        .with_state(state);
    if https {
        // served over https: browsers keep to https for a year (RFC 6797)
        app.layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        app
    }
}

fn routes() -> Router<AppState> {
    Router::new()
        .merge(pages::router())
        .merge(api::router())
        .merge(oidc::router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
}

/// Adds the fallbacks and the middleware stack to `routes` (which must hold
/// every route: both fallbacks and layers apply to the routes present).
fn with_middleware(routes: Router<AppState>) -> Router<AppState> {
    // install the process-wide recorder before the first request
    metrics::handle();

    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(trace::RequestSpan)
                .on_request(trace::Quiet)
                .on_response(trace::LogResponse)
                .on_failure(trace::Quiet),
        )
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(error::finish_problems))
        .layer(axum::middleware::from_fn(middleware::guard))
        .layer(CatchPanicLayer::custom(error::PanicToProblem))
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT_BYTES));

    routes
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(stack)
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for the
/// requests in flight to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    // answers go out at once, not held back to be merged (Nagle)
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[cfg(test)]
mod tests;
