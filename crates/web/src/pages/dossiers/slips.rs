//! The printable slips (forms 01–05) with a QR code of the dossier's code.

use crate::auth::SignedIn;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dossier::{Channel, Status};

use super::shared::{agency, channel_name, pick, when};
use super::show::{StepRow, step_rows};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::services::dossiers::flow;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "slip.html")]
pub(super) struct SlipPage {
    l: Layout,
    t: Tr,
    form_no: String,
    title: &'static str,
    code: String,
    qr: String,
    agency: String,
    receiving: String,
    applicant: String,
    /// The applicant's address, as the form gives it (slip 01).
    address: String,
    procedure: String,
    /// The time the law gives the procedure, in words (slip 01).
    time_limit: String,
    /// Where the result is collected (slip 01).
    result_at: String,
    channel: &'static str,
    submitted: String,
    received: String,
    /// The day it was received, `07/12/2026` (slip 04).
    received_day: String,
    due: String,
    documents: Vec<String>,
    items: Vec<String>,
    reason: String,
    previous_due: String,
    steps: Vec<StepRow>,
    /// Who issued the slip, as the staff member's account names them.
    signer: String,
    /// In what capacity they sign it.
    signer_role: &'static str,
    /// Slip 03: the agency that refuses.
    refused_by: String,
    /// `Bình Đức, ngày 07 tháng 12 năm 2026`: where and when the slip is
    /// issued, as official papers date themselves.
    place_date: String,
}

/// Where and when a slip of `receiving` is issued on `day`, as official
/// papers write it (`Bình Đức, ngày 07 tháng 12 năm 2026`).
pub(super) fn place_date(t: Tr, receiving: &dossier::AgencyCode, day: chrono::NaiveDate) -> String {
    let units = units::Units::get();
    let place = receiving.as_str().split_once('.').and_then(|(_, code)| {
        units
            .commune(code)
            .map(|c| c.short_name.clone())
            .or_else(|| units.province(code).map(|p| p.short_name.clone()))
    });
    let date = match t.0 {
        crate::pages::i18n::Lang::Vi => day.format("ngày %d tháng %m năm %Y").to_string(),
        crate::pages::i18n::Lang::En => day.format("%d/%m/%Y").to_string(),
    };
    match place {
        Some(place) => format!("{place}, {date}"),
        None => date,
    }
}

/// Where the applicant lives, as their form states it (the field the
/// registry fills with their permanent residence), if it does.
fn applicant_address(d: &dossier::Dossier, p: &dossier::Procedure) -> String {
    p.schema()
        .fields()
        .iter()
        .filter(|f| {
            f.prefill.as_ref().is_some_and(|s| {
                s.whom == dossier::Whom::Applicant && s.field == "permanent_residence"
            })
        })
        .find_map(|f| d.form.get(&f.key).and_then(|v| v.as_str()))
        .unwrap_or_default()
        .to_string()
}

/// The dossier's code as an SVG QR code.
pub(super) fn qr_svg(code: &str) -> Result<String, qrcode::types::QrError> {
    let qr = qrcode::QrCode::new(code.as_bytes())?;
    Ok(qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(128, 128)
        .quiet_zone(true)
        .build())
}

