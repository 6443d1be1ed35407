//! The procedure catalog and dossiers over JSON: find a procedure, file a
//! dossier with a token from motcua's identity provider, follow it, act on
//! it (the applicant, or the staff of the agencies handling it), and look
//! any dossier up by its code with minimal, public data.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset};
use dossier::{Act, AgencyCode, Dossier, Procedure, Urgency};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{ApiPerson, Scope};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::services::Stores as _;
use crate::services::backoffice::reported::{self, Reported};
use crate::services::cutover;
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow::{self, Application};
use crate::services::dossiers::records;
use crate::state::AppState;

type Body<T> = Result<crate::extract::Json<T>, ApiError>;

/// The scope a token needs to act on a dossier in `role`: its applicant's
/// (`dossiers`), or its agencies' staff's (`workbench`).
fn scope_of(role: dossier::Role) -> Scope {
    match role {
        dossier::Role::Applicant => Scope::Dossiers,
        _ => Scope::Workbench,
    }
}

/// Refused unless the token's scopes let the caller act on the dossier in
/// one of the ways `actors` may (its applicant, its agencies' staff).
fn require_any(caller: &ApiPerson, actors: &[dossier::Actor]) -> Result<(), ApiError> {
    if actors.iter().any(|a| caller.may(scope_of(a.role))) {
        return Ok(());
    }
    match actors.first() {
        Some(a) => Ok(caller.require(scope_of(a.role))?),
        None => Err(ApiError::Forbidden(
            "this dossier is seen only by its applicant and the staff of the agencies handling it"
                .into(),
        )),
    }
}

/// A procedure in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProcedureSummary {
    /// Its code.
    code: String,
    /// Name in Vietnamese.
    name_vi: String,
    /// Name in English.
    name_en: String,
    /// Field in Vietnamese.
    field_vi: String,
    /// `commune`, `province` or `ministry`.
    #[schema(value_type = String)]
    level: dossier::Level,
    /// The competent authority.
    authority_vi: String,
    /// The time limit in words.
    time_limit_vi: String,
    /// The time limit in English words.
    time_limit_en: String,
    /// The result issued.
    result_vi: String,
}

impl From<&Procedure> for ProcedureSummary {
    fn from(p: &Procedure) -> Self {
        ProcedureSummary {
            code: p.code.clone(),
            name_vi: p.name_vi.clone(),
            name_en: p.name_en.clone(),
            field_vi: p.field_vi.clone(),
            level: p.level,
            authority_vi: p.authority_vi.clone(),
            time_limit_vi: p.time_limit_vi(),
            time_limit_en: p.time_limit_en(),
            result_vi: p.result_vi.clone(),
        }
    }
}

/// The search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    /// Words of the name, field or result, with or without diacritics.
    q: Option<String>,
}

/// `GET /api/v1/procedures`
#[utoipa::path(
    get,
    path = "/api/v1/procedures",
    tag = "dossiers",
    params(ProcedureQuery),
    responses((status = 200, description = "The matching procedures, best first", body = [ProcedureSummary]))
)]
pub async fn procedures(
    Query(q): Query<ProcedureQuery>,
) -> Result<Json<Vec<ProcedureSummary>>, ApiError> {
    let catalog = flow::catalog()?;
    Ok(Json(
        catalog
            .search(q.q.as_deref().unwrap_or_default())
            .into_iter()
            .map(ProcedureSummary::from)
            .collect(),
    ))
}

/// `GET /api/v1/procedures/{code}`
#[utoipa::path(
    get,
    path = "/api/v1/procedures/{code}",
    tag = "dossiers",
    params(("code" = String, Path, description = "The procedure's code, e.g. `khai-sinh`", min_length = 1, max_length = 100)),
    responses((status = 200, description = "The procedure: time limit, cut-off, fees, documents (those the state holds marked), the form as JSON Schema, the result, the legal basis and sources", body = serde_json::Value))
)]
pub async fn procedure(Path(code): Path<String>) -> Result<Response, ApiError> {
    let p = flow::procedure(&code)?;
    Ok(Json(p).into_response())
}

