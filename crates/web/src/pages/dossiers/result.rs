//! The result of a procedure: the document its applicant prints, with a QR
//! code that leads to its public verification page.

use crate::auth::SignedIn;
use axum::extract::{MatchedPath, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::shared::{agency, pick, when};
use super::show::{FormRow, form_rows};
use super::slips::{place_date, qr_modules, qr_svg, refusal_paper};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::reply::{download, see_other};
use crate::services::dossiers::{flow, records, result};
use crate::state::AppState;

/// What was issued, as the result page shows it and its PDF prints it.
struct Issue {
    code: String,
    /// What was issued (the procedure's result).
    title: String,
    procedure: String,
    agency: String,
    applicant: String,
    issued: String,
    place_date: String,
    rows: Vec<FormRow>,
    verify_url: String,
    /// Who approved it, for the agency.
    signer: String,
}

impl Issue {
    fn of(
        state: &AppState,
        t: Tr,
        d: &dossier::Dossier,
        p: &dossier::Procedure,
        issued: &result::Issued,
    ) -> Issue {
        let seal = result::seal_of(state, d, issued);
        Issue {
            code: d.code.to_string(),
            title: pick(t, &p.result_vi, &p.result_en).to_string(),
            procedure: pick(t, &p.name_vi, &p.name_en).to_string(),
            agency: agency(t, &issued.agency),
            applicant: d.applicant.name.clone(),
            issued: when(&issued.at),
            place_date: place_date(t, &issued.agency, issued.at.date_naive()),
            rows: form_rows(t, d, p),
            verify_url: result::verify_url(state.oidc.issuer(), d, &seal),
            signer: d
                .control
                .iter()
                .rev()
                .find(|c| c.act == "approve")
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        }
    }

    /// The result as a paper to print.
    fn paper(&self, t: Tr) -> Result<paper::Paper, PageError> {
        let fact = |label: &str, value: &str| paper::Block::Fact {
            label: label.to_string(),
            value: value.to_string(),
        };
        let mut body = vec![fact(t.p_applicant(), &self.applicant)];
        body.extend(self.rows.iter().map(|r| fact(&r.label, &r.value)));
        body.push(fact(t.p_issued_at(), &self.issued));
        Ok(paper::Paper {
            lang: t.0.code().to_string(),
            agency: self.agency.clone(),
            number: Some(format!("{}: {}", t.p_number(), self.code)),
            place_date: self.place_date.clone(),
            title: self.title.clone(),
            lead: vec![self.procedure.clone()],
            body,
            qr: Some(qr_modules(
                &self.verify_url,
                t.p_pdf_verify().to_string(),
                Some(self.verify_url.clone()),
            )?),
            signature: Some(paper::Signature {
                role: format!("{} {}", t.p_slip_for_agency(), self.agency),
                note: t.p_slip_sign_note().to_string(),
                name: self.signer.clone(),
            }),
            footer: format!("{} · {}", self.title, self.code),
        })
    }
}

#[derive(askama::Template)]
#[template(path = "result.html")]
struct ResultPage {
    l: Layout,
    t: Tr,
    code: String,
    doc: Issue,
    qr: String,
}

/// The result of `code` for `account`: the dossier and what was issued, or
/// its refusal; without either, a page saying when a result exists.
async fn outcome(
    state: &AppState,
    ctx: &Ctx,
    account: &flow::Account,
    code: &str,
) -> Result<(dossier::Dossier, Option<result::Issued>), PageError> {
    let t = ctx.t();
    let (stored, _) = flow::load_knowing(state, account, code, ctx.staff_roles()).await?;
    let d = stored.dossier;
    if d.refusal.is_some() {
        return Ok((d, None));
    }
    match result::issued(&d) {
        Some(issued) => Ok((d, Some(issued))),
        None => Err(PageError::message(
            StatusCode::NOT_FOUND,
            t.p_result_none_title(),
            t.p_result_none(),
        )
        .with_link(format!("/ho-so/{code}"), t.p_back_to_dossier())),
    }
}

/// `GET /ho-so/{code}/ket-qua`: the result issued (its applicant and its
/// agencies' staff); a refusal (at intake or as the result) is form 03.
/// `GET /ho-so/{code}/ket-qua.pdf`: the same as a PDF to keep, for the same
/// people: what was issued, with the QR code of its verification, or the
/// refusal (form 03).
pub async fn result(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Path(code): Path<String>,
    route: MatchedPath,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (d, issued) = outcome(&state, &ctx, &account, &code).await?;
    let p = flow::procedure(&d.procedure)?;
    if route.as_str().ends_with(".pdf") {
        // each PDF costs a core some milliseconds: a few a minute each
        if let Err(wait) = state
            .papers
            .hit(flow::subject_of(&account), std::time::Instant::now())
        {
            return Err(PageError::message(
                StatusCode::TOO_MANY_REQUESTS,
                t.page_too_many_title(),
                t.page_too_many_text(),
            )
            .retry_after(wait.as_secs().max(1)));
        }
        let (paper, name) = match issued {
            Some(issued) => (
                Issue::of(&state, t, &d, p, &issued).paper(t)?,
                format!("ket-qua-{}.pdf", d.code),
            ),
            None => (
                refusal_paper(&ctx, &d, p)?,
                format!("tu-choi-{}.pdf", d.code),
            ),
        };
        let bytes = paper::pdf(&paper).map_err(|e| PageError::internal("making a PDF", e))?;
        return Ok(download(bytes, "application/pdf", &name));
    }
    // a refusal, at intake or as the result, is form 03
    let Some(issued) = issued else {
        return Ok(see_other(&format!("/ho-so/{code}/phieu/03")));
    };
    let doc = Issue::of(&state, t, &d, p, &issued);
    let qr = qr_svg(&doc.verify_url).map_err(|e| PageError::internal("drawing a QR code", e))?;
    let page = ResultPage {
        l: ctx.layout(
            format!("{} — {}", pick(t, &p.name_vi, &p.name_en), d.code),
            "",
        ),
        t,
        code: d.code.to_string(),
        doc,
        qr,
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
