//! HTTP: the JSON API under `/api/v1` (OpenAPI at `/api/v1/openapi.json`),
//! the server-rendered pages, health, readiness and metrics.

pub mod pages;
mod state;

pub use state::AppState;