/// A dossier filed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewDossier {
    /// The procedure's code.
    #[schema(example = "khai-sinh")]
    pub procedure: String,
    /// The form's fields (see the procedure's `form`); the fields the
    /// state holds are filled from the population registry whatever is
    /// sent.
    #[schema(value_type = Object)]
    pub form: serde_json::Map<String, serde_json::Value>,
    /// Where to e-mail the notices, if anywhere.
    pub email: Option<String>,
    /// `online` (default: the token's holder files), or registered by an
    /// officer (the token's holder) of the receiving agency: `in_person`
    /// at a counter (received at once, with its appointment) or `postal`.
    #[schema(value_type = Option<ChannelName>)]
    pub channel: Option<dossier::Channel>,
    /// In person or by post: the applicant's personal identification number.
    pub applicant_pin: Option<String>,
    /// In person or by post: the applicant's name as on their card, when
    /// they have no eID account.
    pub applicant_name: Option<String>,
    /// In person: the public administrative service centre receiving
    /// (`TTPVHCC.<commune or province code>`, of the dossier's province);
    /// absent: the competent agency's own counter.
    pub centre: Option<String>,
}

/// How a dossier is filed.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ChannelName {
    /// Handed in at a counter.
    InPerson,
    /// On the portal.
    Online,
    /// Through the post.
    Postal,
}

/// A dossier as its applicant and its agencies see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierView {
    /// The dossier, whole: route, form, lifecycle, timeline, the
    /// processing-control slip (form 05) and the other forms' contents.
    #[schema(value_type = Object)]
    dossier: Dossier,
    /// Its version (name it when acting, to act on what was seen).
    version: i64,
    /// The status code (1–10).
    status: u8,
    /// The status in Vietnamese.
    status_vi: &'static str,
    /// How close the appointment is: `none`, `on_time`, `due_soon`,
    /// `overdue`.
    #[schema(value_type = String)]
    urgency: Urgency,
    /// Where the receipt and appointment slip (form 01) is printed.
    receipt: String,
}

fn view(stored: records::StoredDossier) -> Result<DossierView, FlowError> {
    let calendar = flow::working_calendar()?;
    let status = stored.dossier.status();
    Ok(DossierView {
        urgency: stored.dossier.urgency(&calendar, flow::now()),
        receipt: format!("/ho-so/{}/phieu/01", stored.dossier.code),
        status: status.code(),
        status_vi: status.name_vi(),
        version: stored.version,
        dossier: stored.dossier,
    })
}

