//! `GET /`: the portal's home page.

use axum::http::StatusCode;
use axum::response::Response;

use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    t: Tr,
}

pub async fn page(ctx: Ctx) -> Response {
    let t = ctx.t();
    let page = HomePage {
        l: ctx.layout(t.portal_name(), "home"),
        t,
    };
    html(&ctx, StatusCode::OK, &page)
}
