//! The back offices connected to this portal, for an operator's system
//! (a token with the `admin` scope): connect, change, give a new password,
//! disconnect (each change in the back office's audit trail, made by the
//! operator's client), and see how each is doing; on a province's node,
//! what waits to be sent upstream, and "retry now".

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use utoipa::ToSchema;

use crate::auth::Operator;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::services::backoffice::offices::{self, OfficeError};
use crate::services::backoffice::status::{self, OfficeStatus};
use crate::state::AppState;

/// The collection's path.
pub const PATH: &str = "/api/v1/back-offices";

/// A back office's configuration, as given.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OfficeBody {
    /// Its id (3–64 lower-case letters, digits, `-`): also its user name.
    #[serde(default)]
    id: String,
    /// What people call it.
    #[serde(default)]
    name: String,
    /// Its province's code (two digits).
    #[serde(default)]
    province: String,
    /// The units it reports for (`madonvi`).
    #[serde(default)]
    units: Vec<String>,
    /// Where dossiers are pushed to it (https; required for push).
    #[serde(default)]
    endpoint: Option<String>,
    /// `push` (default) or `pull`.
    #[serde(default)]
    delivery: Option<String>,
    /// The keys it signs its calls over motcua's own profile with
    /// (`/api/v1/integration/signed`), as `motcua backoffice key` prints
    /// them; at most 4.
    #[serde(default)]
    keys: Vec<KeyBody>,
}

/// A key a back office signs its calls with.
#[derive(Debug, Deserialize, Serialize, ToSchema, Clone)]
pub struct KeyBody {
    /// The exchange member it signs as: `VN/GOV/<agency>/<back office id>`.
    #[serde(default)]
    member: String,
    /// The key's id.
    #[serde(default)]
    key_id: String,
    /// The Ed25519 public key, 64 hex digits.
    #[serde(default)]
    public_key: String,
}

/// A back office, and how it is doing.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfficeView {
    id: String,
    name: String,
    province: String,
    units: Vec<String>,
    delivery: &'static str,
    endpoint: Option<String>,
    /// The keys it signs its calls with.
    keys: Vec<KeyBody>,
    created_at: String,
    updated_at: String,
    /// Its messages of the last 24 hours, by verdict.
    #[schema(value_type = Object)]
    received_24h: Map<String, serde_json::Value>,
    /// When its last message came.
    last_received: Option<String>,
    /// Its messages in quarantine, not resolved.
    quarantined: u64,
    /// Its messages waiting for their dossier's packet.
    waiting: u64,
    /// The dossiers filed on this portal for its units that it has not
    /// taken yet (pushed and not acknowledged, or not yet pulled).
    to_deliver: u64,
    /// Of which a push failed at least once.
    delivery_failing: u64,
    /// When the one waiting longest changed.
    delivery_oldest: Option<String>,
    /// Why the last push failed.
    delivery_last_error: Option<String>,
}

fn view(s: &OfficeStatus) -> OfficeView {
    let o = &s.office;
    OfficeView {
        id: o.office.id.clone(),
        name: o.office.name.clone(),
        province: o.office.province.clone(),
        units: o.office.units.iter().cloned().collect(),
        delivery: o.office.delivery.as_str(),
        endpoint: o.office.endpoint.clone(),
        keys: o
            .office
            .keys
            .iter()
            .map(|k| KeyBody {
                member: k.member.clone(),
                key_id: k.key_id.clone(),
                public_key: k.public_key.clone(),
            })
            .collect(),
        created_at: o.created_at.to_rfc3339(),
        updated_at: o.updated_at.to_rfc3339(),
        received_24h: s
            .received_24h
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect(),
        last_received: s.last_received.map(|t| t.to_rfc3339()),
        quarantined: s.quarantined,
        waiting: s.waiting,
        to_deliver: s.to_deliver.waiting,
        delivery_failing: s.to_deliver.failing,
        delivery_oldest: s.to_deliver.oldest.map(|t| t.to_rfc3339()),
        delivery_last_error: s.to_deliver.last_error.as_ref().map(|(e, _)| e.clone()),
    }
}