/// `POST /api/v1/dossiers`
#[utoipa::path(
    post,
    path = "/api/v1/dossiers",
    tag = "dossiers",
    request_body = NewDossier,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed: its code, and (once received) its appointment", body = DossierView,
         headers(("location" = String, description = "The dossier's address"))),
        (status = 429, description = "Too many filings: by this account this minute (10) or with this agency today (30 online), or online with this agency this minute (120); `Retry-After` says when to try again",
         body = crate::error::Problem, content_type = "application/problem+json", headers(("retry-after" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The agency's numbers of the day are used up: online up to 8,999 (the rest are kept for its counter and the post), every channel at 9,999; `Retry-After` says when the next day begins",
         body = crate::error::Problem, content_type = "application/problem+json", headers(("retry-after" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn file(
    State(state): State<AppState>,
    caller: ApiPerson,
    body: Body<NewDossier>,
) -> Result<Response, ApiError> {
    let crate::extract::Json(body) = body?;
    let account = &caller.account;
    let app = Application {
        procedure: body.procedure,
        form: body.form,
        email: body.email,
    };
    let channel = body.channel.unwrap_or(dossier::Channel::Online);
    // the applicant files online; the staff of the receiving agency register
    caller.require(match channel {
        dossier::Channel::Online => Scope::Dossiers,
        _ => Scope::Workbench,
    })?;
    let stored = match channel {
        dossier::Channel::Online => flow::file_online(&state, account, app).await?,
        _ => {
            let centre = body
                .centre
                .as_deref()
                .map(AgencyCode::parse)
                .transpose()
                .map_err(|e| ApiError::Unprocessable(format!("centre: {e}")))?;
            let pin = body.applicant_pin.ok_or_else(|| {
                ApiError::Unprocessable(
                    "applicant_pin: an officer filing for someone names them".into(),
                )
            })?;
            flow::file_for(
                &state,
                account,
                app,
                flow::Intake {
                    channel,
                    applicant_pin: pin,
                    applicant_name: body.applicant_name,
                    centre,
                },
            )
            .await?
        }
    };
    let label = match channel {
        dossier::Channel::Online => "online",
        dossier::Channel::InPerson => "in_person",
        dossier::Channel::Postal => "postal",
    };
    metrics::counter!(crate::metrics::DOSSIERS_FILED, "channel" => label).increment(1);
    let location = format!("/api/v1/dossiers/{}", stored.dossier.code);
    let mut res = (StatusCode::CREATED, Json(view(stored)?)).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&location) {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(res)
}

/// What anyone sees of a dossier by its code.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicDossier {
    /// The code.
    pub(crate) code: String,
    /// Its code on a closed provincial portal, when it came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) old_code: Option<String>,
    /// The procedure's name.
    pub(crate) procedure_vi: String,
    /// The procedure's name in English.
    pub(crate) procedure_en: String,
    /// The status code (1–10).
    pub(crate) status: u8,
    /// The status in Vietnamese.
    pub(crate) status_vi: &'static str,
    /// The status in English.
    pub(crate) status_en: &'static str,
    /// When it was filed.
    #[schema(value_type = String, format = DateTime)]
    pub(crate) submitted_at: DateTime<FixedOffset>,
    /// The appointment for the result.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) due: Option<DateTime<FixedOffset>>,
    /// The code of the agency handling it.
    pub(crate) agency: String,
    /// Its name (its code when it has none).
    pub(crate) agency_vi: String,
    /// Its name in English.
    pub(crate) agency_en: String,
}

pub(crate) fn public_view(d: &Dossier) -> PublicDossier {
    let (vi, en) = flow::procedure(&d.procedure)
        .map(|p| (p.name_vi.clone(), p.name_en.clone()))
        .unwrap_or_else(|_| (d.procedure.clone(), d.procedure.clone()));
    let agency = dossier::agency_name(&d.route.competent);
    PublicDossier {
        code: d.code.to_string(),
        old_code: d.legacy.as_ref().map(|l| l.code.clone()),
        procedure_vi: vi,
        procedure_en: en,
        status: d.status().code(),
        status_vi: d.status().name_vi(),
        status_en: d.status().name_en(),
        submitted_at: d.submitted_at,
        due: d.due,
        agency: d.route.competent.to_string(),
        agency_vi: agency
            .as_ref()
            .map_or_else(|| d.route.competent.to_string(), |n| n.vi.clone()),
        agency_en: agency.map_or_else(|| d.route.competent.to_string(), |n| n.en),
    }
}

/// The public view of `d`, with the status the back office handling it
/// reports when one does (a dossier delivered to a province's back office
/// is processed there).
pub(crate) async fn public_reported(
    state: &AppState,
    d: &Dossier,
) -> Result<PublicDossier, FlowError> {
    let report = reported::of_code(state.stores(), &d.code.to_string()).await?;
    Ok(with_report(public_view(d), report.as_ref()))
}

/// `out` with the status and appointment of `report`, when there is one.
fn with_report(mut out: PublicDossier, report: Option<&Reported>) -> PublicDossier {
    if let Some(r) = report {
        out.status = r.status.code();
        out.status_vi = r.status.name_vi();
        out.status_en = r.status.name_en();
        if r.due().is_some() {
            out.due = r.due();
        }
    }
    out
}

/// The public view of a dossier known here only by what its back office
/// reports (received at a province's counter).
pub(crate) fn public_of_report(r: &Reported) -> PublicDossier {
    let (vi, en) = match r.catalogued() {
        Some(p) => (p.name_vi.clone(), p.name_en.clone()),
        None => (
            r.procedure_name().to_string(),
            r.procedure_name().to_string(),
        ),
    };
    let name = dossier::AgencyCode::parse(&r.unit)
        .ok()
        .and_then(|a| dossier::agency_name(&a));
    let handled = match r.handled_by().trim() {
        "" => r.unit.clone(),
        h => h.to_string(),
    };
    PublicDossier {
        code: r.code.clone(),
        old_code: None,
        procedure_vi: vi,
        procedure_en: en,
        status: r.status.code(),
        status_vi: r.status.name_vi(),
        status_en: r.status.name_en(),
        submitted_at: r
            .submitted_at()
            .unwrap_or_else(|| r.updated_at.with_timezone(&calendar::VIETNAM)),
        due: r.due(),
        agency: r.unit.clone(),
        agency_vi: name
            .as_ref()
            .map_or_else(|| handled.clone(), |n| n.vi.clone()),
        agency_en: name.map_or(handled, |n| n.en),
    }
}

/// What anyone may see of the dossiers with `code` (new or former): the
/// public view of each, with what its back office reports, or of the one
/// a back office reports by that code.
pub(crate) async fn public_found(
    state: &AppState,
    code: &str,
) -> Result<Vec<PublicDossier>, FlowError> {
    let found = cutover::find(state.stores(), code).await?;
    let mut out = Vec::with_capacity(found.len());
    for s in &found {
        out.push(public_reported(state, &s.dossier).await?);
    }
    if out.is_empty()
        && let Some(r) = reported::of_code(state.stores(), code.trim()).await?
    {
        out.push(public_of_report(&r));
    }
    Ok(out)
}

/// `GET /api/v1/dossiers/{code}`: public, minimal — whole for its
/// applicant and the staff of its agencies (with their token).
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}",
    tag = "dossiers",
    params(("code" = String, Path, description = "The dossier's code, e.g. `UBND.25747-260302-0001`, or its code on a closed provincial portal it was brought in from")),
    security((), ("bearer" = [])),
    responses((status = 200, description = "Without a token: code, procedure, status, dates, agency (`PublicDossier`); with the applicant's or its staff's token: the whole dossier (`DossierView`)", body = DossierAnswer))
)]
pub async fn get_dossier(
    State(state): State<AppState>,
    Path(code): Path<String>,
    caller: Option<ApiPerson>,
) -> Result<Response, ApiError> {
    // a code of this portal, or of a closed provincial one
    let mut found = cutover::find(state.stores(), &code)
        .await
        .map_err(FlowError::from)?;
    let stored = match found.len() {
        0 => {
            // one received at a province's counter, known by its reports
            if let Some(r) = reported::of_code(state.stores(), code.trim())
                .await
                .map_err(FlowError::from)?
            {
                return Ok(
                    Json(DossierAnswer::Public(Box::new(public_of_report(&r)))).into_response()
                );
            }
            return Err(ApiError::NotFound(format!(
                "no dossier has the code {:?}, new or former",
                code.trim()
            )));
        }
        1 => found.remove(0),
        _ => {
            let codes: Vec<String> = found.iter().map(|s| s.dossier.code.to_string()).collect();
            return Err(ApiError::Conflict(format!(
                "the former code {:?} belongs to {} dossiers of merged provinces: ask by one of \
                 their codes, {}",
                code.trim(),
                codes.len(),
                codes.join(", ")
            )));
        }
    };
    let Some(caller) = caller else {
        return Ok(Json(DossierAnswer::Public(Box::new(
            public_reported(&state, &stored.dossier).await?,
        )))
        .into_response());
    };
    let actors = flow::actors_for(&state, &caller.account, &stored.dossier).await?;
    require_any(&caller, &actors)?;
    Ok(Json(DossierAnswer::Whole(Box::new(view(stored)?))).into_response())
}

/// A dossier as `GET /api/v1/dossiers/{code}` answers it: public, or
/// whole.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum DossierAnswer {
    /// Whole, for its applicant and its agencies' staff.
    Whole(Box<DossierView>),
    /// What anyone sees.
    Public(Box<PublicDossier>),
}

