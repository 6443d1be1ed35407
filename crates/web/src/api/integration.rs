//! The integration adapter, as the provinces' one-stop systems already
//! call the national portal (QCVN 120:2019/BTTTT; the Government Office's
//! integration guide): a log-in (`{username, password}` → `session`), then
//! calls `{session, madonvi, service, data}` answered with `error_code`
//! `"00"` on success. A province's system is pointed at these two
//! addresses and changes nothing else.
//!
//! Every answer carries `error_code` and `message` (in Vietnamese, for the
//! sender's operator); a failure is also an RFC 9457 problem, its `detail`
//! in English, and a batch answers each packet in `result`, in order:
//!
//! | `error_code` | HTTP | what |
//! | --- | --- | --- |
//! | `00` | 200 | done: every packet applied, a duplicate, older than what is known, or waiting for the one before it |
//! | `01` | 400, 413, 415, 422 | the request or a packet cannot be read (each packet's problems, by field) |
//! | `02` | 401 | log-in refused, or no session, or an expired one |
//! | `03` | 403 | the back office does not report for that unit |
//! | `04` | 429 | too many log-ins or calls: `Retry-After` says when |
//! | `05` | 422 | a packet refused: unlawful by the dossier's lifecycle (kept in quarantine for the portal's operator), or about another back office's dossier |
//! | `06` | 409 | a dossier changed under the call: send it again |
//! | `99` | 5xx | the portal failed: send it again later |

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::auth::BackOffice;
use crate::auth::address::ClientIp;
use crate::error::ApiError;
use crate::extract::Json;
use crate::services::Stores as _;
use crate::services::backoffice::adapter::{self, Answer, CallError, Item, Outcome};
use crate::services::backoffice::downstream::DownError;
use crate::services::backoffice::offices::{self, LoginError};
use crate::services::backoffice::{ReceiveError, Received};
use crate::state::AppState;

/// Where a back office logs in.
pub const LOGIN_PATH: &str = offices::LOGIN_PATH;
/// Where a back office calls.
pub const CALL_PATH: &str = "/api/v1/integration";
/// Where a back office calls over motcua's own profile: the same calls,
/// signed (RFC 9421) by the exchange member whose subsystem is its id.
pub const SIGNED_PATH: &str = "/api/v1/integration/signed";
/// Where the upstream portal pushes dossiers to this node.
pub const DELIVERIES_PATH: &str = "/api/v1/integration/deliveries";
use crate::services::backoffice::{SIGNED_LEGAL_BASIS, SIGNED_PURPOSE, SIGNED_SERVICE};

/// Counted per service and `error_code` of each packet.
pub const PACKETS_TOTAL: &str = "integration_packets_total";

/// A log-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    /// The back office's id.
    #[serde(default)]
    username: String,
    /// The password given when it was connected (or last renewed).
    #[serde(default)]
    password: String,
}

/// A session opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAnswer {
    /// `"00"`.
    error_code: &'static str,
    /// What happened, in Vietnamese.
    message: &'static str,
    /// The session to send in each call.
    session: String,
    /// Seconds until it expires.
    expires_in: i64,
}

/// A call.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CallBody {
    /// The session from the log-in (checked before the rest is read).
    #[serde(default)]
    #[allow(dead_code)]
    session: String,
    /// The unit the call is made for (one the back office reports for).
    #[serde(default)]
    madonvi: String,
    /// `DongBoHoSoMC`, `CapNhatTienDoHoSoMC`, `TraCuuHoSo`, `DoiSoatHoSo`,
    /// `NhanHoSo`, `XacNhanHoSo` or `LayTepDinhKem`.
    #[serde(default)]
    service: String,
    /// `"True"` for an update, as systems send it; not needed (a packet
    /// about a known dossier updates it).
    #[serde(default, rename = "isUpdating")]
    #[allow(dead_code)]
    is_updating: Option<Value>,
    /// The packets: a list of `DongBoHoSoMC` or `CapNhatTienDoHoSoMC`
    /// objects (at most 100), or one.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Option<Value>,
    /// The dossier looked up (`TraCuuHoSo`).
    #[serde(default)]
    mahoso: Option<String>,
    /// The day reconciled (`DoiSoatHoSo`, `yyyyMMdd`).
    #[serde(default)]
    ngay: Option<String>,
    /// How many dossiers to read (`NhanHoSo`, 1 to 100; 50 unless given).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100)]
    soluong: Option<u32>,
    /// The document whose file is fetched (`LayTepDinhKem`).
    #[serde(default)]
    magiayto: Option<String>,
    /// Where to go on reading the feed (`NhanHoSo`): the `ViTri` of the
    /// last dossier read; from the start unless given.
    #[serde(default)]
    sau: Option<String>,
}

