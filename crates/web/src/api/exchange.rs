//! The exchange endpoint (`POST /api/v1/exchange/{provider}/{service}`) and
//! the consent API (`POST`/`DELETE /api/v1/registry/people/{pid}/consents`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use exchange::{HttpRequest, HttpResponse, LogRecord, MemberId, Refusal, RequestMeta};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::PersonOrOperator;
use crate::error::{ApiError, Problem, problem_response};
use crate::extract::{Json, Path};
use crate::services::events;
use crate::services::exchange::writer::LogError;
use crate::services::population::{self, HouseholdOf, RegistryError, RegistryTarget};
use crate::state::AppState;

/// How long a signed response stays valid.
const RESPONSE_TTL: Duration = Duration::minutes(5);

/// The body of an exchange request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ExchangeBody {
    /// The person's 12-digit personal id (`person.get`, `person.verify`).
    pub person_id: Option<String>,
    /// The household id (`household.get`); by default the person's.
    pub household_id: Option<String>,
    /// The fields asked for; empty: every field the right allows. For
    /// `events.subscribe`, the event kinds (also accepted as `kinds`).
    #[serde(default, alias = "kinds")]
    pub fields: Vec<String>,
    /// `events.subscribe`: where to POST the events.
    pub endpoint: Option<String>,
    /// `events.subscribe`: ends this subscription instead.
    pub unsubscribe: Option<String>,
    /// `person.verify`: the full name to check.
    pub full_name: Option<String>,
    /// `person.verify`: the birth date to check (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`).
    pub birth_date: Option<String>,
}

/// A refusal as problem+json: 401 when the request is not (validly) signed,
/// 403 otherwise; `code` names the refusal.
fn refused(status: StatusCode, code: &str, detail: String) -> Response {
    tracing::warn!(code, %detail, "exchange request refused");
    problem_response(Problem::new(
        status,
        format!("/problems/exchange/{code}"),
        detail,
    ))
}

fn refusal(r: &Refusal) -> Response {
    let status = match r {
        Refusal::Unsigned | Refusal::SignedByAnother { .. } => StatusCode::UNAUTHORIZED,
        _ => StatusCode::FORBIDDEN,
    };
    refused(status, r.code(), r.to_string())
}