/// An act on a dossier.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActBody {
    /// The act: `{"act": "receive"}`, `{"act": "request_supplement",
    /// "items": [...]}`, `{"act": "propose", "outcome": "issued",
    /// "summary": "..."}`, `{"act": "approve"}`, `{"act": "rate", "score":
    /// 5}` …
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub act: Act,
    /// A comment for the processing-control slip.
    pub comment: Option<String>,
    /// The version acted on (absent: whatever is stored).
    pub version: Option<i64>,
}

/// `POST /api/v1/dossiers/{code}/acts`
#[utoipa::path(
    post,
    path = "/api/v1/dossiers/{code}/acts",
    tag = "dossiers",
    params(("code" = String, Path, description = "The dossier's code", pattern = "^[A-Za-z0-9][A-Za-z0-9.]{0,31}-[0-9]{6}-[0-9]{4}$")),
    request_body = ActBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Done: the dossier now", body = DossierView))
)]
pub async fn act(
    State(state): State<AppState>,
    Path(code): Path<String>,
    caller: ApiPerson,
    body: Body<ActBody>,
) -> Result<Json<DossierView>, ApiError> {
    let crate::extract::Json(body) = body?;
    let account = &caller.account;
    caller.require(if body.act.by_applicant() {
        Scope::Dossiers
    } else {
        Scope::Workbench
    })?;
    let code_of_act = body.act.code();
    let (stored, _) = flow::act(
        &state,
        account,
        &code,
        body.act,
        body.comment.as_deref(),
        body.version,
    )
    .await?;
    metrics::counter!(crate::metrics::DOSSIER_ACTS, "act" => code_of_act).increment(1);
    Ok(Json(view(stored)?))
}

