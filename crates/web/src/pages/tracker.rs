//! The data tracker page: every access to one person's data — who, when,
//! which fields, for what purpose and case — with a filter by period and
//! downloads (CSV, JSON).
//!
//! Behind the person's own eID log-in: a citizen sees only their own
//! data (`/du-lieu-cua-toi` goes to their page).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::NaiveDate;
use exchange::LogEntry;
use serde::Deserialize;

use crate::auth::query_encode;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::reply::see_other;
use crate::state::AppState;
use calendar::VIETNAM;

use crate::api::tracker::{self as api, Period};
use crate::auth::SignedIn;
use crate::error::ApiError;

/// The page's path (Vietnamese).
pub const PATH: &str = "/du-lieu-cua-toi";
/// The page's English alias.
pub const PATH_EN: &str = "/my-data";

/// The period as the form sends it (`YYYY-MM-DD`, Vietnam days).
#[derive(Debug, Default, Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// One access, ready to show.
pub struct Row {
    /// `dd/mm/yyyy HH:MM:SS`, Vietnam time
    pub when: String,
    /// RFC 3339 in UTC, for `<time datetime>`
    pub when_utc: String,
    /// the member who read, by name (its id when the node has no name)
    pub who: String,
    pub service: String,
    /// the fields read, in words
    pub fields: Vec<String>,
    pub purpose: String,
    /// the legal basis, or `On your consent`
    pub basis: String,
    /// The case in words: a dossier, or the form being filled.
    pub case_ref: String,
}

#[derive(askama::Template)]
#[template(path = "tracker.html")]
struct TrackerPage {
    l: Layout,
    t: Tr,
    pid: String,
    action: String,
    from: String,
    to: String,
    filtered: bool,
    count: String,
    rows: Vec<Row>,
    csv_href: String,
    json_href: String,
}

fn row(t: Tr, node: &api::Node, e: LogEntry) -> Row {
    let r = e.record;
    Row {
        when: r
            .at
            .with_timezone(&VIETNAM)
            .format("%d/%m/%Y %H:%M:%S")
            .to_string(),
        when_utc: r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        who: api::member_name(node, &r.consumer).unwrap_or_else(|| r.consumer.to_string()),
        service: t.tracker_service_name(&r.service),
        fields: r.fields.into_iter().map(|f| t.tracker_field(&f)).collect(),
        purpose: t.tracker_purpose(&r.purpose),
        basis: r
            .legal_basis
            .map_or_else(|| t.tracker_consent().to_string(), |b| t.tracker_basis(&b)),
        case_ref: r
            .case_ref
            .map_or_else(|| t.tracker_no_case().to_string(), |c| case_words(t, &c)),
    }
}

/// A case as its reader reads it: the form being filled by the
/// procedure's name, a dossier by its code.
fn case_words(t: Tr, case: &str) -> String {
    if let Some(code) = case.strip_prefix("draft ") {
        let name = crate::services::dossiers::flow::procedure(code)
            .map(|p| crate::pages::i18n::pick(t, &p.name_vi, &p.name_en).to_string())
            .unwrap_or_else(|_| code.to_string());
        return format!("{} {name}", t.tracker_draft());
    }
    if dossier::DossierCode::parse(case).is_ok() {
        return format!("{} {case}", t.tracker_dossier());
    }
    case.to_string()
}

/// A form value kept only when it is a day (what `<input type=date>` sends).
fn day(value: Option<&str>) -> String {
    value
        .map(str::trim)
        .filter(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
        .unwrap_or_default()
        .to_string()
}

/// `GET /du-lieu-cua-toi` (`/my-data`): the logged-in citizen's own page.
pub async fn own(ctx: Ctx, SignedIn { account, .. }: SignedIn) -> Result<Response, PageError> {
    match account.holder {
        identity::Holder::Citizen(c) => Ok(see_other(&format!("{PATH}/{}", c.pin()))),
        _ => Err(not_yours(ctx.t())),
    }
}

fn not_yours(t: Tr) -> PageError {
    PageError::message(
        StatusCode::FORBIDDEN,
        t.tracker_not_yours_title(),
        t.tracker_not_yours(),
    )
    .with_link("/tai-khoan", t.account_title())
}

/// `GET /du-lieu-cua-toi/{pid}[?from=&to=]` (and `/my-data/{pid}`), for
/// the citizen `pid` logged in.
pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    signed_in: Option<SignedIn>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<PeriodForm>, QueryRejection>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let bad_pid = || {
        PageError::message(
            StatusCode::BAD_REQUEST,
            t.tracker_bad_pid_title(),
            t.tracker_bad_pid(),
        )
    };
    let Ok(Path(raw)) = path else {
        return Err(bad_pid());
    };
    let Ok(person) = api::person_id(&raw) else {
        return Err(bad_pid());
    };
    match signed_in {
        Some(SignedIn { account, .. }) => match &account.holder {
            identity::Holder::Citizen(c) if c.pin().to_string() == person.as_str() => {}
            _ => return Err(not_yours(t)),
        },
        None => return Err(PageError::SignIn(page_href(&ctx, person.as_str()))),
    }
    let form = params.map(|Query(f)| f).unwrap_or_default();
    let period = match Period::parse(form.from.as_deref(), form.to.as_deref()) {
        Ok(p) => p,
        Err(_) => {
            return Err(PageError::message(
                StatusCode::BAD_REQUEST,
                t.tracker_bad_period_title(),
                t.tracker_bad_period(),
            )
            .with_link(page_href(&ctx, person.as_str()), t.tracker_clear()));
        }
    };
    let entries = match api::entries(&state, &person, period).await {
        Ok(e) => e,
        Err(e) => {
            let status = match e {
                ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::error!(error = %e, "reading the tracker");
            return Err(PageError::message(
                status,
                t.tracker_unavailable_title(),
                t.server_error_text(),
            ));
        }
    };
    let from = day(form.from.as_deref());
    let to = day(form.to.as_deref());
    let mut query = Vec::new();
    if !from.is_empty() {
        query.push(format!("from={}", query_encode(&from)));
    }
    if !to.is_empty() {
        query.push(format!("to={}", query_encode(&to)));
    }
    let api_href = |format: &str| {
        let mut q = query.clone();
        q.push(format!("format={format}"));
        format!("{}?{}", api::accesses_path(person.as_str()), q.join("&"))
    };
    let rows: Vec<Row> = entries
        .into_iter()
        .map(|e| row(t, &state.exchange, e))
        .collect();
    let page = TrackerPage {
        l: ctx.layout(t.tracker_title(), "account"),
        t,
        pid: person.to_string(),
        action: page_href(&ctx, person.as_str()),
        filtered: period != Period::default(),
        count: t.tracker_count(rows.len()),
        csv_href: api_href("csv"),
        json_href: api_href("json"),
        from,
        to,
        rows,
    };
    let mut res = html(&ctx, StatusCode::OK, &page);
    // a person's data: never cached, never indexed
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}

/// This page for `pid`, under the path it was asked by.
fn page_href(ctx: &Ctx, pid: &str) -> String {
    let base = if ctx.path.starts_with(PATH_EN) {
        PATH_EN
    } else {
        PATH
    };
    format!("{base}/{pid}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_days_are_kept_in_the_form() {
        assert_eq!(day(Some(" 2026-03-01 ")), "2026-03-01");
        assert_eq!(day(Some("2026-03-01T00:00:00Z")), "");
        assert_eq!(day(None), "");
    }
}