/// `POST /api/v1/exchange/{provider}/{service}`: one signed request to a
/// provider's service, answered with a signed response.
#[utoipa::path(
    post,
    path = "/api/v1/exchange/{provider}/{service}",
    tag = "exchange",
    params(
        ("provider" = String, Path, description = "The provider's member id, its slashes kept, e.g. `VN/GOV/BCA/registry`"),
        ("service" = String, Path, description = "`person.get`, `person.verify` or `household.get`"),
        ("x-road-client" = String, Header, description = "The consumer's member id"),
        ("x-purpose" = String, Header, description = "The purpose code"),
        ("x-legal-basis" = Option<String>, Header, description = "The legal basis (absent: the person's consent)"),
        ("x-case-ref" = String, Header, description = "The case reference, e.g. a dossier code"),
        ("signature-input" = String, Header, description = "RFC 9421, label `motcua`"),
        ("signature" = String, Header, description = "RFC 9421"),
        ("content-digest" = String, Header, description = "RFC 9530, sha-256"),
    ),
    request_body = ExchangeBody,
    responses(
        (status = 200, description = "The granted fields, signed by the provider (RFC 9421 `Signature`, covering `x-log-entry` and `x-log-head`)", body = serde_json::Value,
            headers(
                ("x-log-entry" = u64, description = "The message-log entry that records this access (its sequence number)"),
                ("x-log-head" = String, description = "The log operator's signed head of the message log at or after that entry, an RFC 8941 dictionary: `seq=<entry>, hash=\"<SHA-256 of the entry, hex>\", at=<Unix seconds>, keyid=\"<operator key id>\", sig=:<Ed25519 signature, base64>:`, the signature over `motcua/exchange/head/v1`, a NUL byte, then seq (8 bytes), hash (32) and at (8 bytes, signed), big-endian. Keep the latest one received: `motcua exchange verify-log --head FILE` (the header's value or line in FILE) shows whether the log still reaches it"),
            )),
    )
)]
pub async fn call(
    State(state): State<AppState>,
    Path(target): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let node = &state.exchange;
    let now = Utc::now();
    let mut phase = Phases::start();
    let (provider, service) = target
        .rsplit_once('/')
        .ok_or_else(|| ApiError::NotFound(format!("{target} names no provider and service")))?;
    let provider: MemberId = provider
        .parse()
        .map_err(|e| ApiError::NotFound(format!("no provider {provider}: {e}")))?;
    if provider != node.provider.member {
        return Err(ApiError::NotFound(format!(
            "this node serves {}, not {provider}",
            node.provider.member
        )));
    }

    // the request as the consumer signed it; @target-uri from the Host header
    if headers.get("host").is_none() {
        return Err(ApiError::BadRequest(
            "the request has no Host header".into(),
        ));
    }
    let request = HttpRequest {
        method: method.to_string(),
        uri: target_uri(&headers, &uri),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: body.to_vec(),
    };
    let verified = match exchange::verify_request(&request, &node.keyring, now) {
        Ok(v) => v,
        Err(e) => {
            let unsigned = request
                .headers
                .iter()
                .all(|(k, _)| !k.eq_ignore_ascii_case("signature"));
            let (code, detail) = if unsigned {
                (Refusal::Unsigned.code(), Refusal::Unsigned.to_string())
            } else {
                (
                    "bad_signature",
                    format!("the request's signature does not verify: {e}"),
                )
            };
            return Ok(refused(StatusCode::UNAUTHORIZED, code, detail));
        }
    };

    phase.end("verify");

    let input: ExchangeBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not an exchange request: {e}")))?;
    let meta = RequestMeta::from_verified(
        &verified,
        provider.clone(),
        service,
        input.person_id.clone(),
        input.fields.clone(),
    );
    // the person's consents are read only when the right rests on them
    let grant = match node.policy.authorize(&meta, now, &exchange::NoConsents) {
        Ok(g) => g,
        Err(Refusal::NoConsent { .. }) => {
            let consents = population::consents_of(&state, input.person_id.as_deref())
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            match node.policy.authorize(&meta, now, &consents) {
                Ok(g) => g,
                Err(r) => return Ok(refusal(&r)),
            }
        }
        Err(r) => return Ok(refusal(&r)),
    };
    phase.end("authorize");

    // Nothing leaves before the access is in the log. A registry service
    // reads while its entry is being stored (the entry names what was
    // granted, not the answer, which the signed response carries together
    // with the entry's number); a request the provider cannot serve is
    // refused before it is logged; one that finds nothing stays logged
    // (the consumer did ask about that person).
    let record = LogRecord::access(&grant, now, &body);
    let logged = |e: LogError| ApiError::Internal(e.to_string());
    let (answer, logged) = if service == events::SUBSCRIBE {
        let request = events::SubscribeRequest {
            endpoint: input.endpoint.as_deref(),
            unsubscribe: input.unsubscribe.as_deref(),
        };
        let answer = events::subscribe(&state, &grant, &request)
            .await
            .map_err(|e| match e {
                events::SubscribeError::Invalid(m) => ApiError::BadRequest(m),
                events::SubscribeError::Store(e) => ApiError::Internal(e.to_string()),
            })?;
        (
            answer,
            node.log.append_signed(record).await.map_err(logged)?,
        )
    } else {
        let target = target_of(service, &input)?;
        let check = population::Check {
            full_name: input.full_name.as_deref(),
            birth_date: input.birth_date.as_deref(),
        };
        let (answer, entry) = tokio::join!(
            population::serve(&state, &target, &check),
            node.log.append_signed(record)
        );
        let entry = entry.map_err(logged)?;
        (grant.filter(&answer.map_err(registry_error)?), entry)
    };
    let out = serde_json::to_vec(&answer).map_err(|e| ApiError::Internal(e.to_string()))?;
    phase.end("serve");

    let res = signed_answer(node, StatusCode::OK, out, &logged, now)?;
    phase.end("sign");
    Ok(res)
}

/// `body` answered with `status`, naming its entry of the message log and
/// the operator's signed head of the log that holds it (the node refuses
/// at start an operator key id a header cannot carry), signed by the node.
pub(crate) fn signed_answer(
    node: &crate::services::exchange::node::ExchangeNode,
    status: StatusCode,
    body: Vec<u8>,
    logged: &crate::services::exchange::writer::Logged,
    now: chrono::DateTime<Utc>,
) -> Result<Response, ApiError> {
    let mut headers = vec![
        ("content-type".into(), "application/json".into()),
        (
            exchange::signature::HDR_LOG_ENTRY.into(),
            logged.entry.seq.to_string(),
        ),
    ];
    if let Some(head) = logged.head.to_header() {
        headers.push((exchange::signature::HDR_LOG_HEAD.into(), head));
    }
    let mut response = HttpResponse {
        status: status.as_u16(),
        headers,
        body,
    };
    exchange::sign_response(&mut response, &node.provider, now, RESPONSE_TTL)
        .map_err(|e| ApiError::Internal(format!("cannot sign the response: {e}")))?;
    let mut res = (status, response.body).into_response();
    for (k, v) in &response.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
            res.headers_mut().insert(k, v);
        }
    }
    Ok(res)
}

