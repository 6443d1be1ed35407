//! Liveness and readiness.

use std::time::Duration;

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::services::health;
use crate::state::AppState;

/// How long `/readyz` waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgres`
    #[schema(example = "sqlite")]
    pub database: &'static str,
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process is running", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can serve: the database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "The database does not answer", body = Problem,
         content_type = "application/problem+json"),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let database = health::database(&state);
    match tokio::time::timeout(PING_TIMEOUT, health::ping(&state)).await {
        Ok(Ok(())) => Ok(Json(Readiness {
            status: "ready",
            database,
        })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::Unavailable(format!(
                "the {database} database is not available; the server log has the reason"
            )))
        }
        Err(_) => Err(ApiError::Unavailable(format!(
            "the {database} database did not answer within {} s",
            PING_TIMEOUT.as_secs()
        ))),
    }
}
