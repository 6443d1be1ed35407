//! `GET /`: the portal's front door: find a procedure, the services
//! people use most, one's own dossiers, a dossier by its code, log in.

use axum::http::StatusCode;
use axum::response::Response;

use crate::pages::failure::PageError;
use crate::pages::i18n::{Tr, pick};
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::dossiers::flow;

/// A commonly used service as the home page offers it.
struct Featured {
    code: String,
    name: String,
    time_limit: String,
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    t: Tr,
    featured: Vec<Featured>,
    signed_in: bool,
}

pub async fn page(ctx: Ctx) -> Result<Response, PageError> {
    let t = ctx.t();
    let featured = flow::catalog()?
        .featured()
        .into_iter()
        .map(|p| Featured {
            code: p.code.clone(),
            name: pick(t, &p.name_vi, &p.name_en).to_string(),
            time_limit: pick(t, &p.time_limit_vi(), &p.time_limit_en()).to_string(),
        })
        .collect();
    let page = HomePage {
        l: ctx.layout(t.portal_name(), "home"),
        t,
        featured,
        signed_in: ctx.viewer().is_some(),
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}