/// The `@target-uri` a signed request was made to: its scheme (https when
/// the proxy in front says so), its `Host` and its path.
pub(crate) fn target_uri(headers: &HeaderMap, uri: &Uri) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    format!("{scheme}://{host}{path}")
}

/// Times the phases of one exchange request into
/// [`crate::metrics::EXCHANGE_PHASE`] (label `phase`).
struct Phases(std::time::Instant);

impl Phases {
    fn start() -> Self {
        Phases(std::time::Instant::now())
    }

    /// Records the time since the previous phase ended as `name`.
    fn end(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        metrics::histogram!(crate::metrics::EXCHANGE_PHASE, "phase" => name)
            .record(now.duration_since(self.0).as_secs_f64());
        self.0 = now;
    }
}

/// The registry service `service` names and whom it is about.
fn target_of(service: &str, input: &ExchangeBody) -> Result<RegistryTarget, ApiError> {
    let pid = || -> Result<domain::PersonalId, ApiError> {
        let pid = input
            .person_id
            .as_deref()
            .ok_or_else(|| ApiError::BadRequest("person_id is required".into()))?;
        domain::PersonalId::parse(pid).map_err(ApiError::from)
    };
    match service {
        "person.get" => Ok(RegistryTarget::PersonGet(pid()?)),
        "person.verify" => Ok(RegistryTarget::PersonVerify(pid()?)),
        "household.get" => Ok(RegistryTarget::Household(match &input.household_id {
            Some(h) => HouseholdOf::Id(registry::HouseholdId(h.clone())),
            None => HouseholdOf::Person(pid()?),
        })),
        other => Err(ApiError::NotFound(format!(
            "this node does not run the service {other}"
        ))),
    }
}

/// A consent given or withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsentBody {
    /// The consumer's member id.
    #[schema(example = "VN/COM/0100112437/kyc")]
    pub consumer: String,
    /// The purpose code.
    #[schema(example = "account-opening")]
    pub purpose: String,
}

async fn consent_change(
    state: &AppState,
    pid: &str,
    body: &ConsentBody,
    give: bool,
) -> Result<Response, ApiError> {
    let id = domain::PersonalId::parse(pid).map_err(ApiError::from)?;
    let consumer: MemberId = body
        .consumer
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("consumer: {e}")))?;
    if body.purpose.trim().is_empty() {
        return Err(ApiError::BadRequest("purpose is required".into()));
    }
    let change = population::ConsentChange {
        person: &id,
        consumer: &consumer,
        purpose: &body.purpose,
        give,
    };
    let changed = population::change_consent(state, &change)
        .await
        .map_err(registry_error)?;
    Ok(axum::Json(serde_json::json!({
        "person_id": pid,
        "consumer": consumer.to_string(),
        "purpose": body.purpose,
        "in_force": give,
        "changed": changed,
    }))
    .into_response())
}

/// A registry service's failure as the API answers it.
fn registry_error(e: RegistryError) -> ApiError {
    match e {
        RegistryError::NotFound(m) => ApiError::NotFound(m),
        RegistryError::Store(e) => ApiError::Internal(e.to_string()),
    }
}

/// `POST /api/v1/registry/people/{pid}/consents`: the person consents to
/// `consumer` using their data for `purpose`: the person logged in on the
/// portal, or an operator's system with an `admin` token.
#[utoipa::path(
    post,
    path = "/api/v1/registry/people/{pid}/consents",
    tag = "exchange",
    params(("pid" = String, Path, description = "12-digit personal id")),
    request_body = ConsentBody,
    security((), ("bearer" = [])),
    responses((status = 200, description = "The consent is in force", body = serde_json::Value))
)]
pub async fn give_consent(
    State(state): State<AppState>,
    caller: PersonOrOperator,
    Path(pid): Path<String>,
    Json(body): Json<ConsentBody>,
) -> Result<Response, ApiError> {
    caller.for_person(&pid)?;
    consent_change(&state, &pid, &body, true).await
}

/// `DELETE /api/v1/registry/people/{pid}/consents`: withdraws that consent.
#[utoipa::path(
    delete,
    path = "/api/v1/registry/people/{pid}/consents",
    tag = "exchange",
    params(("pid" = String, Path, description = "12-digit personal id")),
    request_body = ConsentBody,
    security((), ("bearer" = [])),
    responses((status = 200, description = "The consent is withdrawn", body = serde_json::Value))
)]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    caller: PersonOrOperator,
    Path(pid): Path<String>,
    Json(body): Json<ConsentBody>,
) -> Result<Response, ApiError> {
    caller.for_person(&pid)?;
    consent_change(&state, &pid, &body, false).await
}
