//! The public look-up of a dossier by its code.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dossier::DossierCode;
use serde::Deserialize;

use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::dossiers::records;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "dossier_lookup.html")]
pub(super) struct LookupPage {
    l: Layout,
    t: Tr,
    code: String,
    found: Option<crate::api::dossiers::PublicDossier>,
    missing: bool,
}

/// The code asked for.
#[derive(Debug, Deserialize, Default)]
pub struct LookupParams {
    ma: Option<String>,
}

/// `GET /tra-cuu-ho-so?ma=CODE`: anyone, minimal data.
pub async fn lookup(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<LookupParams>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let code = q.ma.unwrap_or_default().trim().to_uppercase();
    let mut found = None;
    let mut missing = false;
    if !code.is_empty() {
        match DossierCode::parse(&code) {
            Ok(parsed) => match records::dossier(&state, &parsed).await? {
                Some(s) => found = Some(crate::api::dossiers::public_view(&s.dossier)),
                None => missing = true,
            },
            Err(_) => missing = true,
        }
    }
    let status = if missing {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let page = LookupPage {
        l: ctx.layout(t.p_lookup_title(), "lookup"),
        t,
        code,
        found,
        missing,
    };
    Ok(html(&ctx, status, &page))
}