/// A dossier as a province's back office reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedDossier {
    /// What anyone may see of it, with the status reported.
    #[serde(flatten)]
    pub(crate) dossier: PublicDossier,
    /// When its back office last reported it.
    pub(crate) reported_at: String,
    /// Filed on this portal and processed there (`false`: received at the
    /// province's counter, known here by its reports only).
    pub(crate) filed_here: bool,
}

/// `GET /api/v1/dossiers/reported`: what the provinces' back offices
/// report of the token holder's dossiers (those received at their
/// counters, and those filed here that they process), the last reported
/// first.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/reported",
    tag = "dossiers",
    security(("bearer" = [])),
    responses((status = 200, description = "The applicant's dossiers as the provinces report them", body = [ReportedDossier]))
)]
pub async fn reported_mine(
    State(state): State<AppState>,
    caller: ApiPerson,
) -> Result<Json<Vec<ReportedDossier>>, ApiError> {
    caller.require(Scope::Dossiers)?;
    let Some(pin) = flow::person_of(&caller.account) else {
        return Ok(Json(Vec::new()));
    };
    let reports = reported::of_person(state.stores(), &pin)
        .await
        .map_err(FlowError::from)?;
    let mut out = Vec::with_capacity(reports.len());
    for r in &reports {
        let here = match dossier::DossierCode::parse(&r.code) {
            Ok(code) => records::dossier(&state, &code).await?,
            Err(_) => None,
        };
        out.push(ReportedDossier {
            dossier: match &here {
                Some(s) => with_report(public_view(&s.dossier), Some(r)),
                None => public_of_report(r),
            },
            reported_at: r.updated_at.to_rfc3339(),
            filed_here: here.is_some(),
        });
    }
    Ok(Json(out))
}

/// `GET /api/v1/dossiers`: the token holder's dossiers, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers",
    tag = "dossiers",
    security(("bearer" = [])),
    responses((status = 200, description = "The applicant's dossiers", body = [DossierView]))
)]
pub async fn mine(
    State(state): State<AppState>,
    caller: ApiPerson,
) -> Result<Json<Vec<DossierView>>, ApiError> {
    caller.require(Scope::Dossiers)?;
    let rows = flow::dossiers_of(&state, &caller.account).await?;
    Ok(Json(rows.into_iter().map(view).collect::<Result<_, _>>()?))
}

/// The queue's filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only open dossiers (default) or all.
    open: Option<bool>,
}

