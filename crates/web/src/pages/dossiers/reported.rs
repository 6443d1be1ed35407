//! What a province's back office reports of a dossier, on its page: the
//! office handling it, when it last reported, and the steps it reported;
//! and the page of a dossier known here only by those reports (received
//! at a province's counter), for its applicant.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset};

use super::mine::{DossierRow, reported_row};
use super::shared::{agency, person_id, status_name, when};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::Stores as _;
use crate::services::backoffice::reported::{self, Reported};
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow::Account;
use crate::state::AppState;

/// A reported step, as shown.
pub struct ReportedStepRow {
    pub when: String,
    pub when_iso: String,
    pub content: String,
    pub status: &'static str,
    pub department: String,
}

/// What the back office reported, as shown.
pub struct ReportedView {
    /// The office handling it, by name.
    pub unit: String,
    pub updated: String,
    pub updated_iso: String,
    /// Whether it is handled there, past what this portal's record says
    /// (its acts are then the office's, not this page's).
    pub elsewhere: bool,
    pub steps: Vec<ReportedStepRow>,
}

fn vn(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_timezone(&calendar::VIETNAM)
}

/// The view of `r`, with its steps; `elsewhere` when the office's status
/// is past this portal's record.
pub(super) async fn view(
    state: &AppState,
    t: Tr,
    r: &Reported,
    elsewhere: bool,
) -> Result<ReportedView, FlowError> {
    let steps = reported::steps(state.stores(), &r.code).await?;
    let unit = match dossier::AgencyCode::parse(&r.unit) {
        Ok(code) if dossier::agency_name(&code).is_some() => agency(t, &code),
        _ if !r.handled_by().trim().is_empty() => r.handled_by().trim().to_string(),
        _ => r.unit.clone(),
    };
    let updated = vn(r.updated_at.fixed_offset());
    Ok(ReportedView {
        unit,
        updated: when(&updated),
        updated_iso: updated.to_rfc3339(),
        elsewhere,
        steps: steps
            .into_iter()
            .map(|s| ReportedStepRow {
                when: when(&vn(s.at)),
                when_iso: s.at.to_rfc3339(),
                content: s.content,
                status: status_name(t, s.status),
                department: s.department,
            })
            .collect(),
    })
}

#[derive(askama::Template)]
#[template(path = "dossier_reported.html")]
struct ReportedPage {
    l: Layout,
    t: Tr,
    row: DossierRow,
    rep: ReportedView,
}

/// The page of `code` known only by what its back office reports, for
/// its applicant; `None` when it is not one, or not theirs (which is not
/// told apart, so that nobody learns whose codes exist).
pub(super) async fn page(
    state: &AppState,
    ctx: &Ctx,
    account: &Account,
    code: &str,
) -> Result<Option<Response>, PageError> {
    let Some(pin) = person_id(account) else {
        return Ok(None);
    };
    let Some(r) = reported::of_code(state.stores(), code.trim())
        .await
        .map_err(FlowError::from)?
        .filter(|r| r.is_of(&pin))
    else {
        return Ok(None);
    };
    let t = ctx.t();
    let row = reported_row(t, &r);
    let page = ReportedPage {
        l: ctx.layout(format!("{} {}", t.p_code(), r.code), "dossiers"),
        t,
        rep: view(state, t, &r, true).await?,
        row,
    };
    Ok(Some(html(ctx, StatusCode::OK, &page)))
}
