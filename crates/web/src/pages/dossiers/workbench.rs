//! The officers' workbench: the queues of their agencies' dossiers.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dossier::Role;
use serde::Deserialize;

use super::mine::{DossierRow, dossier_row};
use super::shared::{self, signed_in};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow;
use crate::services::dossiers::records;
use crate::state::AppState;

pub struct QueueView {
    pub agency: String,
    pub role: &'static str,
    pub rows: Vec<DossierRow>,
}

#[derive(askama::Template)]
#[template(path = "workbench.html")]
pub(super) struct WorkbenchPage {
    l: Layout,
    t: Tr,
    queues: Vec<QueueView>,
    all: bool,
}

/// `?tat-ca=1`: finished dossiers too.
#[derive(Debug, Deserialize, Default)]
pub struct WorkbenchParams {
    #[serde(rename = "tat-ca")]
    all: Option<String>,
}

/// `GET /can-bo` (`/workbench`): the queues of the officer's agencies.
pub async fn workbench(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<WorkbenchParams>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let account = signed_in(&state, &headers, "/can-bo").await?;
    let roles = flow::staff_roles(&state, &account).await?;
    let all = q.all.is_some();
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
            rows: rows
                .iter()
                .map(|s| dossier_row(t, &s.dossier, now))
                .collect(),
        });
    }
    let page = WorkbenchPage {
        l: ctx.layout(t.p_workbench(), "workbench"),
        t,
        queues,
        all,
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}
