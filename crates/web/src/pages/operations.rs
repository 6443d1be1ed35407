//! The operators' page: the back offices connected to this portal and how
//! each is doing (messages of the last day by verdict, the last one, the
//! quarantine, the messages waiting for their dossier), and what waits to
//! be sent to the national portal, with "send again now".
//!
//! An operator is a person on the staff of the operations agency:
//! `VANHANH.<province>` sees its province's back offices, `VANHANH` every
//! one (`motcua account staff --login PIN --agency VANHANH.08 --role officer`).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use crate::auth::SignedIn;
use crate::pages::csrf;
use crate::pages::dossiers::shared::agency;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page};
use crate::services::backoffice::status::{self, Failure, Operated, operated};
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow;
use crate::state::AppState;

/// The page's address.
pub const PATH: &str = "/van-hanh";
/// Its English address.
pub const PATH_EN: &str = "/operations";
/// Where "send again now" is posted.
pub const RETRY_PATH: &str = "/van-hanh/gui-lai";

/// A back office, as the page shows it.
pub struct OfficeRow {
    pub name: String,
    pub id: String,
    pub province: String,
    pub units: String,
    pub delivery: &'static str,
    pub last: String,
    /// No message for a day.
    pub silent: bool,
    pub applied: u64,
    pub refused: u64,
    pub quarantined: u64,
    pub waiting: u64,
    /// Dossiers filed here it has not taken yet.
    pub to_deliver: u64,
    /// Why the last push to it failed, in the page's language.
    pub delivery_failure: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "operations.html")]
struct OperationsPage {
    l: Layout,
    t: Tr,
    scope: String,
    offices: Vec<OfficeRow>,
    /// This node reports to an upstream portal.
    reports_upstream: bool,
    waiting: u64,
    failing: u64,
    oldest: String,
    /// The last failure, in the page's language.
    failure: &'static str,
    /// The sender's own words for it (English).
    last_error: String,
    alert: bool,
    notice: String,
    csrf: String,
}

/// `?gui-lai=N`: N dossiers were made due again.
#[derive(Debug, Deserialize, Default)]
pub struct OperationsParams {
    #[serde(rename = "gui-lai")]
    retried: Option<u64>,
}

async fn scope_of(
    ctx: &Ctx,
    state: &AppState,
    account: &flow::Account,
) -> Result<Operated, PageError> {
    let roles = match ctx.staff_roles() {
        Some(roles) => roles.to_vec(),
        None => flow::staff_roles(state, account).await?,
    };
    operated(&roles).ok_or_else(|| {
        PageError::Forbidden("the operators' page is for the staff of an operations agency".into())
    })
}

fn duration(t: Tr, d: std::time::Duration) -> String {
    let minutes = d.as_secs() / 60;
    if minutes < 60 {
        format!("{minutes} {}", t.p_minutes())
    } else if minutes < 48 * 60 {
        format!("{} {}", minutes / 60, t.p_hours())
    } else {
        format!("{} {}", minutes / (24 * 60), t.p_days())
    }
}