/// A call answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallAnswer {
    /// `"00"`.
    error_code: &'static str,
    /// What happened, in Vietnamese.
    message: &'static str,
    /// Each packet's outcome, in order (`ItemAnswer`); for `TraCuuHoSo`,
    /// the dossier's last packet, or nothing when the portal does not know
    /// it as this back office's.
    #[schema(value_type = Vec<Object>)]
    result: Vec<Value>,
}

/// What became of one packet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemAnswer {
    /// Its place in the batch, from 0.
    index: usize,
    /// The dossier it names.
    #[serde(rename = "MaHoSo")]
    code: String,
    /// `00` taken; `01` unreadable; `05` refused; `06` send again.
    error_code: &'static str,
    /// `applied`, `duplicate`, `stale`, `waiting`, `quarantined`,
    /// `invalid`, `not-yours` or `busy`.
    status: &'static str,
    /// The dossier's version after it (applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    /// What happened, in Vietnamese.
    message: String,
    /// What happened, in English.
    detail: String,
    /// Its problems, by field (unreadable).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<ItemProblem>,
}

/// A problem of a packet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemProblem {
    /// The field, as the profile names it.
    field: &'static str,
    /// What is wrong and what would be right.
    reason: String,
}

/// The `error_code` of a failure answered with `status`.
fn code_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "02",
        403 => "03",
        429 => "04",
        409 => "06",
        400..=499 => "01",
        _ => "99",
    }
}

fn message_of(code: &str) -> &'static str {
    match code {
        "00" => "Thành công",
        "01" => "Dữ liệu gửi lên không đọc được: xem lý do ở từng trường, sửa rồi gửi lại",
        "02" => "Đăng nhập không thành công hoặc phiên đã hết hạn: đăng nhập lại rồi gửi lại",
        "03" => "Hệ thống không được phép gửi dữ liệu của đơn vị này",
        "04" => "Gửi quá nhiều yêu cầu: chờ theo Retry-After rồi gửi lại",
        "05" => "Có gói tin bị từ chối: xem lý do ở từng gói tin",
        "06" => "Hồ sơ đang được cập nhật đồng thời: gửi lại",
        _ => "Cổng dịch vụ công gặp lỗi: gửi lại sau; nếu lỗi còn, báo mã yêu cầu",
    }
}

/// `e` answered as the adapter answers: a problem with `error_code`,
/// `message` and, for a batch, each packet's `result`.
fn fail(e: ApiError, forced: Option<&'static str>, result: Option<Vec<Value>>) -> Response {
    let code = forced.unwrap_or_else(|| code_of(e.status()));
    let mut members = Map::new();
    members.insert("error_code".into(), json!(code));
    members.insert("message".into(), json!(message_of(code)));
    if let Some(result) = result {
        members.insert("result".into(), Value::Array(result));
    }
    e.respond(members)
}

fn limited(wait: std::time::Duration, what: &str) -> ApiError {
    ApiError::RateLimited {
        detail: format!(
            "too many {what} from this back office: try again in {} seconds",
            wait.as_secs().max(1)
        ),
        retry_after: wait.as_secs().max(1),
    }
}