/// A back office just connected, or given a new password: the password,
/// shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Credentials {
    /// Its user name (its id).
    username: String,
    /// Its password.
    password: String,
}

/// A change to a back office.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    at: String,
    /// Who made it.
    actor: String,
    /// `connected`, `changed`, `password` or `disconnected`.
    action: String,
    /// What it changed.
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

/// What waits to be sent upstream.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpstreamView {
    /// This node reports to an upstream portal (when it does not, nothing
    /// waits: its dossiers are sent nowhere).
    reports_upstream: bool,
    /// Dossiers waiting.
    waiting: u64,
    /// Of which failed at least once.
    failing: u64,
    /// How long the oldest has waited, in seconds.
    oldest_waiting_seconds: Option<u64>,
    /// The last failure's reason.
    last_error: Option<String>,
    /// Its next try.
    next_try: Option<String>,
    /// The oldest has waited longer than the node's
    /// `--upstream-alert-minutes`.
    alert: bool,
}

/// A refusal answered as a problem, the configuration's problems each by
/// field in `problems`.
fn refused(e: OfficeError) -> Response {
    match e {
        OfficeError::Invalid(problems) => {
            let detail = e_detail(&problems);
            let mut members = Map::new();
            members.insert(
                "problems".into(),
                json!(
                    problems
                        .iter()
                        .map(|p| json!({"field": p.field, "reason": p.reason}))
                        .collect::<Vec<_>>()
                ),
            );
            ApiError::Unprocessable(detail).respond(members)
        }
        e @ (OfficeError::UnitTaken { .. } | OfficeError::Exists(_)) => {
            ApiError::Conflict(e.to_string()).into_response()
        }
        e @ OfficeError::NotFound(_) => ApiError::NotFound(e.to_string()).into_response(),
        OfficeError::Store(e) => ApiError::from(e).into_response(),
        e @ OfficeError::Random(_) => ApiError::Internal(e.to_string()).into_response(),
    }
}

fn e_detail(problems: &[backoffice::Problem]) -> String {
    format!(
        "the back office's configuration has problems: {}",
        problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.reason))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

fn draft(id: String, body: OfficeBody) -> Result<backoffice::office::Draft, OfficeError> {
    let delivery = match body.delivery.as_deref().map(str::trim) {
        None | Some("") => backoffice::Delivery::Push,
        Some(d) => backoffice::Delivery::parse(d).ok_or_else(|| {
            OfficeError::Invalid(vec![backoffice::Problem {
                field: "delivery",
                reason: format!("{d:?}: push or pull"),
            }])
        })?,
    };
    Ok(backoffice::office::Draft {
        id,
        name: body.name,
        province: body.province,
        units: body.units,
        endpoint: body.endpoint,
        delivery,
        keys: body
            .keys
            .into_iter()
            .map(|k| backoffice::OfficeKey {
                member: k.member,
                key_id: k.key_id,
                public_key: k.public_key,
            })
            .collect(),
    })
}

fn actor(client_id: &str) -> String {
    format!("operator {client_id}")
}

/// The connected back offices
///
/// Each with how it is doing: its messages of the last day by verdict,
/// the last one's time, and those left for an operator.
#[utoipa::path(
    get, path = "/api/v1/back-offices", tag = "integration",
    security(("bearer" = [])),
    responses((status = 200, description = "Every back office, by id", body = [OfficeView]))
)]
pub async fn list_offices(
    State(state): State<AppState>,
    _admin: Operator,
) -> Result<axum::Json<Vec<OfficeView>>, ApiError> {
    let all = status::offices(&state, chrono::Utc::now()).await?;
    Ok(axum::Json(all.iter().map(view).collect()))
}