/// `GET /van-hanh` (`/operations`).
pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Query(q): Query<OperationsParams>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let scope = scope_of(&ctx, &state, &account).await?;
    let now = Utc::now();
    let units = units::Units::get();
    let offices = status::offices(&state, now)
        .await
        .map_err(FlowError::from)?
        .into_iter()
        .filter(|s| scope.sees(&s.office.office.province))
        .map(|s| {
            let o = &s.office.office;
            let count = |v: &str| s.received_24h.get(v).copied().unwrap_or(0);
            OfficeRow {
                name: o.name.clone(),
                id: o.id.clone(),
                province: units
                    .province(&o.province)
                    .map_or_else(|| o.province.clone(), |p| p.name.clone()),
                // by name where the unit is one of ours, by code otherwise
                units: o
                    .units
                    .iter()
                    .map(|u| match dossier::AgencyCode::parse(u) {
                        Ok(code) => agency(t, &code),
                        Err(_) => u.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                delivery: match o.delivery {
                    backoffice::Delivery::Push => t.p_delivery_push(),
                    backoffice::Delivery::Pull => t.p_delivery_pull(),
                },
                last: s.last_received.map_or_else(
                    || t.p_never().to_string(),
                    |at| {
                        format!(
                            "{} {}",
                            duration(t, (now - at).to_std().unwrap_or_default()),
                            t.p_ago()
                        )
                    },
                ),
                silent: s
                    .last_received
                    .is_none_or(|at| now - at > chrono::Duration::hours(24)),
                applied: count("applied") + count("duplicate") + count("stale"),
                refused: count("quarantined"),
                quarantined: s.quarantined,
                waiting: s.waiting,
                to_deliver: s.to_deliver.waiting,
                delivery_failure: s
                    .to_deliver
                    .last_error
                    .as_ref()
                    .map(|(e, _)| delivery_failure(t, e).to_string()),
            }
        })
        .collect();
    // what waits to be sent upstream, on a node that reports upstream
    let up = match state.upstream_alert {
        Some(after) => Some(
            status::upstream(&state, now, after)
                .await
                .map_err(FlowError::from)?,
        ),
        None => None,
    };
    let scope_text = match &scope {
        Operated::Nation => t.p_ops_nation().to_string(),
        Operated::Provinces(p) => p
            .iter()
            .map(|c| {
                units
                    .province(c)
                    .map_or_else(|| c.clone(), |p| p.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    let notice = q
        .retried
        .map(|n| format!("{} {n}", t.p_ops_retried()))
        .unwrap_or_default();
    let page = |csrf| OperationsPage {
        l: ctx.layout(t.p_ops_title(), "operations"),
        t,
        scope: scope_text,
        offices,
        reports_upstream: up.is_some(),
        waiting: up.as_ref().map_or(0, |u| u.waiting),
        failing: up.as_ref().map_or(0, |u| u.failing),
        oldest: up
            .as_ref()
            .and_then(|u| u.oldest_waiting)
            .map(|d| duration(t, d))
            .unwrap_or_default(),
        failure: up
            .as_ref()
            .and_then(|u| u.last_error.as_deref())
            .map(|e| match status::failure(e) {
                Failure::Timeout => t.p_ops_fail_timeout(),
                Failure::Unreachable => t.p_ops_fail_unreachable(),
                Failure::LogIn => t.p_ops_fail_login(),
                Failure::Refused | Failure::Held => t.p_ops_fail_refused(),
            })
            .unwrap_or_default(),
        last_error: up
            .as_ref()
            .and_then(|u| u.last_error.clone())
            .unwrap_or_default(),
        alert: up.as_ref().is_some_and(|u| u.alert),
        notice,
        csrf,
    };
    Ok(csrf_page(&ctx, StatusCode::OK, page, |res| res)?)
}

/// Why a push to a back office failed, for its operator.
fn delivery_failure(t: Tr, reason: &str) -> &'static str {
    match status::failure(reason) {
        Failure::Timeout => t.p_ops_deliver_fail_timeout(),
        Failure::Unreachable => t.p_ops_deliver_fail_unreachable(),
        Failure::LogIn | Failure::Refused => t.p_ops_deliver_fail_refused(),
        Failure::Held => t.p_ops_deliver_held(),
    }
}

/// The "send again now" form.
#[derive(Debug, Deserialize)]
pub struct RetryForm {
    csrf_token: Option<String>,
}

/// `POST /van-hanh/gui-lai`: every dossier waiting after a failure is
/// sent again now.
pub async fn retry(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Form(f): Form<RetryForm>,
) -> Result<Response, PageError> {
    if !ctx.csrf_ok(csrf::Check::Session, f.csrf_token.as_deref()) {
        return Err(crate::oidc::flow::expired_form(&ctx));
    }
    scope_of(&ctx, &state, &account).await?;
    let n = status::retry_now(&state).await.map_err(FlowError::from)?;
    tracing::info!(retried = n, by = %account.holder.subject(), "upstream sent again now");
    Ok(Redirect::to(&format!("{PATH}?gui-lai={n}")).into_response())
}