/// `GET /api/v1/agencies/{agency}/dossiers`: an agency's queue, for its
/// staff.
#[utoipa::path(
    get,
    path = "/api/v1/agencies/{agency}/dossiers",
    tag = "dossiers",
    params(("agency" = String, Path, description = "The agency's code, e.g. `UBND.25747`", pattern = "^[A-Za-z0-9][A-Za-z0-9.]{0,31}$"), QueueQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Its dossiers, the soonest due first", body = [DossierView]))
)]
pub async fn queue(
    State(state): State<AppState>,
    Path(agency): Path<String>,
    Query(q): Query<QueueQuery>,
    caller: ApiPerson,
) -> Result<Json<Vec<DossierView>>, ApiError> {
    caller.require(Scope::Workbench)?;
    let agency = AgencyCode::parse(&agency).map_err(|e| ApiError::NotFound(e.to_string()))?;
    let roles = flow::staff_roles(&state, &caller.account).await?;
    if !roles.iter().any(|(a, _)| *a == agency) {
        return Err(ApiError::Forbidden(format!(
            "only the staff of {agency} see its queue"
        )));
    }
    let rows = records::agency_queue(&state, &agency, q.open.unwrap_or(true), 500)
        .await
        .map_err(FlowError::from)?;
    Ok(Json(rows.into_iter().map(view).collect::<Result<_, _>>()?))
}

/// The file's name.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AttachParams {
    /// The file's name as the applicant knows it: 1 to 200 characters,
    /// without slashes, control characters or text-direction characters.
    #[param(
        max_length = 200,
        pattern = "^[^/\\\\\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*[^/\\\\\\s\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069][^/\\\\\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$"
    )]
    name: String,
}

/// `PUT /api/v1/dossiers/{code}/attachments/{document}?name=…`: the body
/// is the file (PDF, JPEG or PNG, at most 10 MiB).
#[utoipa::path(
    put,
    path = "/api/v1/dossiers/{code}/attachments/{document}",
    tag = "dossiers",
    params(
        ("code" = String, Path, description = "The dossier's code", pattern = "^[A-Za-z0-9][A-Za-z0-9.]{0,31}-[0-9]{6}-[0-9]{4}$"),
        ("document" = String, Path, description = "The procedure's document key (one the applicant provides)", pattern = "^[a-z0-9][a-z0-9-]{0,63}$"),
        AttachParams,
    ),
    request_body(description = "The file: PDF, JPEG or PNG by content, at most 10 MiB",
        content(("application/pdf"), ("image/jpeg"), ("image/png"), ("application/octet-stream"))),
    security(("bearer" = [])),
    responses((status = 200, description = "Kept (replacing an earlier file for that document)", body = serde_json::Value))
)]
pub async fn attach(
    State(state): State<AppState>,
    Path((code, document)): Path<(String, String)>,
    Query(q): Query<AttachParams>,
    caller: ApiPerson,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<records::StoredAttachment>, ApiError> {
    let account = &caller.account;
    // attached as its applicant or as its agencies' staff: the token needs
    // the scope of that role (`dossiers`, `workbench`)
    let (_, actors) = flow::load_for(&state, account, &code).await?;
    require_any(&caller, &actors)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!(
                "a file is at most {} MiB: scan at a lower resolution or split it",
                dossier::MAX_ATTACHMENT_BYTES / (1024 * 1024)
            ))
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    let declared = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Ok(Json(
        flow::attach(&state, account, &code, &document, &q.name, declared, &body).await?,
    ))
}

/// `GET /api/v1/dossiers/{code}/attachments`
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/attachments",
    tag = "dossiers",
    params(("code" = String, Path, description = "The dossier's code", pattern = "^[A-Za-z0-9][A-Za-z0-9.]{0,31}-[0-9]{6}-[0-9]{4}$")),
    security(("bearer" = [])),
    responses((status = 200, description = "The files, by document: name, type, size, SHA-256", body = serde_json::Value))
)]
pub async fn attachments(
    State(state): State<AppState>,
    Path(code): Path<String>,
    caller: ApiPerson,
) -> Result<Json<Vec<records::StoredAttachment>>, ApiError> {
    let (stored, actors) = flow::load_for(&state, &caller.account, &code).await?;
    require_any(&caller, &actors)?;
    Ok(Json(
        records::attachments(&state, &stored.dossier.code)
            .await
            .map_err(FlowError::from)?,
    ))
}

