//! The officers' workbench: the queues of their agencies' dossiers.

use crate::auth::SignedIn;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Redirect, Response};
use dossier::Role;
use serde::Deserialize;

use super::mine::{DossierRow, dossier_row};
use super::shared;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::Stores as _;
use crate::services::cutover::{self, Leads};
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow;
use crate::services::dossiers::records;
use crate::state::AppState;

pub struct QueueView {
    pub agency: String,
    pub role: &'static str,
    /// The dossiers the filter lets through.
    pub rows: Vec<DossierRow>,
    /// All the queue's dossiers, before the filter.
    pub total: usize,
    /// Each filter with how many of the queue's dossiers it keeps.
    pub filters: Vec<FilterLink>,
}

/// A filter of the queues, as a link with its count.
pub struct FilterLink {
    pub label: &'static str,
    pub href: String,
    pub count: usize,
    /// It is the filter applied.
    pub current: bool,
}

/// Which of a queue's dossiers to show: by status (`?trang-thai=4`) or by
/// how close their appointment is (`?han=qua-han`, `?han=sap-den-han`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Status(u8),
    Overdue,
    DueSoon,
}

impl Filter {
    fn keeps(self, r: &DossierRow) -> bool {
        match self {
            Filter::All => true,
            Filter::Status(code) => r.status_code == code,
            Filter::Overdue => r.urgency_class == "overdue",
            Filter::DueSoon => r.urgency_class == "due-soon",
        }
    }

    fn query(self, all: bool) -> String {
        let mut q = Vec::new();
        if all {
            q.push("tat-ca=1".to_string());
        }
        match self {
            Filter::All => {}
            Filter::Status(code) => q.push(format!("trang-thai={code}")),
            Filter::Overdue => q.push("han=qua-han".into()),
            Filter::DueSoon => q.push("han=sap-den-han".into()),
        }
        if q.is_empty() {
            "/can-bo".into()
        } else {
            format!("/can-bo?{}", q.join("&"))
        }
    }
}

/// The filters offered for `rows` (every status present, and the
/// appointments near or past), each with its count.
fn filters(t: Tr, rows: &[DossierRow], applied: Filter, all: bool) -> Vec<FilterLink> {
    let mut offered = vec![(t.p_filter_all(), Filter::All)];
    let mut statuses: Vec<(u8, &'static str)> =
        rows.iter().map(|r| (r.status_code, r.status)).collect();
    statuses.sort_unstable();
    statuses.dedup();
    offered.extend(
        statuses
            .into_iter()
            .map(|(code, name)| (name, Filter::Status(code))),
    );
    offered.push((t.p_overdue(), Filter::Overdue));
    offered.push((t.p_due_soon(), Filter::DueSoon));
    offered
        .into_iter()
        .map(|(label, f)| FilterLink {
            label,
            href: f.query(all),
            count: rows.iter().filter(|r| f.keeps(r)).count(),
            current: f == applied,
        })
        .filter(|l| l.count > 0 || l.current)
        .collect()
}

#[derive(askama::Template)]
#[template(path = "workbench.html")]
pub(super) struct WorkbenchPage {
    l: Layout,
    t: Tr,
    queues: Vec<QueueView>,
    all: bool,
    /// The code asked for.
    wanted: String,
    /// No dossier has it.
    not_found: bool,
}

/// `?tat-ca=1`: finished dossiers too; `?trang-thai=4` or `?han=qua-han`:
/// only those.
#[derive(Debug, Deserialize, Default)]
pub struct WorkbenchParams {
    #[serde(rename = "tat-ca")]
    all: Option<String>,
    #[serde(rename = "trang-thai")]
    status: Option<u8>,
    #[serde(rename = "han")]
    due: Option<String>,
    /// A code to find, new or former.
    ma: Option<String>,
}

/// `GET /can-bo` (`/workbench`): the queues of the officer's agencies.
pub async fn workbench(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Query(q): Query<WorkbenchParams>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    // as the header read them, else read now
    let roles = match ctx.staff_roles() {
        Some(roles) => roles.to_vec(),
        None => flow::staff_roles(&state, &account).await?,
    };
    let wanted = q.ma.as_deref().map(str::trim).unwrap_or_default();
    let mut not_found = false;
    if !wanted.is_empty() {
        match cutover::leads(state.stores(), wanted).await? {
            Leads::Here(code) | Leads::To(code) => {
                return Ok(Redirect::to(&format!("/ho-so/{code}")).into_response());
            }
            Leads::Several => {
                let query = serde_urlencoded::to_string([("ma", wanted)]).unwrap_or_default();
                return Ok(Redirect::to(&format!("/tra-cuu-ho-so?{query}")).into_response());
            }
            Leads::Nowhere => not_found = true,
        }
    }
    let all = q.all.is_some();
    let filter = match (q.status, q.due.as_deref()) {
        (Some(code), _) => Filter::Status(code),
        (None, Some("qua-han")) => Filter::Overdue,
        (None, Some("sap-den-han")) => Filter::DueSoon,
        _ => Filter::All,
    };
    let now = flow::now();
    let mut queues = Vec::new();
    for (agency, role) in roles {
        let rows = records::agency_queue(&state, &agency, !all, 500)
            .await
            .map_err(FlowError::from)?;
        queues.push(QueueView {
            agency: shared::agency(t, &agency),
            role: if role == Role::Leader {
                t.p_role_leader()
            } else {
                t.p_role_officer()
            },
            total: rows.len(),
            filters: Vec::new(),
            rows: rows
                .iter()
                .map(|s| dossier_row(t, &s.dossier, now))
                .collect(),
        });
        if let Some(q) = queues.last_mut() {
            q.filters = filters(t, &q.rows, filter, all);
            q.rows.retain(|r| filter.keeps(r));
        }
    }
    let page = WorkbenchPage {
        l: ctx.layout(t.p_workbench(), "workbench"),
        t,
        queues,
        all,
        wanted: wanted.to_string(),
        not_found,
    };
    let status = if not_found {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok(html(&ctx, status, &page))
}
