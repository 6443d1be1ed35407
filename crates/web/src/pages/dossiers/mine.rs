//! "My dossiers": the applicant's dossiers and their notices.

use crate::auth::SignedIn;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use dossier::{Dossier, Urgency};

use super::shared::{person_id, pick, status_name, urgency_class, urgency_name, when};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::Stores as _;
use crate::services::backoffice::reported::{self, Reported};
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow;
use crate::services::dossiers::records;
use crate::state::AppState;

pub struct DossierRow {
    pub code: String,
    /// Its code on a closed provincial portal, when it came from one.
    pub old_code: String,
    /// Who filed it.
    pub applicant: String,
    pub procedure: String,
    pub status: &'static str,
    pub status_code: u8,
    pub submitted: String,
    pub due: String,
    pub urgency: &'static str,
    pub urgency_class: &'static str,
    pub assignee: String,
}

pub struct NoticeRow {
    pub when: String,
    pub text: String,
    pub dossier: String,
    pub new: bool,
}

#[derive(askama::Template)]
#[template(path = "my_dossiers.html")]
pub(super) struct MyPage {
    l: Layout,
    t: Tr,
    rows: Vec<DossierRow>,
    notices: Vec<NoticeRow>,
}

pub(super) fn dossier_row(t: Tr, d: &Dossier, now: DateTime<FixedOffset>) -> DossierRow {
    let procedure = flow::procedure(&d.procedure)
        .map(|p| pick(t, &p.name_vi, &p.name_en).to_string())
        .unwrap_or_else(|_| d.procedure.clone());
    let urgency = flow::working_calendar()
        .map(|c| d.urgency(&c, now))
        .unwrap_or(Urgency::None);
    DossierRow {
        code: d.code.to_string(),
        old_code: d
            .legacy
            .as_ref()
            .map(|l| l.code.clone())
            .unwrap_or_default(),
        applicant: d.applicant.name.clone(),
        procedure,
        status: status_name(t, d.status()),
        status_code: d.status().code(),
        submitted: when(&d.submitted_at),
        due: d.due.as_ref().map(when).unwrap_or_default(),
        urgency: urgency_name(t, urgency),
        urgency_class: urgency_class(urgency),
        assignee: d
            .assignee
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_default(),
    }
}

/// A dossier known here by what its back office reports: received at a
/// province's counter, or filed here and processed there.
pub(super) fn reported_row(t: Tr, r: &Reported) -> DossierRow {
    let procedure = r.catalogued().map_or_else(
        || r.procedure_name().to_string(),
        |p| pick(t, &p.name_vi, &p.name_en).to_string(),
    );
    let vn = |d: DateTime<FixedOffset>| when(&d.with_timezone(&calendar::VIETNAM));
    DossierRow {
        code: r.code.clone(),
        old_code: String::new(),
        applicant: r.applicant_name().to_string(),
        procedure,
        status: status_name(t, r.status),
        status_code: r.status.code(),
        submitted: r.submitted_at().map(vn).unwrap_or_default(),
        due: r.due().map(vn).unwrap_or_default(),
        urgency: "",
        urgency_class: "",
        assignee: String::new(),
    }
}

/// `GET /ho-so` (`/dossiers`)
pub async fn mine(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let filed = flow::dossiers_of(&state, &account).await?;
    // what the provinces' back offices report of this person's dossiers:
    // the status of those filed here and processed there, and those
    // received at a province's counter
    let reports = match person_id(&account) {
        Some(pin) => reported::of_person(state.stores(), &pin)
            .await
            .map_err(FlowError::from)?,
        None => Vec::new(),
    };
    let now = flow::now();
    let mut rows: Vec<(DateTime<FixedOffset>, DossierRow)> = filed
        .iter()
        .map(|s| {
            let mut row = dossier_row(t, &s.dossier, now);
            if let Some(r) = reports.iter().find(|r| r.code == row.code) {
                row.status = status_name(t, r.status);
                row.status_code = r.status.code();
            }
            (s.dossier.submitted_at, row)
        })
        .collect();
    let filed_codes: std::collections::HashSet<&str> =
        rows.iter().map(|(_, row)| row.code.as_str()).collect();
    let mut received = Vec::new();
    for r in &reports {
        if !filed_codes.contains(r.code.as_str()) {
            let at = r.submitted_at().unwrap_or_else(|| {
                r.updated_at
                    .with_timezone(&calendar::VIETNAM)
                    .fixed_offset()
            });
            received.push((at, reported_row(t, r)));
        }
    }
    rows.extend(received);
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.code.cmp(&a.1.code)));
    let mut notices = Vec::new();
    for subject in flow::applicant_subjects(&account) {
        notices.extend(records::notices(&state, &subject, 30).await?);
    }
    notices.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    notices.truncate(30);
    for n in &notices {
        if n.read_at.is_none()
            && let Err(e) =
                records::mark_notices_read(&state, &n.recipient, n.id, chrono::Utc::now()).await
        {
            tracing::warn!(error = %e, "marking notices read");
        }
    }
    let page = MyPage {
        l: ctx.layout(t.p_my_title(), "dossiers"),
        t,
        rows: rows.into_iter().map(|(_, row)| row).collect(),
        notices: notices
            .iter()
            .map(|n| NoticeRow {
                when: when(&n.created_at.with_timezone(&calendar::VIETNAM)),
                text: pick(t, &n.text_vi, &n.text_en).to_string(),
                dossier: n.dossier.clone(),
                new: n.read_at.is_none(),
            })
            .collect(),
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}
