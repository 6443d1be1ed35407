//! The portal's procedures and dossiers: the catalog and its search, a
//! procedure's page, applying (the form pre-filled from the registry),
//! "my dossiers" with the notices, a dossier's page — its steps, its form,
//! its slips and the acts open to whoever looks (the applicant, or the
//! staff of its agencies) —, the printable slips (forms 01–05 with a QR
//! code of the dossier's code) and the public look-up by code.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use dossier::{
    Act, Actor, Channel, Dossier, DossierCode, FieldKind, Outcome, Procedure, Role, Status, Urgency,
};
use serde::Deserialize;

use super::i18n::{Lang, Tr};
use super::{Ctx, Layout, csrf, html, message, server_error, with_csrf};
use super::{login_href, see_other};
use crate::AppState;
use crate::dossiers::{self as flow, Application, FlowError};

fn when(t: &DateTime<FixedOffset>) -> String {
    t.format("%H:%M %d/%m/%Y").to_string()
}

fn money(t: Tr, n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(if t.0 == Lang::Vi { '.' } else { ',' });
        }
        out.push(c);
    }
    format!("{out} đ")
}

fn pick<'a>(t: Tr, vi: &'a str, en: &'a str) -> &'a str {
    match t.0 {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

fn status_name(t: Tr, s: Status) -> &'static str {
    pick(t, s.name_vi(), s.name_en())
}

fn act_name(t: Tr, code: &str) -> &'static str {
    pick(t, Act::name_vi(code), Act::name_en(code))
}

fn channel_name(t: Tr, c: Channel) -> &'static str {
    match c {
        Channel::Online => t.p_channel_online(),
        Channel::InPerson => t.p_channel_in_person(),
        Channel::Postal => t.p_channel_postal(),
    }
}

fn urgency_name(t: Tr, u: Urgency) -> &'static str {
    match u {
        Urgency::Overdue => t.p_overdue(),
        Urgency::DueSoon => t.p_due_soon(),
        Urgency::OnTime => t.p_on_time(),
        Urgency::None => "",
    }
}

fn urgency_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Overdue => "overdue",
        Urgency::DueSoon => "due-soon",
        Urgency::OnTime => "on-time",
        Urgency::None => "",
    }
}

fn flow_failed(ctx: &Ctx, e: FlowError) -> Response {
    let t = ctx.t();
    match e {
        FlowError::NotFound(m) => message(ctx, StatusCode::NOT_FOUND, t.p_lookup_none(), &m, None),
        FlowError::Forbidden(m) => message(ctx, StatusCode::FORBIDDEN, t.p_unlawful(), &m, None),
        FlowError::Internal(m) => {
            tracing::error!(error = %m, "a dossier page failed");
            server_error(ctx)
        }
        FlowError::Invalid(m) | FlowError::Conflict(m) => message(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            t.p_unlawful(),
            &m,
            None,
        ),
        FlowError::TooMany(m, _) => {
            message(ctx, StatusCode::TOO_MANY_REQUESTS, t.p_unlawful(), &m, None)
        }
        FlowError::UsedUp(m, _) => message(
            ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            t.p_unlawful(),
            &m,
            None,
        ),
        FlowError::Form(errors) => {
            let text = errors
                .iter()
                .map(|e| pick(t, &e.reason_vi, &e.reason_en).to_string())
                .collect::<Vec<_>>()
                .join("; ");
            message(
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                t.p_unlawful(),
                &text,
                None,
            )
        }
    }
}

// ---- the catalog -------------------------------------------------------------

pub struct ProcedureRow {
    pub code: String,
    pub name: String,
    pub field: String,
    pub level: &'static str,
    pub time_limit: String,
}

