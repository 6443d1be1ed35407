//! The result of a procedure: the document its applicant prints, with a QR
//! code that leads to its public verification page.

use crate::auth::SignedIn;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::shared::{agency, pick, when};
use super::show::{FormRow, form_rows};
use super::slips::{place_date, qr_svg};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::reply::see_other;
use crate::services::dossiers::{flow, records, result};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "result.html")]
struct ResultPage {
    l: Layout,
    t: Tr,
    code: String,
    /// What was issued (the procedure's result).
    title: String,
    procedure: String,
    agency: String,
    applicant: String,
    issued: String,
    place_date: String,
    rows: Vec<FormRow>,
    qr: String,
    verify_url: String,
}

/// `GET /ho-so/{code}/ket-qua`: the result issued (its applicant and its
/// agencies' staff); a refusal (at intake or as the result) is form 03.
pub async fn result(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (stored, _) = flow::load_for(&state, &account, &code).await?;
    let d = &stored.dossier;
    // a refusal, at intake or as the result, is form 03
    if d.refusal.is_some() {
        return Ok(see_other(&format!("/ho-so/{code}/phieu/03")));
    }
    let Some(issued) = result::issued(d) else {
        return Err(PageError::message(
            StatusCode::NOT_FOUND,
            t.p_result_none_title(),
            t.p_result_none(),
        )
        .with_link(format!("/ho-so/{code}"), t.p_back_to_dossier()));
    };
    let p = flow::procedure(&d.procedure)?;
    let seal = result::seal_of(&state, d, &issued);
    let verify_url = result::verify_url(state.oidc.issuer(), d, &seal);
    let qr = qr_svg(&verify_url).map_err(|e| PageError::internal("drawing a QR code", e))?;
    let page = ResultPage {
        l: ctx.layout(
            format!("{} — {}", pick(t, &p.name_vi, &p.name_en), d.code),
            "",
        ),
        t,
        code: d.code.to_string(),
        title: pick(t, &p.result_vi, &p.result_en).to_string(),
        procedure: pick(t, &p.name_vi, &p.name_en).to_string(),
        agency: agency(t, &issued.agency),
        applicant: d.applicant.name.clone(),
        issued: when(&issued.at),
        place_date: place_date(t, &issued.agency, issued.at.date_naive()),
        rows: form_rows(t, d, p),
        qr,
        verify_url,
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}

/// `?dau=…&khoa=…`: the seal printed in the QR code, and its key's id
/// (left out by papers printed before seals named their key).
#[derive(Debug, Deserialize, Default)]
pub struct SealParams {
    dau: Option<String>,
    khoa: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    l: Layout,
    t: Tr,
    code: String,
    procedure: String,
    agency: String,
    issued: String,
    rows: Vec<FormRow>,
}

/// `GET /xac-minh/{code}?dau=…&khoa=…`: anyone holding the paper checks
/// it: with the seal printed on it (by the key it names, or without a name
/// on papers printed before seals named their key), what the agency
/// issued; with any other, or for a dossier with no such result, that it
/// cannot be verified (whether the dossier exists is not said).
pub async fn verify(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<SealParams>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let refused = || {
        PageError::message(
            StatusCode::NOT_FOUND,
            t.p_verify_failed_title(),
            t.p_verify_failed(),
        )
    };
    let Ok(parsed) = dossier::DossierCode::parse(&code) else {
        return Err(refused());
    };
    let stored = records::dossier(&state, &parsed)
        .await
        .map_err(crate::services::dossiers::error::FlowError::from)?;
    let Some((stored, issued)) = stored.and_then(|s| result::issued(&s.dossier).map(|i| (s, i)))
    else {
        return Err(refused());
    };
    let d = &stored.dossier;
    let seal = q.dau.unwrap_or_default();
    if !result::verify(&state, d, &issued, &seal, q.khoa.as_deref()) {
        return Err(refused());
    }
    let p = flow::procedure(&d.procedure)?;
    let page = VerifyPage {
        l: ctx.layout(t.p_verify_title(), ""),
        t,
        code: d.code.to_string(),
        procedure: pick(t, &p.name_vi, &p.name_en).to_string(),
        agency: agency(t, &issued.agency),
        issued: when(&issued.at),
        rows: form_rows(t, d, p),
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}
