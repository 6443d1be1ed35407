//! Server-rendered pages (askama + htmx), Vietnamese first with English.

use axum::Router;

use crate::AppState;

/// The pages' routes, mounted at `/`.
pub fn router() -> Router<AppState> {
    Router::new()
}
