//! The public look-up of a dossier by its code.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "dossier_lookup.html")]
pub(super) struct LookupPage {
    l: Layout,
    t: Tr,
    code: String,
    found: Vec<crate::api::dossiers::PublicDossier>,
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
    let code = q.ma.unwrap_or_default().trim().to_string();
    let mut found = Vec::new();
    let mut missing = false;
    if !code.is_empty() {
        // a code of this portal, or of a closed provincial one
        found = crate::api::dossiers::public_found(&state, &code).await?;
        missing = found.is_empty();
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