/// Log in as a back office
///
/// Opens a session of an hour for the back office whose id and password
/// are given (the password the platform gave when it was connected).
#[utoipa::path(
    post,
    path = "/api/v1/integration/login",
    tag = "integration",
    request_body = LoginBody,
    responses(
        (status = 200, description = "A session", body = LoginAnswer),
    ),
)]
pub async fn integration_login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<Json<LoginBody>, ApiError>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(e) => return fail(e, None, None),
    };
    let username = body.username.trim().to_string();
    if let Err(wait) = state.oidc.login_attempt(ip) {
        return fail(limited(wait, "log-ins from this address"), None, None);
    }
    if let Err(wait) = state.adapter.logins.hit(username.clone(), Instant::now()) {
        return fail(limited(wait, "log-ins"), None, None);
    }
    match offices::log_in(&state, &username, &body.password, chrono::Utc::now()).await {
        Ok((session, expires)) => Json(LoginAnswer {
            error_code: "00",
            message: message_of("00"),
            session,
            expires_in: (expires - chrono::Utc::now()).num_seconds().max(0),
        })
        .into_response(),
        Err(LoginError::Refused) => {
            tracing::info!(username = %username, "an integration log-in was refused");
            fail(
                ApiError::Unauthorized(LoginError::Refused.to_string()),
                None,
                None,
            )
        }
        Err(LoginError::Store(e)) => fail(e.into(), None, None),
        Err(e @ LoginError::Random(_)) => fail(ApiError::Internal(e.to_string()), None, None),
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::NotItsUnit { .. } => ApiError::Forbidden(e.to_string()),
            CallError::UnknownService(_) | CallError::Malformed(_) => {
                ApiError::Unprocessable(e.to_string())
            }
            CallError::TooMany(_) => ApiError::PayloadTooLarge(e.to_string()),
            CallError::Store(e) => e.into(),
            CallError::Down(DownError::Store(e)) => e.into(),
            CallError::Down(DownError::Code(m)) => ApiError::Unprocessable(m),
            CallError::Down(e @ DownError::Report(_)) => ApiError::Internal(e.to_string()),
            CallError::Internal(m) => ApiError::Internal(m),
        }
    }
}

fn answer_of(service: &str, item: Item) -> ItemAnswer {
    let (error_code, status, version, message, detail, problems) = match item.outcome {
        Outcome::Received(Received::Applied { version, .. }) => (
            "00",
            "applied",
            Some(version),
            "Đã cập nhật hồ sơ".to_string(),
            "applied".to_string(),
            Vec::new(),
        ),
        Outcome::Received(Received::Duplicate) => (
            "00",
            "duplicate",
            None,
            "Gói tin này đã nhận trước đó".to_string(),
            "received before: nothing changed".to_string(),
            Vec::new(),
        ),
        Outcome::Received(Received::Stale) => (
            "00",
            "stale",
            None,
            "Gói tin cũ hơn trạng thái đã biết của hồ sơ: không thay đổi gì".to_string(),
            "older than what is known of the dossier: nothing changed".to_string(),
            Vec::new(),
        ),
        Outcome::Received(Received::Waiting) => (
            "00",
            "waiting",
            None,
            "Đã nhận; sẽ áp dụng khi nhận được gói tin hồ sơ (DongBoHoSoMC)".to_string(),
            "kept: applied when the dossier's packet (DongBoHoSoMC) comes".to_string(),
            Vec::new(),
        ),
        Outcome::Received(Received::Quarantined {
            reason_vi,
            reason_en,
        }) => (
            "05",
            "quarantined",
            None,
            format!("{reason_vi}. Gói tin được giữ lại để cán bộ vận hành xem xét"),
            format!("{reason_en}; the packet is kept for the portal's operator"),
            Vec::new(),
        ),
        Outcome::Invalid(problems) => (
            "01",
            "invalid",
            None,
            "Gói tin không đọc được: xem lý do ở từng trường".to_string(),
            ReceiveError::Invalid(problems.clone()).to_string(),
            problems
                .into_iter()
                .map(|p| ItemProblem {
                    field: p.field,
                    reason: p.reason,
                })
                .collect(),
        ),
        Outcome::NotYours => (
            "05",
            "not-yours",
            None,
            "Hồ sơ này do hệ thống của đơn vị khác gửi: không được cập nhật".to_string(),
            "the dossier is reported by another back office: this one may not change it"
                .to_string(),
            Vec::new(),
        ),
        Outcome::Busy => (
            "06",
            "busy",
            None,
            message_of("06").to_string(),
            "the dossier kept changing under this packet: send it again".to_string(),
            Vec::new(),
        ),
    };
    metrics::counter!(PACKETS_TOTAL, "service" => service.to_string(), "error_code" => error_code)
        .increment(1);
    ItemAnswer {
        index: item.index,
        code: item.code,
        error_code,
        status,
        version,
        message,
        detail,
        problems,
    }
}

/// Call the integration adapter
///
/// `DongBoHoSoMC` (dossiers) and `CapNhatTienDoHoSoMC` (processing steps)
/// take a batch in `data`, each packet judged and answered on its own in
/// `result`; sending a batch again is safe (what was taken is a
/// duplicate). `TraCuuHoSo` answers the dossier `mahoso` as the portal
/// knows it. See the module's table for `error_code`.
#[utoipa::path(
    post,
    path = "/api/v1/integration",
    tag = "integration",
    request_body = CallBody,
    responses(
        (status = 200, description = "Every packet taken (`error_code` 00)", body = CallAnswer),
    ),
)]
pub async fn integration_call(
    State(state): State<AppState>,
    caller: Result<BackOffice<CallBody>, ApiError>,
) -> Response {
    let BackOffice { office, body } = match caller {
        Ok(caller) => caller,
        Err(e) => return fail(e, None, None),
    };
    respond(&state, &office, body).await
}

