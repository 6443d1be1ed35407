//! `/api/v1/registry/people/{pid}/accesses`: the data tracker. Every logged
//! access to one person's data — which member, when, which fields, for what
//! purpose, under which legal basis and case — newest first, as JSON or as
//! a CSV download.
//!
//! Until the eID issue puts the person's own log-in in front of it, this is
//! an operator API: it serves the registry's operators, not the public.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use domain::PersonalId;
use exchange::{LogEntry, MemberId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::PersonOrOperator;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::services::tracker;
use crate::state::AppState;

/// The route of the tracker API (axum syntax).
pub const ROUTE: &str = "/api/v1/registry/people/{pid}/accesses";

/// The tracker API's path for one person.
pub fn accesses_path(pid: &str) -> String {
    format!("/api/v1/registry/people/{pid}/accesses")
}

/// The tracker's routes, with their full paths.
pub fn router() -> Router<AppState> {
    Router::new().route(ROUTE, get(accesses))
}

/// A member of the exchange, with its name when the node knows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberRef {
    /// The member id (`INSTANCE/CLASS/CODE[/SUBSYSTEM]`).
    #[schema(example = "VN/GOV/000.00.00.H29/hcc")]
    pub id: String,
    /// The member's official name, when known.
    #[schema(example = "Trung tâm Phục vụ hành chính công tỉnh")]
    pub name: Option<String>,
}

/// One access to the person's data, as the message log recorded it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Access {
    /// The log entry's sequence number.
    #[schema(example = 1042)]
    pub seq: u64,
    /// When, in UTC (RFC 3339).
    #[schema(example = "2026-03-01T01:00:01.123456789Z")]
    pub at_utc: String,
    /// When, in Vietnam's time (`Asia/Ho_Chi_Minh`, UTC+07:00, RFC 3339).
    #[schema(example = "2026-03-01T08:00:01.123456789+07:00")]
    pub at_local: String,
    /// Who read the data.
    pub consumer: MemberRef,
    /// Who served it.
    pub provider: MemberRef,
    /// The service called.
    #[schema(example = "person.get")]
    pub service: String,
    /// The fields returned.
    #[schema(example = json!(["full_name", "birth_date"]))]
    pub fields: Vec<String>,
    /// The purpose named in the request.
    #[schema(example = "birth-registration")]
    pub purpose: String,
    /// The legal basis named, or `null` when the person's consent was
    /// relied on.
    #[schema(example = "ND-63/2024")]
    pub legal_basis: Option<String>,
    /// The case (e.g. a dossier code) the request was made for.
    #[schema(example = "H29.22-260301-0001")]
    pub case_ref: Option<String>,
}

/// Every access to one person's data in a period, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessList {
    /// The person.
    #[schema(example = "001190000001")]
    pub person_id: String,
    /// The period's start (inclusive, UTC), when one was given.
    pub from: Option<String>,
    /// The period's end (exclusive, UTC), when one was given.
    pub to: Option<String>,
    /// How many accesses are listed.
    #[schema(example = 1)]
    pub count: usize,
    /// The accesses, newest first.
    pub accesses: Vec<Access>,
}

/// The period and the format.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessParams {
    /// The period's start: a day (`2026-03-01`, from 00:00 Vietnam time) or
    /// an instant (RFC 3339). Inclusive.
    #[param(example = "2026-03-01")]
    pub from: Option<String>,
    /// The period's end: a day (`2026-03-31`, up to the end of that day in
    /// Vietnam time) or an instant (RFC 3339, exclusive).
    #[param(example = "2026-03-31")]
    pub to: Option<String>,
    /// `json` (the default) or `csv` (a download); `Accept: text/csv`
    /// asks for CSV too.
    #[param(example = "csv")]
    pub format: Option<String>,
}

/// A validated period: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Which end of the period a bound is.
#[derive(Clone, Copy)]
enum Bound {
    From,
    To,
}

fn parse_bound(name: &str, raw: &str, bound: Bound) -> Result<Option<DateTime<Utc>>, ApiError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = match bound {
            Bound::From => Some(day),
            Bound::To => day.succ_opt(),
        };
        let start = day
            .map(|d| d.and_time(NaiveTime::MIN))
            .and_then(|t| calendar::VIETNAM.from_local_datetime(&t).single());
        return match start {
            Some(t) => Ok(Some(t.with_timezone(&Utc))),
            None => Err(ApiError::BadRequest(format!(
                "`{name}` {s:?} is out of range"
            ))),
        };
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            ApiError::BadRequest(format!(
                "`{name}` must be a day (YYYY-MM-DD) or an instant (RFC 3339, e.g. \
                 2026-03-01T08:00:00+07:00); {s:?} is neither ({e})"
            ))
        })
}