/// `GET /api/v1/dossiers/{code}/attachments/{document}`: the file.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/attachments/{document}",
    tag = "dossiers",
    params(("code" = String, Path, description = "The dossier's code", pattern = "^[A-Za-z0-9][A-Za-z0-9.]{0,31}-[0-9]{6}-[0-9]{4}$"), ("document" = String, Path, description = "The document key", pattern = "^[a-z0-9][a-z0-9-]{0,63}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, as attached (its type as checked, to be saved)",
         content(("application/pdf"), ("image/jpeg"), ("image/png"))),
    )
)]
pub async fn attachment(
    State(state): State<AppState>,
    Path((code, document)): Path<(String, String)>,
    caller: ApiPerson,
) -> Result<Response, ApiError> {
    let (stored, actors) = flow::load_for(&state, &caller.account, &code).await?;
    require_any(&caller, &actors)?;
    let (meta, content) = records::attachment(&state, &stored.dossier.code, &document)
        .await
        .map_err(FlowError::from)?
        .ok_or_else(|| ApiError::NotFound(format!("dossier {code} has no file for {document}")))?;
    Ok(crate::reply::file_response(&meta, content))
}

/// The period and province of a scorecard.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScorecardQuery {
    /// The province's code (absent: the whole country).
    #[param(pattern = "^[0-9]{2}$", example = "79")]
    province: Option<String>,
    /// The first day (YYYY-MM-DD, Vietnam time).
    #[param(value_type = String, format = Date, required = true, example = "2026-03-01")]
    from: chrono::NaiveDate,
    /// The day after the last (YYYY-MM-DD), after `from`, at most ten
    /// years later.
    #[param(value_type = String, format = Date, required = true, example = "2026-04-01")]
    to: chrono::NaiveDate,
}

/// A scorecard with the figures behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScorecardView {
    /// The province, or `null` for the country.
    province: Option<String>,
    /// The period's first day.
    from: String,
    /// The day after its last.
    to: String,
    /// The counts.
    #[schema(value_type = Object)]
    figures: records::ServiceFigures,
    /// The index's groups, those measured here scored.
    #[schema(value_type = Object)]
    scorecard: dossier::Scorecard,
}

/// `GET /api/v1/scorecard?province=79&from=2026-03-01&to=2026-04-01`:
/// public, as the national portal publishes it.
#[utoipa::path(
    get,
    path = "/api/v1/scorecard",
    tag = "dossiers",
    params(ScorecardQuery),
    responses((status = 200, description = "The province's (or country's) figures and the Decision 766/QĐ-TTg groups measured from them", body = ScorecardView))
)]
pub async fn scorecard(
    State(state): State<AppState>,
    q: Result<axum::extract::Query<ScorecardQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ScorecardView>, ApiError> {
    let axum::extract::Query(q) = q.map_err(|e| {
        ApiError::BadRequest(format!(
            "{}; expected from=YYYY-MM-DD&to=YYYY-MM-DD",
            e.body_text()
        ))
    })?;
    if q.to <= q.from || (q.to - q.from).num_days() > 3660 {
        return Err(ApiError::BadRequest(
            "the period runs from `from` to the day before `to`, at most ten years".into(),
        ));
    }
    if let Some(p) = &q.province {
        domain::ProvinceCode::parse(p)?;
    }
    let start = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(calendar::VIETNAM).single())
            .map(|t| t.with_timezone(&chrono::Utc))
            .ok_or_else(|| ApiError::BadRequest(format!("{d} cannot be placed in time")))
    };
    let figures =
        records::service_figures(&state, q.province.as_deref(), start(q.from)?, start(q.to)?)
            .await
            .map_err(FlowError::from)?;
    let scorecard = dossier::Scorecard::of(dossier::ServiceCounts {
        processed: figures.processed,
        on_time: figures.on_time,
        rated: figures.rated,
        rating_sum: figures.rating_sum,
        filed: figures.filed,
        filed_online: figures.filed_online,
    });
    Ok(Json(ScorecardView {
        province: q.province,
        from: q.from.to_string(),
        to: q.to.to_string(),
        figures,
        scorecard,
    }))
}