#[derive(askama::Template)]
#[template(path = "procedures.html")]
struct CatalogPage {
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
pub async fn catalog(ctx: Ctx, Query(p): Query<SearchParams>) -> Response {
    let t = ctx.t();
    let Ok(catalog) = flow::catalog() else {
        return server_error(&ctx);
    };
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
    html(&ctx, StatusCode::OK, &page)
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
struct ProcedurePage {
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

fn fee_rows(t: Tr, p: &Procedure) -> Vec<FeeRow> {
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
pub async fn procedure(ctx: Ctx, Path(code): Path<String>) -> Response {
    let t = ctx.t();
    let p = match flow::procedure(&code) {
        Ok(p) => p,
        Err(e) => return flow_failed(&ctx, e),
    };
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
    html(&ctx, StatusCode::OK, &page)
}

// ---- applying ----------------------------------------------------------------

pub struct FieldView {
    pub key: String,
    pub label: String,
    pub required: bool,
    /// `text`, `date`, `number`, `select`, `checkbox`
    pub input: &'static str,
    pub options: Vec<String>,
    pub value: String,
    pub prefilled: bool,
    pub pattern: String,
    pub max_length: String,
    /// The latest date (`YYYY-MM-DD`) a date field takes, if bounded.
    pub max: String,
    pub error: String,
}

#[derive(askama::Template)]
#[template(path = "apply.html")]
struct ApplyPage {
    l: Layout,
    t: Tr,
    code: String,
    name: String,
    fields: Vec<FieldView>,
    email: String,
    refused: String,
    errors: Vec<String>,
    csrf: String,
    documents: Vec<DocRow>,
}

fn field_views(
    t: Tr,
    p: &Procedure,
    values: &serde_json::Map<String, serde_json::Value>,
    prefilled: &std::collections::BTreeMap<String, String>,
    errors: &[dossier::FieldError],
) -> Vec<FieldView> {
    p.schema()
        .fields()
        .iter()
        .map(|f| {
            let (input, options, pattern, max_length) = match &f.kind {
                FieldKind::Text {
                    pattern_source,
                    max_length,
                    ..
                } => (
                    "text",
                    Vec::new(),
                    pattern_source
                        .as_deref()
                        .map(|p| p.trim_start_matches('^').trim_end_matches('$').to_string())
                        .unwrap_or_default(),
                    max_length.map(|m| m.to_string()).unwrap_or_default(),
                ),
                FieldKind::Date { .. } => ("date", Vec::new(), String::new(), String::new()),
                FieldKind::Choice { options } => {
                    ("select", options.clone(), String::new(), String::new())
                }
                FieldKind::Integer { .. } => ("number", Vec::new(), String::new(), String::new()),
                FieldKind::Boolean => ("checkbox", Vec::new(), String::new(), String::new()),
            };
            let value = match prefilled.get(&f.key) {
                Some(v) => v.clone(),
                None => match values.get(&f.key) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                },
            };
            let max = match f.kind {
                FieldKind::Date {
                    not_after_today: true,
                } => flow::now().date_naive().to_string(),
                _ => String::new(),
            };
            FieldView {
                max,
                key: f.key.clone(),
                label: pick(t, &f.title_vi, &f.title_en).to_string(),
                required: f.required,
                input,
                options,
                value,
                prefilled: prefilled.contains_key(&f.key),
                pattern,
                max_length,
                error: errors
                    .iter()
                    .find(|e| e.field == f.key)
                    .map(|e| pick(t, &e.reason_vi, &e.reason_en).to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

async fn signed_in(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    back: &str,
) -> Result<store::Account, Response> {
    match crate::auth::session::current(state, headers).await {
        Ok(Some((_, account))) => Ok(account),
        Ok(None) => Err(see_other(&login_href(back))),
        Err(e) => {
            tracing::error!(error = %e, "reading a session");
            Err(server_error(ctx))
        }
    }
}

async fn render_apply(
    ctx: &Ctx,
    p: &Procedure,
    values: &serde_json::Map<String, serde_json::Value>,
    read: &flow::prefill::Read,
    email: &str,
    errors: &[dossier::FieldError],
    status: StatusCode,
) -> Response {
    let t = ctx.t();
    let Ok((token, new)) = ctx.csrf_token() else {
        return server_error(ctx);
    };
    let page = ApplyPage {
        l: ctx.layout(t.p_apply_title(), "procedures"),
        t,
        code: p.code.clone(),
        name: pick(t, &p.name_vi, &p.name_en).to_string(),
        fields: field_views(t, p, values, &read.values, errors),
        email: email.to_string(),
        refused: read.refused.clone().unwrap_or_default(),
        errors: errors
            .iter()
            .map(|e| pick(t, &e.reason_vi, &e.reason_en).to_string())
            .collect(),
        csrf: token.clone(),
        documents: p
            .documents_to_provide()
            .map(|d| DocRow {
                name: pick(t, &d.name_vi, &d.name_en).to_string(),
                required: d.required,
                held: None,
            })
            .collect(),
    };
    with_csrf(ctx, html(ctx, status, &page), &token, new)
}

fn person_id(account: &store::Account) -> Option<String> {
    match &account.holder {
        identity::Holder::Citizen(c) => Some(c.pin().to_string()),
        _ => None,
    }
}

/// `GET /thu-tuc/{code}/nop`: the form, pre-filled.
pub async fn apply_form(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let p = match flow::procedure(&code) {
        Ok(p) => p,
        Err(e) => return flow_failed(&ctx, e),
    };
    let account = match signed_in(&state, &ctx, &headers, &format!("/thu-tuc/{code}/nop")).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let read = match flow::prefill::read(&state, p, person_id(&account).as_deref()).await {
        Ok(r) => r,
        Err(e) => return flow_failed(&ctx, e),
    };
    flow::prefill::log(&state, &read, &format!("draft {}", p.code)).await;
    render_apply(
        &ctx,
        p,
        &serde_json::Map::new(),
        &read,
        "",
        &[],
        StatusCode::OK,
    )
    .await
}

/// `POST /thu-tuc/{code}/nop`: files the dossier.
pub async fn apply_submit(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    if !ctx.csrf_ok(csrf::Check::Session, value("csrf_token")) {
        return crate::oidc::flow::expired_form(&ctx);
    }
    let p = match flow::procedure(&code) {
        Ok(p) => p,
        Err(e) => return flow_failed(&ctx, e),
    };
    let account = match signed_in(&state, &ctx, &headers, &format!("/thu-tuc/{code}/nop")).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = p.schema().from_text(&pairs);
    let email = value("email").unwrap_or_default().to_string();
    let filed = flow::file_online(
        &state,
        &account,
        Application {
            procedure: p.code.clone(),
            form: form.clone(),
            email: Some(email.clone()),
        },
    )
    .await;
    match filed {
        Ok(stored) => {
            metrics::counter!(crate::metrics::DOSSIERS_FILED, "channel" => "online").increment(1);
            see_other(&format!("/ho-so/{}?moi=1", stored.dossier.code))
        }
        Err(FlowError::Form(errors)) => {
            // show the form again with what the state fills, and each error
            let read = match flow::prefill::read(&state, p, person_id(&account).as_deref()).await {
                Ok(r) => r,
                Err(e) => return flow_failed(&ctx, e),
            };
            flow::prefill::log(&state, &read, &format!("draft {}", p.code)).await;
            render_apply(
                &ctx,
                p,
                &form,
                &read,
                &email,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => flow_failed(&ctx, e),
    }
}

// ---- my dossiers -------------------------------------------------------------

pub struct DossierRow {
    pub code: String,
    pub procedure: String,
    pub status: &'static str,
    pub status_code: u8,
    pub submitted: String,
    pub due: String,
    pub urgency: &'static str,
    pub urgency_class: &'static str,
    pub assignee: String,
}

pub struct NoticeRow {
    pub when: String,
    pub text: String,
    pub dossier: String,
    pub new: bool,
}

#[derive(askama::Template)]
#[template(path = "my_dossiers.html")]
struct MyPage {
    l: Layout,
    t: Tr,
    rows: Vec<DossierRow>,
    notices: Vec<NoticeRow>,
}

pub(crate) fn dossier_row(t: Tr, d: &Dossier, now: DateTime<FixedOffset>) -> DossierRow {
    let procedure = flow::procedure(&d.procedure)
        .map(|p| pick(t, &p.name_vi, &p.name_en).to_string())
        .unwrap_or_else(|_| d.procedure.clone());
    let urgency = flow::working_calendar()
        .map(|c| d.urgency(&c, now))
        .unwrap_or(Urgency::None);
    DossierRow {
        code: d.code.to_string(),
        procedure,
        status: status_name(t, d.status()),
        status_code: d.status().code(),
        submitted: when(&d.submitted_at),
        due: d.due.as_ref().map(when).unwrap_or_default(),
        urgency: urgency_name(t, urgency),
        urgency_class: urgency_class(urgency),
        assignee: d
            .assignee
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_default(),
    }
}

/// `GET /ho-so` (`/dossiers`)
pub async fn mine(ctx: Ctx, State(state): State<AppState>, headers: HeaderMap) -> Response {
    let t = ctx.t();
    let account = match signed_in(&state, &ctx, &headers, "/ho-so").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let store = state.store.dossiers();
    let rows = match flow::dossiers_of(&state, &account).await {
        Ok(r) => r,
        Err(e) => return flow_failed(&ctx, e),
    };
    let mut notices = Vec::new();
    for subject in flow::applicant_subjects(&account) {
        match store.notices(&subject, 30).await {
            Ok(n) => notices.extend(n),
            Err(e) => {
                tracing::error!(error = %e, "reading an applicant's notices");
                return server_error(&ctx);
            }
        }
    }
    notices.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    notices.truncate(30);
    for n in &notices {
        if n.read_at.is_none()
            && let Err(e) = store
                .mark_notices_read(&n.recipient, n.id, chrono::Utc::now())
                .await
        {
            tracing::warn!(error = %e, "marking notices read");
        }
    }
    let now = flow::now();
    let page = MyPage {
        l: ctx.layout(t.p_my_title(), "dossiers"),
        t,
        rows: rows
            .iter()
            .map(|s| dossier_row(t, &s.dossier, now))
            .collect(),
        notices: notices
            .iter()
            .map(|n| NoticeRow {
                when: when(&n.created_at.with_timezone(&crate::api::tracker::VIETNAM)),
                text: pick(t, &n.text_vi, &n.text_en).to_string(),
                dossier: n.dossier.clone(),
                new: n.read_at.is_none(),
            })
            .collect(),
    };
    html(&ctx, StatusCode::OK, &page)
}

// ---- a dossier ---------------------------------------------------------------

pub struct StepRow {
    pub when: String,
    pub when_iso: String,
    pub who: String,
    pub what: &'static str,
    pub status: &'static str,
    pub comment: String,
}

/// The processing-control slip's lines (form 05), naming each actor's
/// agency when `agencies`.
fn step_rows(t: Tr, d: &Dossier, agencies: bool) -> Vec<StepRow> {
    d.control
        .iter()
        .map(|c| StepRow {
            when: when(&c.at),
            when_iso: c.at.to_rfc3339(),
            who: match &c.agency {
                Some(a) if agencies => format!("{} ({a})", c.name),
                _ => c.name.clone(),
            },
            what: act_name(t, &c.act),
            status: status_name(t, c.to),
            comment: c.comment.clone().unwrap_or_default(),
        })
        .collect()
}

pub struct FormRow {
    pub label: String,
    pub value: String,
    pub prefilled: bool,
}

pub struct FileRow {
    /// the document's key
    pub key: String,
    pub document: String,
    pub required: bool,
    /// the file attached, if any: name, size in kB
    pub attached: Option<(String, String)>,
}

pub struct ActForm {
    /// the act's code
    pub code: &'static str,
    pub label: &'static str,
    /// the inputs it needs: `reason`, `items`, `amount`, `outcome`,
    /// `new_due`, `note`, `score`, `assignee`
    pub needs: &'static str,
}

#[derive(askama::Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    l: Layout,
    t: Tr,
    code: String,
    version: i64,
    procedure: String,
    status: &'static str,
    status_code: u8,
    channel: &'static str,
    applicant: String,
    submitted: String,
    due: String,
    urgency: &'static str,
    urgency_class: &'static str,
    competent: String,
    receiving: String,
    assignee: String,
    steps: Vec<StepRow>,
    form: Vec<FormRow>,
    slips: Vec<(String, &'static str)>,
    supplement: Vec<String>,
    refusal: String,
    apology: String,
    acts: Vec<ActForm>,
    files: Vec<FileRow>,
    can_attach: bool,
    is_staff: bool,
    late: bool,
    rating: String,
    /// whom a leader can assign it to: (subject, name, current)
    staff: Vec<(String, String, bool)>,
    notice: String,
    error: String,
    csrf: String,
}

/// The acts open to `actors` (how the viewer may act) on `d` now, tried
/// on a copy.
fn open_acts(actors: &[Actor], d: &Dossier, p: &Procedure) -> Vec<(&'static str, &'static str)> {
    let Ok(calendar) = flow::working_calendar() else {
        return Vec::new();
    };
    let later = flow::now().max(d.control.last().map_or_else(flow::now, |c| c.at))
        + chrono::Duration::days(3650);
    let candidates: Vec<(Act, &'static str)> = vec![
        (Act::Receive, ""),
        (Act::RefuseIntake { reason: "x".into() }, "reason"),
        (Act::Claim, ""),
        (
            Act::Assign {
                subject: "x".into(),
                name: "x".into(),
                person_id: None,
            },
            "assignee",
        ),
        (Act::StartProcessing, ""),
        (
            Act::RequestSupplement {
                items: vec!["x".into()],
            },
            "items",
        ),
        (Act::RequestFees { amount_vnd: 1 }, "amount"),
        (
            Act::Propose {
                outcome: Outcome::Issued,
                summary: "x".into(),
            },
            "outcome",
        ),
        (Act::Approve, ""),
        (Act::SendBack { reason: "x".into() }, "reason"),
        (
            Act::Apologise {
                reason: "x".into(),
                new_due: later,
            },
            "new_due",
        ),
        (Act::ReturnResult, ""),
        (Act::Stop { reason: "x".into() }, "reason"),
        (Act::Supplement { note: "x".into() }, "note"),
        (Act::PayFees, ""),
        (
            Act::Rate {
                score: 5,
                comment: None,
            },
            "score",
        ),
        (Act::Withdraw, ""),
    ];
    candidates
        .into_iter()
        .filter(|(act, _)| flow::may(actors, d, act, p, &calendar))
        .map(|(act, needs)| (act.code(), needs))
        .collect()
}

async fn render_dossier(
    state: &AppState,
    ctx: &Ctx,
    account: &store::Account,
    code: &str,
    notice: String,
    error: String,
) -> Response {
    match flow::load_for(state, account, code).await {
        Ok((stored, actors)) => show_dossier(state, ctx, &stored, &actors, notice, error).await,
        Err(e) => flow_failed(ctx, e),
    }
}

/// The dossier's page as the viewer sees it, who may act as `actors`.
async fn show_dossier(
    state: &AppState,
    ctx: &Ctx,
    stored: &store::StoredDossier,
    actors: &[Actor],
    notice: String,
    error: String,
) -> Response {
    let t = ctx.t();
    let d = &stored.dossier;
    let p = match flow::procedure(&d.procedure) {
        Ok(p) => p,
        Err(e) => return flow_failed(ctx, e),
    };
    let now = flow::now();
    let row = dossier_row(t, d, now);
    let mut slips = Vec::new();
    if d.timeline.received_at().is_some() {
        slips.push(("01".to_string(), t.p_slip_01()));
    }
    if d.supplement.is_some() {
        slips.push(("02".to_string(), t.p_slip_02()));
    }
    if d.refusal.is_some() {
        slips.push(("03".to_string(), t.p_slip_03()));
    }
    if !d.apologies.is_empty() {
        slips.push(("04".to_string(), t.p_slip_04()));
    }
    slips.push(("05".to_string(), t.p_slip_05()));
    let is_staff = actors.iter().any(|a| a.role != Role::Applicant);
    let acts: Vec<ActForm> = open_acts(actors, d, p)
        .into_iter()
        .map(|(code, needs)| ActForm {
            code,
            label: act_name(t, code),
            needs,
        })
        .collect();
    let staff = if acts.iter().any(|a| a.needs == "assignee") {
        match flow::assignable(state, &d.route.competent).await {
            Ok(staff) => staff
                .into_iter()
                .map(|m| {
                    let current = d.assignee.as_ref().is_some_and(|a| a.subject == m.subject);
                    let name = match m.role {
                        Role::Leader => format!("{} ({})", m.name, t.p_role_leader()),
                        _ => m.name,
                    };
                    (m.subject, name, current)
                })
                .collect(),
            Err(e) => return flow_failed(ctx, e),
        }
    } else {
        Vec::new()
    };
    let attached = match state.store.dossiers().attachments(&d.code).await {
        Ok(a) => a,
        Err(e) => return flow_failed(ctx, e.into()),
    };
    let files = p
        .documents_to_provide()
        .map(|doc| FileRow {
            key: doc.key.clone(),
            document: pick(t, &doc.name_vi, &doc.name_en).to_string(),
            required: doc.required,
            attached: attached
                .iter()
                .find(|a| a.attachment.document == doc.key)
                .map(|a| {
                    (
                        a.attachment.name.clone(),
                        format!("{:.0}", (a.attachment.size as f64 / 1024.0).ceil()),
                    )
                }),
        })
        .collect();
    let can_attach = actors.iter().any(|a| flow::may_attach(a, d, p));
    let Ok((token, new)) = ctx.csrf_token() else {
        return server_error(ctx);
    };
    let schema = p.schema();
    let page = DossierPage {
        l: ctx.layout(format!("{} {}", t.p_code(), d.code), "dossiers"),
        t,
        code: d.code.to_string(),
        version: stored.version,
        procedure: row.procedure,
        status: row.status,
        status_code: row.status_code,
        channel: channel_name(t, d.channel),
        applicant: d.applicant.name.clone(),
        submitted: row.submitted,
        due: row.due,
        urgency: if is_staff { row.urgency } else { "" },
        urgency_class: row.urgency_class,
        competent: d.route.competent.to_string(),
        receiving: d.route.receiving.to_string(),
        assignee: row.assignee,
        steps: step_rows(t, d, true),
        form: d
            .form
            .iter()
            .map(|(k, v)| FormRow {
                label: schema
                    .field(k)
                    .map(|f| pick(t, &f.title_vi, &f.title_en).to_string())
                    .unwrap_or_else(|| k.clone()),
                value: match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                prefilled: d.prefilled.contains(k),
            })
            .collect(),
        slips,
        supplement: d
            .supplement
            .as_ref()
            .map(|s| s.items.clone())
            .unwrap_or_default(),
        refusal: d
            .refusal
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_default(),
        apology: d
            .apologies
            .last()
            .map(|a| format!("{} — {}: {}", a.reason, t.p_due(), when(&a.new_due)))
            .unwrap_or_default(),
        acts,
        files,
        can_attach,
        is_staff,
        late: is_staff
            && d.due.is_some_and(|due| now > due)
            && !d.status().is_final()
            && d.status() != Status::Processed,
        rating: d
            .rating
            .as_ref()
            .map(|r| format!("{}/5 {}", r.score, r.comment.clone().unwrap_or_default()))
            .unwrap_or_default(),
        staff,
        notice,
        error,
        csrf: token.clone(),
    };
    let status = if page.error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    with_csrf(ctx, html(ctx, status, &page), &token, new)
}

/// `?moi=1` after filing.
#[derive(Debug, Deserialize, Default)]
pub struct DossierParams {
    moi: Option<String>,
}

/// `GET /ho-so/{code}`
pub async fn dossier(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(params): Query<DossierParams>,
) -> Response {
    let account = match signed_in(&state, &ctx, &headers, &format!("/ho-so/{code}")).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let notice = if params.moi.is_some() {
        format!("{} {code}", ctx.t().p_filed())
    } else {
        String::new()
    };
    render_dossier(&state, &ctx, &account, &code, notice, String::new()).await
}

/// An act from the dossier's page.
#[derive(Debug, Deserialize)]
pub struct ActParams {
    csrf_token: Option<String>,
    act: String,
    version: Option<i64>,
    comment: Option<String>,
    reason: Option<String>,
    items: Option<String>,
    amount: Option<String>,
    outcome: Option<String>,
    summary: Option<String>,
    new_due: Option<String>,
    note: Option<String>,
    score: Option<String>,
    assignee: Option<String>,
}

fn act_of(f: &ActParams) -> Result<Act, String> {
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(match f.act.as_str() {
        "receive" => Act::Receive,
        "refuse_intake" => Act::RefuseIntake {
            reason: text(&f.reason),
        },
        "claim" => Act::Claim,
        // the name is the account's, looked up when it is done
        "assign" => Act::Assign {
            subject: text(&f.assignee),
            name: String::new(),
            person_id: None,
        },
        "start_processing" => Act::StartProcessing,
        "request_supplement" => Act::RequestSupplement {
            items: text(&f.items).lines().map(str::to_string).collect(),
        },
        "request_fees" => Act::RequestFees {
            amount_vnd: text(&f.amount)
                .trim()
                .replace(['.', ',', ' '], "")
                .parse()
                .map_err(|_| "the amount is a whole number of đồng".to_string())?,
        },
        "propose" => Act::Propose {
            outcome: if f.outcome.as_deref() == Some("refused") {
                Outcome::Refused
            } else {
                Outcome::Issued
            },
            summary: text(&f.summary),
        },
        "approve" => Act::Approve,
        "send_back" => Act::SendBack {
            reason: text(&f.reason),
        },
        "apologise" => {
            let day = NaiveDate::parse_from_str(text(&f.new_due).trim(), "%Y-%m-%d")
                .map_err(|_| "the new appointment is a date".to_string())?;
            let close = NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN);
            let new_due = day
                .and_time(close)
                .and_local_timezone(crate::api::tracker::VIETNAM)
                .single()
                .ok_or_else(|| "the new appointment is a date".to_string())?;
            Act::Apologise {
                reason: text(&f.reason),
                new_due,
            }
        }
        "return_result" => Act::ReturnResult,
        "stop" => Act::Stop {
            reason: text(&f.reason),
        },
        "supplement" => Act::Supplement {
            note: text(&f.note),
        },
        "pay_fees" => Act::PayFees,
        "withdraw" => Act::Withdraw,
        "rate" => Act::Rate {
            score: text(&f.score)
                .trim()
                .parse()
                .map_err(|_| "choose a rating from 1 to 5".to_string())?,
            comment: f.comment.clone(),
        },
        other => return Err(format!("unknown act {other:?}")),
    })
}

/// `POST /ho-so/{code}`: an act.
pub async fn act(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(f): Form<ActParams>,
) -> Response {
    if !ctx.csrf_ok(csrf::Check::Session, f.csrf_token.as_deref()) {
        return crate::oidc::flow::expired_form(&ctx);
    }
    let account = match signed_in(&state, &ctx, &headers, &format!("/ho-so/{code}")).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = ctx.t();
    let act = match act_of(&f) {
        Ok(a) => a,
        Err(m) => return render_dossier(&state, &ctx, &account, &code, String::new(), m).await,
    };
    let act_code = act.code();
    // the rating's words go with the rating, not on the control slip
    let comment = if act_code == "rate" {
        None
    } else {
        f.comment.as_deref()
    };
    match flow::act(&state, &account, &code, act, comment, f.version).await {
        Ok((stored, actors)) => {
            metrics::counter!(crate::metrics::DOSSIER_ACTS, "act" => act_code).increment(1);
            show_dossier(
                &state,
                &ctx,
                &stored,
                &actors,
                t.p_done().into(),
                String::new(),
            )
            .await
        }
        Err(FlowError::Conflict(_)) => {
            render_dossier(
                &state,
                &ctx,
                &account,
                &code,
                String::new(),
                t.p_conflict().into(),
            )
            .await
        }
        Err(FlowError::Forbidden(m)) => {
            refused(render_dossier(&state, &ctx, &account, &code, String::new(), m).await)
        }
        Err(FlowError::Invalid(m)) => {
            render_dossier(&state, &ctx, &account, &code, String::new(), m).await
        }
        Err(e) => flow_failed(&ctx, e),
    }
}

/// The dossier's page shown again with why the viewer may not do what they
/// asked (it is not theirs to do, or the dossier is their own): 403, like
/// every refusal of who someone is (a rule of the dossier's state is 422).
fn refused(mut page: Response) -> Response {
    if page.status() == StatusCode::UNPROCESSABLE_ENTITY {
        *page.status_mut() = StatusCode::FORBIDDEN;
    }
    page
}

/// `POST /ho-so/{code}/tep` (multipart): a file for one of the
/// procedure's documents, from the dossier's page.
pub async fn upload(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    mut form: axum::extract::Multipart,
) -> Response {
    let account = match signed_in(&state, &ctx, &headers, &format!("/ho-so/{code}")).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = ctx.t();
    let (mut csrf_token, mut document, mut file) = (None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf_token") => csrf_token = field.text().await.ok(),
                Some("document") => document = field.text().await.ok(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    let declared = field.content_type().map(str::to_string);
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, declared, bytes)),
                        Err(_) => {
                            let m = format!(
                                "{}: {} MiB",
                                t.p_file_too_large(),
                                dossier::MAX_ATTACHMENT_BYTES / (1024 * 1024)
                            );
                            return render_dossier(&state, &ctx, &account, &code, String::new(), m)
                                .await;
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                let m = format!(
                    "{}: {} MiB",
                    t.p_file_too_large(),
                    dossier::MAX_ATTACHMENT_BYTES / (1024 * 1024)
                );
                return render_dossier(&state, &ctx, &account, &code, String::new(), m).await;
            }
        }
    }
    if !ctx.csrf_ok(csrf::Check::Session, csrf_token.as_deref()) {
        return crate::oidc::flow::expired_form(&ctx);
    }
    let (Some(document), Some((name, declared, bytes))) = (document, file) else {
        return render_dossier(
            &state,
            &ctx,
            &account,
            &code,
            String::new(),
            t.p_choose_file().into(),
        )
        .await;
    };
    match flow::attach(
        &state,
        &account,
        &code,
        &document,
        &name,
        declared.as_deref(),
        &bytes,
    )
    .await
    {
        Ok(_) => {
            render_dossier(
                &state,
                &ctx,
                &account,
                &code,
                t.p_done().into(),
                String::new(),
            )
            .await
        }
        Err(FlowError::Forbidden(m)) => {
            refused(render_dossier(&state, &ctx, &account, &code, String::new(), m).await)
        }
        Err(FlowError::Invalid(m)) => {
            render_dossier(&state, &ctx, &account, &code, String::new(), m).await
        }
        Err(FlowError::Form(errors)) => {
            let m = errors
                .iter()
                .map(|e| pick(t, &e.reason_vi, &e.reason_en).to_string())
                .collect::<Vec<_>>()
                .join("; ");
            render_dossier(&state, &ctx, &account, &code, String::new(), m).await
        }
        Err(e) => flow_failed(&ctx, e),
    }
}

/// `GET /ho-so/{code}/tep/{document}`: an attached file, for the applicant
/// and the dossier's agencies.
pub async fn download(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((code, document)): Path<(String, String)>,
) -> Response {
    let account = match signed_in(&state, &ctx, &headers, &format!("/ho-so/{code}")).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (stored, _) = match flow::load_for(&state, &account, &code).await {
        Ok(x) => x,
        Err(e) => return flow_failed(&ctx, e),
    };
    match state
        .store
        .dossiers()
        .attachment(&stored.dossier.code, &document)
        .await
    {
        Ok(Some((meta, content))) => flow::file_response(&meta, content),
        Ok(None) => flow_failed(
            &ctx,
            FlowError::NotFound(format!("dossier {code} has no file for {document}")),
        ),
        Err(e) => flow_failed(&ctx, e.into()),
    }
}

// ---- the slips -----------------------------------------------------------------

#[derive(askama::Template)]
#[template(path = "slip.html")]
struct SlipPage {
    l: Layout,
    t: Tr,
    form_no: String,
    title: &'static str,
    code: String,
    qr: String,
    agency: String,
    receiving: String,
    applicant: String,
    procedure: String,
    channel: &'static str,
    submitted: String,
    received: String,
    due: String,
    documents: Vec<String>,
    items: Vec<String>,
    reason: String,
    previous_due: String,
    steps: Vec<StepRow>,
    signer: String,
}

/// The dossier's code as an SVG QR code.
fn qr_svg(code: &str) -> Result<String, qrcode::types::QrError> {
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
    headers: HeaderMap,
    Path((code, form)): Path<(String, String)>,
) -> Response {
    let t = ctx.t();
    let account = match signed_in(
        &state,
        &ctx,
        &headers,
        &format!("/ho-so/{code}/phieu/{form}"),
    )
    .await
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (stored, _) = match flow::load_for(&state, &account, &code).await {
        Ok(x) => x,
        Err(e) => return flow_failed(&ctx, e),
    };
    let d = &stored.dossier;
    let p = match flow::procedure(&d.procedure) {
        Ok(p) => p,
        Err(e) => return flow_failed(&ctx, e),
    };
    let title = match form.as_str() {
        "01" if d.timeline.received_at().is_some() => t.p_slip_01(),
        "02" if d.supplement.is_some() => t.p_slip_02(),
        "03" if d.refusal.is_some() => t.p_slip_03(),
        "04" if !d.apologies.is_empty() => t.p_slip_04(),
        "05" => t.p_slip_05(),
        _ => {
            return flow_failed(
                &ctx,
                FlowError::NotFound(format!("dossier {code} has no slip {form}")),
            );
        }
    };
    let Ok(qr) = qr_svg(&d.code.to_string()) else {
        return server_error(&ctx);
    };
    let received = d.timeline.received_at();
    // who received it: the first step into "received"
    let signer = d
        .control
        .iter()
        .find(|c| c.to == Status::Received)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let last_apology = d.apologies.last();
    let page = SlipPage {
        l: ctx.layout(format!("{} — {}", title, d.code), ""),
        t,
        form_no: form.clone(),
        title,
        code: d.code.to_string(),
        qr,
        agency: d.route.competent.to_string(),
        receiving: d.route.receiving.to_string(),
        applicant: d.applicant.name.clone(),
        procedure: pick(t, &p.name_vi, &p.name_en).to_string(),
        channel: channel_name(t, d.channel),
        submitted: when(&d.submitted_at),
        received: received.as_ref().map(when).unwrap_or_default(),
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
    };
    html(&ctx, StatusCode::OK, &page)
}

// ---- the public look-up ------------------------------------------------------------

#[derive(askama::Template)]
#[template(path = "dossier_lookup.html")]
struct LookupPage {
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
) -> Response {
    let t = ctx.t();
    let code = q.ma.unwrap_or_default().trim().to_uppercase();
    let mut found = None;
    let mut missing = false;
    if !code.is_empty() {
        match DossierCode::parse(&code) {
            Ok(parsed) => match state.store.dossiers().dossier(&parsed).await {
                Ok(Some(s)) => found = Some(crate::api::dossiers::public_view(&s.dossier)),
                Ok(None) => missing = true,
                Err(e) => {
                    tracing::error!(error = %e, "looking a dossier up");
                    return server_error(&ctx);
                }
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
    html(&ctx, status, &page)
}

// ---- the officers' workbench ---------------------------------------------------------

pub struct QueueView {
    pub agency: String,
    pub role: &'static str,
    pub rows: Vec<DossierRow>,
}

#[derive(askama::Template)]
#[template(path = "workbench.html")]
struct WorkbenchPage {
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
) -> Response {
    let t = ctx.t();
    let account = match signed_in(&state, &ctx, &headers, "/can-bo").await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let roles = match flow::staff_roles(&state, &account).await {
        Ok(r) => r,
        Err(e) => return flow_failed(&ctx, e),
    };
    let all = q.all.is_some();
    let now = flow::now();
    let mut queues = Vec::new();
    for (agency, role) in roles {
        let rows = match state
            .store
            .dossiers()
            .agency_queue(&agency, !all, 500)
            .await
        {
            Ok(r) => r,
            Err(e) => return flow_failed(&ctx, e.into()),
        };
        queues.push(QueueView {
            agency: agency.to_string(),
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
    html(&ctx, StatusCode::OK, &page)
}