/// `body`, a call of `office`, made and answered.
async fn respond(state: &AppState, office: &offices::Connected, body: CallBody) -> Response {
    if let Err(wait) = state
        .adapter
        .calls
        .hit(office.office.id.clone(), Instant::now())
    {
        return fail(limited(wait, "calls"), None, None);
    }
    let service = body.service.trim().to_string();
    let call = adapter::Call {
        unit: body.madonvi,
        service: service.clone(),
        data: body.data,
        code: body.mahoso,
        day: body.ngay,
        limit: body.soluong.and_then(|n| usize::try_from(n).ok()),
        document: body.magiayto,
        after: body.sau,
        base: state.oidc.issuer().trim_end_matches('/').to_string(),
    };
    match adapter::call(state, office, call, chrono::Utc::now()).await {
        Ok(Answer::Found(packet)) => Json(CallAnswer {
            error_code: "00",
            message: message_of("00"),
            result: packet.into_iter().collect(),
        })
        .into_response(),
        Ok(Answer::Listed(listed)) => Json(CallAnswer {
            error_code: "00",
            message: message_of("00"),
            result: listed,
        })
        .into_response(),
        Ok(Answer::Items(items)) => {
            let answers: Vec<ItemAnswer> =
                items.into_iter().map(|i| answer_of(&service, i)).collect();
            let first_refused = answers.iter().find(|a| a.error_code != "00");
            let Some(refused) = first_refused else {
                return Json(CallAnswer {
                    error_code: "00",
                    message: message_of("00"),
                    result: answers.iter().map(to_value).collect(),
                })
                .into_response();
            };
            let code = refused.error_code;
            let refused_count = answers.iter().filter(|a| a.error_code != "00").count();
            let detail = format!(
                "{refused_count} of the {} packets were not taken (see result: each packet's \
                 error_code, detail and problems); the others were, and sending them again is safe",
                answers.len()
            );
            let error = if code == "06" {
                ApiError::Conflict(detail)
            } else {
                ApiError::Unprocessable(detail)
            };
            fail(
                error,
                Some(code),
                Some(answers.iter().map(to_value).collect()),
            )
        }
        Err(e) => fail(e.into(), None, None),
    }
}

fn to_value(a: &ItemAnswer) -> Value {
    // a struct of strings and numbers always serialises
    serde_json::to_value(a).unwrap_or(Value::Null)
}

/// A request as received, for its signature to be checked.
fn received(
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    raw: &[u8],
) -> exchange::HttpRequest {
    exchange::HttpRequest {
        method: method.to_string(),
        uri: super::exchange::target_uri(headers, uri),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: raw.to_vec(),
    }
}

/// Take the dossiers the upstream portal pushes
///
/// On a province's node whose upstream portal pushes to it (`motcua serve
/// --upstream-signer`): the national portal posts `{"data": [dossiers]}`
/// (each as its feed gives it, `NhanHoSo`), signed (RFC 9421 with
/// `Content-Digest`) by its exchange key. Each dossier is kept under its
/// national code with its files, fetched and checked against their
/// SHA-256, and answered `00`; one held (its code taken here by another
/// dossier, a file not as announced) is answered `05` with the reason, one
/// that cannot be taken now (the portal's files unreachable) `99`; both
/// are pushed again.
#[utoipa::path(
    post,
    path = "/api/v1/integration/deliveries",
    tag = "integration",
    request_body(content = Object, description = "`{\"data\": [dossiers]}`, at most 50"),
    responses(
        (status = 200, description = "Each dossier answered (`result`: `MaHoSo`, `PhienBan`, `error_code` 00 taken, 05 held back with the reason, 99 not taken now)", body = Object),
    ),
)]
pub async fn integration_deliveries(
    State(state): State<AppState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    raw: axum::body::Bytes,
) -> Response {
    let Some(pushes) = state.pushes.clone() else {
        return fail(
            ApiError::NotFound(
                "this node takes no pushed dossiers: it has no upstream portal that pushes to it \
                 (motcua serve --upstream … --upstream-signer)"
                    .into(),
            ),
            None,
            None,
        );
    };
    let request = received(&method, &uri, &headers, &raw);
    if let Err(e) = pushes.verify(&request) {
        return fail(ApiError::Unauthorized(e.to_string()), None, None);
    }
    match pushes.take(state.stores(), &raw).await {
        Ok(result) => {
            let error_code = if result.iter().all(|r| r["error_code"] == "00") {
                "00"
            } else {
                "05"
            };
            Json(json!({
                "error_code": error_code,
                "message": message_of(error_code),
                "result": result,
            }))
            .into_response()
        }
        Err(e) => fail(ApiError::BadRequest(e.to_string()), None, None),
    }
}