/// `GET /ho-so/{code}/phieu/{form}`: a printable slip (01–05).
pub async fn slip(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Path((code, form)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (stored, _) = flow::load_knowing(&state, &account, &code, ctx.staff_roles()).await?;
    let d = &stored.dossier;
    let p = flow::procedure(&d.procedure)?;
    let page = slip_page(&ctx, d, p, &form)?;
    Ok(html(&ctx, StatusCode::OK, &page))
}

/// Slip `form` of `d`, as its page shows it; a slip the dossier does not
/// have (yet) is a page saying so.
fn slip_page(
    ctx: &Ctx,
    d: &dossier::Dossier,
    p: &dossier::Procedure,
    form: &str,
) -> Result<SlipPage, PageError> {
    let t = ctx.t();
    let code = d.code.to_string();
    let form = form.to_string();
    let title = match form.as_str() {
        "01" if d.timeline.received_at().is_some() => t.p_slip_01(),
        "02" if d.supplement.is_some() => t.p_slip_02(),
        "03" if d.refusal.is_some() => t.p_slip_03(),
        "04" if !d.apologies.is_empty() => t.p_slip_04(),
        "05" => t.p_slip_05(),
        _ => {
            // the dossier is there; this slip is not (yet)
            return Err(PageError::message(
                StatusCode::NOT_FOUND,
                t.p_slip_none_title(),
                t.p_slip_none(),
            )
            .with_link(format!("/ho-so/{code}"), t.p_back_to_dossier()));
        }
    };
    let qr =
        qr_svg(&d.code.to_string()).map_err(|e| PageError::internal("drawing a QR code", e))?;
    let received = d.timeline.received_at();
    // who signs: who received it (01), who asked for the supplement (02),
    // who refused it at intake or approved the refusal (03), who
    // apologised (04)
    let last_by = |acts: &[&str]| {
        d.control
            .iter()
            .rev()
            .find(|c| acts.contains(&c.act.as_str()))
    };
    let refused_at_intake = last_by(&["refuse_intake"]);
    let (signed_by, signer_role) = match form.as_str() {
        "01" => (
            d.control.iter().find(|c| c.to == Status::Received),
            t.p_slip_receiver_signs(),
        ),
        "02" => (last_by(&["request_supplement"]), t.p_slip02_signer()),
        "03" if refused_at_intake.is_some() => (refused_at_intake, t.p_slip03_receiver()),
        "03" => (last_by(&["approve"]), t.p_slip_for_agency()),
        _ => (last_by(&["apologise"]), t.p_slip_for_agency()),
    };
    let signer = signed_by.map(|c| c.name.clone()).unwrap_or_default();
    let last_apology = d.apologies.last();
    let page = SlipPage {
        l: ctx.layout(format!("{} — {}", title, d.code), ""),
        t,
        form_no: form.clone(),
        title,
        code: d.code.to_string(),
        qr,
        agency: agency(t, &d.route.competent),
        receiving: agency(t, &d.route.receiving),
        applicant: d.applicant.name.clone(),
        address: applicant_address(d, p),
        procedure: pick(t, &p.name_vi, &p.name_en).to_string(),
        time_limit: pick(t, &p.time_limit_vi(), &p.time_limit_en()).to_string(),
        result_at: match d.channel {
            Channel::Online => format!(
                "{}, {}",
                agency(t, &d.route.receiving),
                t.p_slip_result_online()
            ),
            _ => agency(t, &d.route.receiving),
        },
        channel: channel_name(t, d.channel),
        submitted: when(&d.submitted_at),
        received: received.as_ref().map(when).unwrap_or_default(),
        received_day: received
            .as_ref()
            .map(|r| r.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        due: match (form.as_str(), last_apology) {
            ("04", Some(a)) => when(&a.new_due),
            _ => d
                .apologies
                .first()
                .and_then(|a| a.previous_due)
                .or(d.due)
                .as_ref()
                .map(when)
                .unwrap_or_default(),
        },
        documents: p
            .documents_to_provide()
            .map(|doc| pick(t, &doc.name_vi, &doc.name_en).to_string())
            .collect(),
        items: d
            .supplement
            .as_ref()
            .map(|s| s.items.clone())
            .unwrap_or_default(),
        reason: match form.as_str() {
            "03" => d
                .refusal
                .as_ref()
                .map(|r| r.reason.clone())
                .unwrap_or_default(),
            "04" => last_apology.map(|a| a.reason.clone()).unwrap_or_default(),
            _ => String::new(),
        },
        previous_due: last_apology
            .and_then(|a| a.previous_due)
            .as_ref()
            .map(when)
            .unwrap_or_default(),
        steps: step_rows(t, d, false),
        signer,
        signer_role,
        refused_by: match refused_at_intake {
            Some(_) => agency(t, &d.route.receiving),
            None => agency(t, &d.route.competent),
        },
        place_date: place_date(
            t,
            &d.route.receiving,
            match form.as_str() {
                "01" => received.map(|r| r.date_naive()),
                _ => None,
            }
            .unwrap_or_else(|| flow::now().date_naive()),
        ),
    };
    Ok(page)
}

/// The refusal (form 03) of `d` as a paper to print: a PDF of what its
/// page shows.
pub(super) fn refusal_paper(
    ctx: &Ctx,
    d: &dossier::Dossier,
    p: &dossier::Procedure,
) -> Result<paper::Paper, PageError> {
    let t = ctx.t();
    let slip = slip_page(ctx, d, p, "03")?;
    let fact = |label: &str, value: &str| paper::Block::Fact {
        label: label.to_string(),
        value: value.to_string(),
    };
    let mut body = vec![
        fact(t.p_code(), &slip.code),
        fact(t.p_applicant(), &slip.applicant),
    ];
    if !slip.address.is_empty() {
        body.push(fact(t.p_address(), &slip.address));
    }
    body.extend([
        fact(t.p_procedure(), &slip.procedure),
        fact(
            t.p_channel(),
            &format!("{} · {} {}", slip.channel, t.p_submitted(), slip.submitted),
        ),
        fact(t.p_received_by(), &slip.receiving),
    ]);
    if !slip.received.is_empty() {
        body.push(fact(t.p_received_at(), &slip.received));
    }
    body.extend([
        fact(t.p_agency(), &slip.agency),
        paper::Block::Gap,
        paper::Block::Text(t.slip03_lead(&slip.refused_by)),
        paper::Block::Strong(slip.reason.clone()),
        paper::Block::Text(t.p_slip03_close().to_string()),
    ]);
    Ok(paper::Paper {
        lang: t.0.code().to_string(),
        agency: slip.receiving.clone(),
        number: None,
        place_date: slip.place_date.clone(),
        title: slip.title.to_string(),
        lead: vec!["Mẫu số 03 · Thông tư 01/2018/TT-VPCP".to_string()],
        body,
        qr: Some(qr_modules(
            &slip.code,
            format!("{}: {}", t.p_qr_label(), slip.code),
            None,
        )?),
        signature: (!slip.signer.is_empty()).then(|| paper::Signature {
            role: slip.signer_role.to_string(),
            note: t.p_slip_sign_note().to_string(),
            name: slip.signer.clone(),
        }),
        footer: format!("{} · {}", slip.title, slip.code),
    })
}

/// `text` as a QR code's modules for a paper, with its caption (and the
/// address it leads to, printed and linked, if it is one).
pub(super) fn qr_modules(
    text: &str,
    caption: String,
    url: Option<String>,
) -> Result<paper::Qr, PageError> {
    paper::Qr::encode(text, caption, url).map_err(|e| PageError::internal("drawing a QR code", e))
}
