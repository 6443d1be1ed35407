//! HTTP: the JSON API under `/api/v1` (OpenAPI at `/api/v1/openapi.json`),
//! the server-rendered pages, health, readiness and metrics.

pub mod pages;
mod state;

pub use state::AppState;

/// The whole HTTP application: API, pages, health, metrics and the
/// middleware stack (request ids, tracing, body limit, problem+json errors).
pub fn app(state: AppState) -> axum::Router {
    axum::Router::new()
        .merge(pages::router())
        .with_state(state)
}