/// Call the integration adapter over motcua's own profile
///
/// The calls of `/api/v1/integration` (without `session`), signed as an
/// exchange request (RFC 9421: `@method`, `@target-uri`, `Content-Digest`,
/// `x-road-client`) by the member whose subsystem is the back office's id
/// (`VN/GOV/000.00.00.H56/tuyen-quang-igate` speaks for
/// `tuyen-quang-igate`). Each call, and its answer, is kept in the message
/// log, and the answer is signed by this node and names its entry
/// (`x-log-entry`, `x-log-head`).
#[utoipa::path(
    post,
    path = "/api/v1/integration/signed",
    tag = "integration",
    request_body = CallBody,
    responses(
        (status = 200, description = "Every packet taken (`error_code` 00), signed", body = CallAnswer),
    ),
)]
pub async fn integration_signed(
    State(state): State<AppState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    raw: axum::body::Bytes,
) -> Response {
    let node = &state.exchange;
    let now = chrono::Utc::now();
    let request = received(&method, &uri, &headers, &raw);
    // a key of the exchange's configuration, or else one the back office's
    // own configuration lists
    let consumer = match exchange::verify_request(&request, &node.keyring, now) {
        Ok(v) => v.consumer,
        Err(e) => match offices::signed_with_office_key(&state, &request, now).await {
            Ok(Some(member)) => member,
            Ok(None) => {
                return fail(
                    ApiError::Unauthorized(format!(
                        "the call's signature does not verify ({e}): sign it with the key of \
                         the exchange member whose subsystem is the back office's id (listed \
                         in the exchange's configuration or in the back office's keys), \
                         covering @method, @target-uri, content-digest and x-road-client"
                    )),
                    None,
                    None,
                );
            }
            Err(se) => return fail(se.into(), None, None),
        },
    };
    let office_id = consumer.subsystem().unwrap_or_default().to_string();
    let office = match offices::speaking_as(&state, &consumer).await {
        Ok(Some(office)) => office,
        Ok(None) => {
            return fail(
                ApiError::Forbidden(format!(
                    "the member {consumer} speaks for no connected back office: its subsystem \
                     ({office_id:?}) must be the id of one"
                )),
                None,
                None,
            );
        }
        Err(e) => return fail(e.into(), None, None),
    };
    let body: CallBody = match serde_json::from_slice(&raw) {
        Ok(body) => body,
        Err(e) => {
            return fail(
                ApiError::BadRequest(format!("the body is not an adapter call: {e}")),
                None,
                None,
            );
        }
    };
    let service = body.service.trim().to_string();
    let answered = respond(&state, &office, body).await;
    let (parts, answer) = answered.into_parts();
    let out = match axum::body::to_bytes(answer, usize::MAX).await {
        Ok(out) => out,
        Err(e) => return fail(ApiError::Internal(e.to_string()), None, None),
    };
    // the call and its answer, in the message log before the answer leaves
    let record = exchange::LogRecord {
        at: now,
        consumer,
        provider: node.provider.member.clone(),
        service: SIGNED_SERVICE.to_string(),
        purpose: SIGNED_PURPOSE.to_string(),
        legal_basis: Some(SIGNED_LEGAL_BASIS.to_string()),
        case_ref: None,
        person_id: None,
        fields: vec![service],
        request_digest: exchange::Digest32::of(&raw),
        response_digest: Some(exchange::Digest32::of(&out)),
    };
    let logged = match node.log.append_signed(record).await {
        Ok(logged) => logged,
        Err(e) => {
            return fail(
                ApiError::Unavailable(format!(
                    "the call cannot be kept in the message log now ({e}): nothing is answered \
                     without it; send it again"
                )),
                None,
                None,
            );
        }
    };
    match super::exchange::signed_answer(node, parts.status, out.to_vec(), &logged, now) {
        Ok(res) => res,
        Err(e) => fail(e, None, None),
    }
}