impl Period {
    /// Reads `from` and `to`, each a day (Vietnam time) or an instant.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
        let from = from
            .map(|s| parse_bound("from", s, Bound::From))
            .transpose()?
            .flatten();
        let to = to
            .map(|s| parse_bound("to", s, Bound::To))
            .transpose()?
            .flatten();
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(ApiError::BadRequest(
                "`from` is not before `to`: the period is empty".to_string(),
            ));
        }
        Ok(Period { from, to })
    }
}

/// Reads a personal identification number from a path, as a 400 with the
/// reason when malformed.
pub fn person_id(raw: &str) -> Result<PersonalId, ApiError> {
    PersonalId::parse(raw).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The exchange node (it knows the members).
pub type Node = crate::services::exchange::node::ExchangeNode;

/// The name of a member, when this node knows it.
pub fn member_name(node: &Node, id: &MemberId) -> Option<String> {
    node.policy.member(id).map(|m| m.name.clone())
}

fn member_ref(node: &Node, id: &MemberId) -> MemberRef {
    MemberRef {
        id: id.to_string(),
        name: member_name(node, id),
    }
}

fn access(node: &Node, e: LogEntry) -> Access {
    let r = e.record;
    Access {
        seq: e.seq,
        at_utc: r.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        at_local: r
            .at
            .with_timezone(&calendar::VIETNAM)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        consumer: member_ref(node, &r.consumer),
        provider: member_ref(node, &r.provider),
        service: r.service,
        fields: r.fields,
        purpose: r.purpose,
        legal_basis: r.legal_basis,
        case_ref: r.case_ref,
    }
}

/// The log entries of every access to `person` in `period`, newest first.
pub async fn entries(
    state: &AppState,
    person: &PersonalId,
    period: Period,
) -> Result<Vec<LogEntry>, ApiError> {
    let mut entries = tracker::accesses_to(
        state,
        person.as_str(),
        period.from.unwrap_or(DateTime::<Utc>::MIN_UTC),
        period.to.unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
    .await
    .map_err(|e| ApiError::Unavailable(format!("the message log cannot be read: {e}")))?;
    entries.sort_by_key(|e| std::cmp::Reverse((e.record.at, e.seq)));
    Ok(entries)
}

/// Every access to `person` in `period`, newest first.
pub async fn list(
    state: &AppState,
    node: &Node,
    person: &PersonalId,
    period: Period,
) -> Result<AccessList, ApiError> {
    let entries = entries(state, person, period).await?;
    let accesses: Vec<Access> = entries.into_iter().map(|e| access(node, e)).collect();
    let show = |t: Option<DateTime<Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    };
    Ok(AccessList {
        person_id: person.to_string(),
        from: show(period.from),
        to: show(period.to),
        count: accesses.len(),
        accesses,
    })
}

/// One CSV cell: quoted, and defused against spreadsheet formulas.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The CSV columns.
pub const CSV_HEADER: [&str; 13] = [
    "seq",
    "time_utc",
    "time_vietnam",
    "consumer_id",
    "consumer_name",
    "provider_id",
    "provider_name",
    "service",
    "fields",
    "purpose",
    "legal_basis",
    "case_ref",
    "person_id",
];

/// The list as CSV (UTF-8, CRLF, fields joined by `;`).
pub fn to_csv(list: &AccessList) -> String {
    let mut out = String::with_capacity(256 * (list.accesses.len() + 1));
    out.push_str(&CSV_HEADER.map(cell).join(","));
    out.push_str("\r\n");
    for a in &list.accesses {
        let row = [
            cell(&a.seq.to_string()),
            cell(&a.at_utc),
            cell(&a.at_local),
            cell(&a.consumer.id),
            cell(a.consumer.name.as_deref().unwrap_or_default()),
            cell(&a.provider.id),
            cell(a.provider.name.as_deref().unwrap_or_default()),
            cell(&a.service),
            cell(&a.fields.join(";")),
            cell(&a.purpose),
            cell(a.legal_basis.as_deref().unwrap_or_default()),
            cell(a.case_ref.as_deref().unwrap_or_default()),
            cell(&list.person_id),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A download: `body` with its content type and a file name.
pub fn download(body: String, content_type: &'static str, filename: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The download's file name: `truy-cap-du-lieu-PID[-FROM_TO].EXT`.
pub fn filename(person: &PersonalId, period: Period, ext: &str) -> String {
    // the days of the period in Vietnam time (`to` is exclusive)
    let day = |t: DateTime<Utc>| t.with_timezone(&calendar::VIETNAM).date_naive().to_string();
    let from = period.from.map(day);
    let to = period.to.map(|t| day(t - chrono::Duration::nanoseconds(1)));
    match (from, to) {
        (None, None) => format!("truy-cap-du-lieu-{person}.{ext}"),
        (f, t) => format!(
            "truy-cap-du-lieu-{person}-{}_{}.{ext}",
            f.unwrap_or_default(),
            t.unwrap_or_default()
        ),
    }
}

/// Whether CSV was asked for, by `?format=` or `Accept`.
fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format.map(|f| f.trim().to_ascii_lowercase()).as_deref() {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some("") | None => {}
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "`format` must be `json` or `csv`, not {other:?}"
            )));
        }
    }
    Ok(headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
        }))
}

