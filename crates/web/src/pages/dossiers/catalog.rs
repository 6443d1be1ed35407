//! The catalog of procedures and its search, and a procedure's page.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use dossier::Procedure;
use serde::Deserialize;

use super::shared::{money, pick};
use crate::pages::failure::PageError;
use crate::pages::i18n::{Lang, Tr};
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::dossiers::flow;

pub struct ProcedureRow {
    pub code: String,
    pub name: String,
    pub field: String,
    pub level: &'static str,
    pub time_limit: String,
}

#[derive(askama::Template)]
#[template(path = "procedures.html")]
pub(super) struct CatalogPage {
    l: Layout,
    t: Tr,
    q: String,
    rows: Vec<ProcedureRow>,
}

/// The search.
#[derive(Debug, Deserialize, Default)]
pub struct SearchParams {
    q: Option<String>,
}

/// `GET /thu-tuc` (`/procedures`)
pub async fn catalog(ctx: Ctx, Query(p): Query<SearchParams>) -> Result<Response, PageError> {
    let t = ctx.t();
    let catalog = flow::catalog()?;
    let q = p.q.unwrap_or_default();
    let rows = catalog
        .search(&q)
        .into_iter()
        .map(|p| ProcedureRow {
            code: p.code.clone(),
            name: pick(t, &p.name_vi, &p.name_en).to_string(),
            field: pick(t, &p.field_vi, &p.field_en).to_string(),
            level: pick(t, p.level.name_vi(), p.level.name_en()),
            time_limit: pick(t, &p.time_limit_vi(), &p.time_limit_en()).to_string(),
        })
        .collect();
    let page = CatalogPage {
        l: ctx.layout(t.p_catalog_title(), "procedures"),
        t,
        q,
        rows,
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}

pub struct FeeRow {
    pub name: String,
    pub amount: String,
    pub note: String,
}

pub struct DocRow {
    pub name: String,
    pub required: bool,
    pub held: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "procedure.html")]
pub(super) struct ProcedurePage {
    l: Layout,
    t: Tr,
    code: String,
    name: String,
    field: String,
    level: &'static str,
    authority: String,
    time_limit: String,
    cutoff: String,
    fees: Vec<FeeRow>,
    exemptions: Vec<String>,
    documents: Vec<DocRow>,
    result: String,
    legal_basis: Vec<String>,
    sources: Vec<String>,
    note: String,
}

pub(super) fn fee_rows(t: Tr, p: &Procedure) -> Vec<FeeRow> {
    p.fees
        .iter()
        .map(|f| {
            let amount = match (f.amount_vnd, f.online_amount_vnd) {
                (None, _) => t.p_fee_by_province().to_string(),
                (Some(a), Some(o)) if o != a => {
                    format!("{} ({}: {})", money(t, a), t.p_online(), money(t, o))
                }
                (Some(a), _) => money(t, a),
            };
            FeeRow {
                name: pick(t, &f.name_vi, &f.name_en).to_string(),
                amount,
                note: pick(
                    t,
                    f.note_vi.as_deref().unwrap_or_default(),
                    f.note_en.as_deref().unwrap_or_default(),
                )
                .to_string(),
            }
        })
        .collect()
}

/// `GET /thu-tuc/{code}`
pub async fn procedure(ctx: Ctx, Path(code): Path<String>) -> Result<Response, PageError> {
    let t = ctx.t();
    let p = flow::procedure(&code)?;
    let page = ProcedurePage {
        l: ctx.layout(pick(t, &p.name_vi, &p.name_en), "procedures"),
        t,
        code: p.code.clone(),
        name: pick(t, &p.name_vi, &p.name_en).to_string(),
        field: pick(t, &p.field_vi, &p.field_en).to_string(),
        level: pick(t, p.level.name_vi(), p.level.name_en()),
        authority: pick(t, &p.authority_vi, &p.authority_en).to_string(),
        time_limit: pick(t, &p.time_limit_vi(), &p.time_limit_en()).to_string(),
        cutoff: p
            .cutoff
            .map(|c| c.format("%H:%M").to_string())
            .unwrap_or_default(),
        fees: fee_rows(t, p),
        exemptions: match t.0 {
            Lang::Vi => p.exemptions_vi.clone(),
            Lang::En => p.exemptions_en.clone(),
        },
        documents: p
            .documents
            .iter()
            .map(|d| DocRow {
                name: pick(t, &d.name_vi, &d.name_en).to_string(),
                required: d.required,
                held: d
                    .held_by_state
                    .map(|h| pick(t, h.name_vi(), h.name_en()).to_string()),
            })
            .collect(),
        result: pick(t, &p.result_vi, &p.result_en).to_string(),
        legal_basis: p.legal_basis.clone(),
        sources: p.sources.clone(),
        note: pick(
            t,
            p.note_vi.as_deref().unwrap_or_default(),
            p.note_en.as_deref().unwrap_or_default(),
        )
        .to_string(),
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}