/// Connect a back office
///
/// Its password is in the answer, this once.
#[utoipa::path(
    post, path = "/api/v1/back-offices", tag = "integration",
    request_body = OfficeBody,
    security(("bearer" = [])),
    responses((status = 201, description = "Connected", body = Credentials))
)]
pub async fn connect_office(
    State(state): State<AppState>,
    Operator { client_id }: Operator,
    body: Result<Json<OfficeBody>, ApiError>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let draft = match draft(body.id.clone(), body) {
        Ok(d) => d,
        Err(e) => return refused(e),
    };
    match offices::connect(
        &state,
        state.units,
        draft,
        &actor(&client_id),
        chrono::Utc::now(),
    )
    .await
    {
        Ok((stored, password)) => (
            StatusCode::CREATED,
            axum::Json(Credentials {
                username: stored.office.id,
                password,
            }),
        )
            .into_response(),
        Err(e) => refused(e),
    }
}

/// Change a back office
///
/// Its whole configuration; its password stays.
#[utoipa::path(
    put, path = "/api/v1/back-offices/{id}", tag = "integration",
    params(("id" = String, Path, description = "The back office's id")),
    request_body = OfficeBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = OfficeView))
)]
pub async fn change_office(
    State(state): State<AppState>,
    Operator { client_id }: Operator,
    Path(id): Path<String>,
    body: Result<Json<OfficeBody>, ApiError>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let draft = match draft(id, body) {
        Ok(d) => d,
        Err(e) => return refused(e),
    };
    let now = chrono::Utc::now();
    match offices::reconfigure(&state, state.units, draft, &actor(&client_id), now).await {
        Ok(stored) => match status::office(&state, stored, now).await {
            Ok(status) => axum::Json(view(&status)).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) => refused(e),
    }
}

/// Disconnect a back office
///
/// Its sessions end; its audit trail stays.
#[utoipa::path(
    delete, path = "/api/v1/back-offices/{id}", tag = "integration",
    params(("id" = String, Path, description = "The back office's id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Disconnected"))
)]
pub async fn disconnect_office(
    State(state): State<AppState>,
    Operator { client_id }: Operator,
    Path(id): Path<String>,
) -> Response {
    match offices::disconnect(&state, id.trim(), &actor(&client_id), chrono::Utc::now()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => refused(e),
    }
}

/// Give a back office a new password
///
/// The old one, and the sessions opened with it, end; the new one is in
/// the answer, this once.
#[utoipa::path(
    post, path = "/api/v1/back-offices/{id}/password", tag = "integration",
    params(("id" = String, Path, description = "The back office's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "Its new password", body = Credentials))
)]
pub async fn renew_office_password(
    State(state): State<AppState>,
    Operator { client_id }: Operator,
    Path(id): Path<String>,
) -> Response {
    let id = id.trim().to_string();
    match offices::renew_password(&state, &id, &actor(&client_id), chrono::Utc::now()).await {
        Ok(password) => axum::Json(Credentials {
            username: id,
            password,
        })
        .into_response(),
        Err(e) => refused(e),
    }
}

/// A back office's audit trail
///
/// Every change to it, oldest first, by whom (kept after it is
/// disconnected).
#[utoipa::path(
    get, path = "/api/v1/back-offices/{id}/changes", tag = "integration",
    params(("id" = String, Path, description = "The back office's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "Its changes", body = [ChangeView]))
)]
pub async fn office_changes(
    State(state): State<AppState>,
    _admin: Operator,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<ChangeView>>, ApiError> {
    let changes = offices::changes(&state, id.trim()).await?;
    if changes.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no back office {} was ever connected here",
            id.trim()
        )));
    }
    Ok(axum::Json(
        changes
            .into_iter()
            .map(|c| ChangeView {
                at: c.at.to_rfc3339(),
                actor: c.actor,
                action: c.action,
                detail: c.detail,
            })
            .collect(),
    ))
}