/// Every access to a person's data, newest first (operator API).
///
/// Lists what the exchange's message log recorded about each read of the
/// person's data: which member read it, when, which fields, for what
/// purpose, under which legal basis and for which case: for the person
/// (logged in on the portal) and for operators' systems (an `admin` token).
#[utoipa::path(
    get,
    path = "/api/v1/registry/people/{pid}/accesses",
    tag = "tracker",
    params(
        ("pid" = String, Path, description = "The person's 12-digit personal identification number", example = "001190000001"),
        AccessParams,
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The accesses, newest first; `text/csv` with `?format=csv` or `Accept: text/csv`",
            content(
                (AccessList = "application/json"),
                (String = "text/csv"),
            )),
    )
)]
pub async fn accesses(
    State(state): State<AppState>,
    caller: PersonOrOperator,
    Path(pid): Path<String>,
    Query(params): Query<AccessParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let person = person_id(&pid)?;
    caller.for_person(person.as_str())?;
    let period = Period::parse(params.from.as_deref(), params.to.as_deref())?;
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    let list = list(&state, &state.exchange, &person, period).await?;
    if csv {
        let name = filename(&person, period, "csv");
        return Ok(download(to_csv(&list), "text/csv; charset=utf-8", &name));
    }
    // shown inline, but saved under a file name (the page's JSON download)
    let disposition = format!("inline; filename=\"{}\"", filename(&person, period, "json"));
    let mut res = Json(list).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_vietnam_days_and_to_is_inclusive() {
        let p = Period::parse(Some("2026-03-01"), Some("2026-03-01")).expect("a period");
        assert_eq!(
            p.from.map(|t| t.to_rfc3339()),
            Some("2026-02-28T17:00:00+00:00".to_string())
        );
        assert_eq!(
            p.to.map(|t| t.to_rfc3339()),
            Some("2026-03-01T17:00:00+00:00".to_string())
        );
        let p = Period::parse(Some("2026-03-01T08:00:00+07:00"), None).expect("a period");
        assert_eq!(
            p.from.map(|t| t.to_rfc3339()),
            Some("2026-03-01T01:00:00+00:00".to_string())
        );
        assert_eq!(
            Period::parse(Some(""), Some(" ")).ok(),
            Some(Period::default())
        );
    }

    #[test]
    fn bad_periods_are_refused() {
        assert!(Period::parse(Some("yesterday"), None).is_err());
        assert!(Period::parse(Some("2026-03-02"), Some("2026-03-01")).is_err());
    }

    #[test]
    fn file_names_carry_the_vietnam_days() {
        let pid = PersonalId::parse("001190000001").expect("a pid");
        let p = Period::parse(Some("2026-03-01"), Some("2026-03-31")).expect("a period");
        assert_eq!(
            filename(&pid, p, "csv"),
            "truy-cap-du-lieu-001190000001-2026-03-01_2026-03-31.csv"
        );
        assert_eq!(
            filename(&pid, Period::default(), "json"),
            "truy-cap-du-lieu-001190000001.json"
        );
    }

    #[test]
    fn csv_is_asked_by_format_or_accept() {
        let mut h = HeaderMap::new();
        assert_eq!(wants_csv(None, &h).ok(), Some(false));
        assert_eq!(wants_csv(Some("CSV"), &h).ok(), Some(true));
        assert!(wants_csv(Some("xml"), &h).is_err());
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json;q=0.5, text/csv"),
        );
        assert_eq!(wants_csv(None, &h).ok(), Some(true));
        assert_eq!(wants_csv(Some("json"), &h).ok(), Some(false));
    }

    #[test]
    fn the_openapi_description_renders() {
        use crate::api::problems::Problems;
        use crate::error::Problem;
        use utoipa::OpenApi;

        #[derive(OpenApi)]
        #[openapi(
            paths(accesses),
            modifiers(&Problems),
            components(schemas(AccessList, Access, MemberRef, Problem))
        )]
        struct Doc;
        let doc = serde_json::to_value(Doc::openapi()).unwrap_or_default();
        let op = &doc["paths"]["/api/v1/registry/people/{pid}/accesses"]["get"];
        assert!(op.is_object(), "{doc}");
        assert!(
            op["responses"]["200"]["content"]["text/csv"].is_object(),
            "{op}"
        );
        assert!(op["responses"]["400"].is_object(), "{op}");
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
    }
}
