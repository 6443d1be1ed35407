//! `POST /api/v1/units/convert`: legacy (pre-2025) addresses to the 2025
//! units, in batches.

use axum::extract::State;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::Json;
use crate::state::AppState;

/// The most addresses one request can carry.
pub const MAX_BATCH: usize = 10_000;
/// The longest address taken, in characters.
pub const MAX_ADDRESS_CHARS: usize = 1_000;
/// Batches up to this size are converted on the request's own task; larger
/// ones on the blocking pool, in parallel.
const INLINE_BATCH: usize = 16;

/// Addresses to convert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertRequest {
    /// Free-text legacy addresses, at most 10,000, each at most 1,000
    /// characters; the whole body at most 2 MiB.
    #[schema(example = json!(["Số 5 Hàng Bài, P. Phúc Xá, Q. Ba Đình, Hà Nội", "Phường Cống Vị, Quận Ba Đình, Hà Nội"]))]
    pub addresses: Vec<String>,
}

/// The results, in the order of the addresses sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConvertResponse {
    pub results: Vec<units::Conversion>,
}

/// Checks a batch against the limits, with a detail that says which limit.
pub fn check_batch(addresses: &[String]) -> Result<(), ApiError> {
    if addresses.len() > MAX_BATCH {
        return Err(ApiError::PayloadTooLarge(format!(
            "the batch has {} addresses; at most {MAX_BATCH} are taken per request, \
             so split it into {} requests",
            addresses.len(),
            addresses.len().div_ceil(MAX_BATCH)
        )));
    }
    for (i, a) in addresses.iter().enumerate() {
        let chars = a.chars().count();
        if chars > MAX_ADDRESS_CHARS {
            return Err(ApiError::Unprocessable(format!(
                "addresses[{i}] is {chars} characters long; an address is at most \
                 {MAX_ADDRESS_CHARS} characters"
            )));
        }
    }
    Ok(())
}

/// Converts legacy addresses to the 2025 units. Each result says whether the
/// address was `converted` (one commune), `ambiguous` (the old commune was
/// split: every candidate is listed) or `not_found` (with the reason).
#[utoipa::path(
    post,
    path = "/api/v1/units/convert",
    tag = "units",
    request_body(content = ConvertRequest, content_type = "application/json"),
    responses((status = 200, description = "One result per address, in order", body = ConvertResponse))
)]
pub async fn convert(
    State(state): State<AppState>,
    Json(req): Json<ConvertRequest>,
) -> Result<Json<ConvertResponse>, ApiError> {
    check_batch(&req.addresses)?;
    let u = state.units;
    let conversions: Vec<units::Conversion> = if req.addresses.len() <= INLINE_BATCH {
        req.addresses.iter().map(|a| u.convert(a)).collect()
    } else {
        let addresses = req.addresses;
        tokio::task::spawn_blocking(move || addresses.par_iter().map(|a| u.convert(a)).collect())
            .await
            .map_err(|e| ApiError::Internal(format!("conversion task failed: {e}")))?
    };
    for status in [
        units::Status::Converted,
        units::Status::Ambiguous,
        units::Status::NotFound,
    ] {
        let n = conversions.iter().filter(|c| c.status == status).count() as u64;
        if n > 0 {
            metrics::counter!(crate::metrics::CONVERSIONS_TOTAL, "status" => status.as_str())
                .increment(n);
        }
    }
    Ok(Json(ConvertResponse {
        results: conversions,
    }))
}