/// What waits to be sent upstream
///
/// On a province's node reporting to the national portal: the dossiers
/// waiting, the failing, how long the oldest has waited and why the last
/// attempt failed.
#[utoipa::path(
    get, path = "/api/v1/upstream", tag = "integration",
    security(("bearer" = [])),
    responses((status = 200, description = "The backlog", body = UpstreamView))
)]
pub async fn upstream_status(
    State(state): State<AppState>,
    _admin: Operator,
) -> Result<axum::Json<UpstreamView>, ApiError> {
    let Some(after) = state.upstream_alert else {
        return Ok(axum::Json(UpstreamView {
            reports_upstream: false,
            waiting: 0,
            failing: 0,
            oldest_waiting_seconds: None,
            last_error: None,
            next_try: None,
            alert: false,
        }));
    };
    let u = status::upstream(&state, chrono::Utc::now(), after).await?;
    Ok(axum::Json(UpstreamView {
        reports_upstream: true,
        waiting: u.waiting,
        failing: u.failing,
        oldest_waiting_seconds: u.oldest_waiting.map(|d| d.as_secs()),
        last_error: u.last_error,
        next_try: u.next_try.map(|t| t.to_rfc3339()),
        alert: u.alert,
    }))
}

/// Retry now
///
/// Every dossier waiting after a failure is sent at once instead of at its
/// next try.
#[utoipa::path(
    post, path = "/api/v1/upstream/retry", tag = "integration",
    security(("bearer" = [])),
    responses((status = 200, description = "How many were made due", body = Object))
)]
pub async fn retry_upstream(
    State(state): State<AppState>,
    _admin: Operator,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let n = status::retry_now(&state).await?;
    Ok(axum::Json(json!({"retried": n})))
}

/// A dossier waiting for a back office.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingDelivery {
    /// Its code.
    code: String,
    /// Its version now.
    version: i64,
    /// The version the back office acknowledged (0: none).
    acknowledged_version: i64,
    /// When it last changed.
    changed_at: String,
    /// Failed pushes, or times the back office held it back, since the
    /// last acknowledgement.
    attempts: i32,
    /// Why the last push failed, or why the back office holds it back.
    error: Option<String>,
}

/// What waits for a back office
///
/// The dossiers filed here for its units that it has not acknowledged at
/// their version, in the order of their last change (at most 100), each
/// with its failed pushes and why, or why the back office holds it back.
#[utoipa::path(
    get, path = "/api/v1/back-offices/{id}/deliveries", tag = "integration",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The back office")),
    responses((status = 200, description = "What waits for it", body = [WaitingDelivery]))
)]
pub async fn office_deliveries(
    State(state): State<AppState>,
    _admin: Operator,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<WaitingDelivery>>, ApiError> {
    match status::waiting_for(&state, &id, 100).await? {
        Some(due) => Ok(axum::Json(
            due.into_iter()
                .map(|d| WaitingDelivery {
                    code: d.stored.dossier.code.to_string(),
                    version: d.stored.version,
                    acknowledged_version: d.acked_version,
                    changed_at: d.stored.updated_at.to_rfc3339(),
                    attempts: d.attempts,
                    error: d.error,
                })
                .collect(),
        )),
        None => Err(ApiError::NotFound(format!(
            "no back office {id} is connected: GET /api/v1/back-offices lists them"
        ))),
    }
}

/// Deliver to a back office now
///
/// Every dossier whose push to the back office failed is pushed at once
/// instead of at its next try.
#[utoipa::path(
    post, path = "/api/v1/back-offices/{id}/retry", tag = "integration",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The back office")),
    responses((status = 200, description = "How many were made due", body = Object))
)]
pub async fn retry_office(
    State(state): State<AppState>,
    _admin: Operator,
    Path(id): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    match status::retry_office(&state, &id).await? {
        Some(n) => Ok(axum::Json(json!({"retried": n}))),
        None => Err(ApiError::NotFound(format!(
            "no back office {id} is connected: GET /api/v1/back-offices lists them"
        ))),
    }
}
