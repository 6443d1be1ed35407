//! A dossier's page — its steps, its form, its slips and the acts open to
//! whoever looks (the applicant, or the staff of its agencies) — and the
//! acts sent from it.

use crate::auth::SignedIn;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Redirect, Response};
use chrono::{NaiveDate, NaiveTime};
use dossier::{Act, Actor, Dossier, Outcome, Procedure, Role, Status};
use serde::Deserialize;

use super::mine::dossier_row;
use super::reported::{self, ReportedView, view as reported_view};
use super::shared::{act_name, agency, channel_name, pick, signed_in, status_name, when};
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page};
use crate::services::Stores as _;
use crate::services::cutover::{self, Leads};
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow::{self, Account};
use crate::services::dossiers::records;
use crate::state::AppState;

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
/// The steps of `d` (form 05): who, by name and agency; for its agencies'
/// staff (`staff`), the result proposed on the step that proposed it.
pub(super) fn step_rows(t: Tr, d: &Dossier, staff: bool) -> Vec<StepRow> {
    d.control
        .iter()
        .map(|c| {
            let comment = c.comment.clone().unwrap_or_default();
            let proposed = d
                .proposal
                .as_ref()
                .filter(|p| staff && c.act == "propose" && p.at == c.at)
                .map(|p| format!("{}: {}", outcome_name(t, p.outcome), p.summary));
            StepRow {
                when: when(&c.at),
                when_iso: c.at.to_rfc3339(),
                who: match &c.agency {
                    Some(a) if staff => format!("{} ({})", c.name, agency(t, a)),
                    _ => c.name.clone(),
                },
                what: act_name(t, &c.act),
                status: status_name(t, c.to),
                comment: match (proposed, comment.is_empty()) {
                    (Some(p), true) => p,
                    (Some(p), false) => format!("{p} · {comment}"),
                    (None, _) => comment,
                },
            }
        })
        .collect()
}

/// The result an officer proposed, as the leader who approves it reads it.
pub struct ProposalView {
    pub outcome: &'static str,
    pub summary: String,
    pub by: String,
    pub at: String,
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
pub(super) struct DossierPage {
    l: Layout,
    t: Tr,
    code: String,
    /// Its code on a closed provincial portal, when it came from one.
    old_code: String,
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
    /// The result proposed (for the agencies' staff).
    proposal: Option<ProposalView>,
    /// The outcome, once the result is processed (for everyone who sees
    /// the dossier): issued or refused.
    outcome: &'static str,
    /// The result issued can be viewed and printed.
    result_ready: bool,
    /// What the back office handling it reports, when one does.
    reported: Option<ReportedView>,
    notice: String,
    error: String,
    csrf: String,
}

/// The dossier's form as its reader reads it: in the form's order, each
/// value in words (a date day first, the place by name, yes or no).
pub(super) fn form_rows(t: Tr, d: &Dossier, p: &Procedure) -> Vec<FormRow> {
    let schema = p.schema();
    let in_order = schema
        .fields()
        .iter()
        .filter_map(|f| d.form.get(&f.key).map(|v| (f.key.as_str(), v)));
    let others = d
        .form
        .iter()
        .filter(|(k, _)| schema.field(k).is_none())
        .map(|(k, v)| (k.as_str(), v));
    in_order
        .chain(others)
        .map(|(key, v)| {
            let field = schema.field(key);
            let value = match (field.map(|f| &f.kind), v) {
                (_, serde_json::Value::String(s)) if key == "place" => place_name(s),
                // a date (a field of dates, or one the registry filled) day first
                (_, serde_json::Value::String(s))
                    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() =>
                {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_or_else(|_| s.clone(), |day| day.format("%d/%m/%Y").to_string())
                }
                (_, serde_json::Value::Bool(b)) => {
                    if *b { t.p_yes() } else { t.p_no() }.to_string()
                }
                (_, serde_json::Value::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            };
            FormRow {
                label: field
                    .map(|f| {
                        if key == "place" {
                            t.p_place().to_string()
                        } else {
                            pick(t, &f.title_vi, &f.title_en).to_string()
                        }
                    })
                    .unwrap_or_else(|| key.to_string()),
                value,
                prefilled: d.prefilled.iter().any(|k| k == key),
            }
        })
        .collect()
}

/// An outcome in words.
fn outcome_name(t: Tr, outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Issued => t.p_outcome_was_issued(),
        Outcome::Refused => t.p_outcome_was_refused(),
    }
}

/// A commune or province by its name (the code itself when unknown).
fn place_name(code: &str) -> String {
    let units = units::Units::get();
    units
        .commune(code)
        .map(|c| {
            let province = units
                .province(&c.province_code)
                .map(|p| format!(", {}", p.name))
                .unwrap_or_default();
            format!("{}{province}", c.name)
        })
        .or_else(|| units.province(code).map(|p| p.name.clone()))
        .unwrap_or_else(|| code.to_string())
}

/// The acts open to `actors` (how the viewer may act) on `d` now, tried
/// on a copy, the likely next one first.
pub(super) fn open_acts(
    actors: &[Actor],
    d: &Dossier,
    p: &Procedure,
) -> Vec<(&'static str, &'static str)> {
    let Ok(calendar) = flow::working_calendar() else {
        return Vec::new();
    };
    let later = flow::now().max(d.control.last().map_or_else(flow::now, |c| c.at))
        + chrono::Duration::days(3650);
    // the way a dossier usually goes first, then the other turns it can take
    let candidates: Vec<(Act, &'static str)> = vec![
        (Act::Receive, ""),
        (Act::Claim, ""),
        (Act::StartProcessing, ""),
        // a leader approves a proposal before proposing another
        (Act::Approve, ""),
        (
            Act::Propose {
                outcome: Outcome::Issued,
                summary: "x".into(),
            },
            "outcome",
        ),
        (Act::ReturnResult, ""),
        (Act::Supplement { note: "x".into() }, "note"),
        (Act::PayFees, ""),
        (
            Act::Rate {
                score: 5,
                comment: None,
            },
            "score",
        ),
        (
            Act::Assign {
                subject: "x".into(),
                name: "x".into(),
                person_id: None,
            },
            "assignee",
        ),
        (
            Act::RequestSupplement {
                items: vec!["x".into()],
            },
            "items",
        ),
        (Act::RequestFees { amount_vnd: 1 }, "amount"),
        (Act::SendBack { reason: "x".into() }, "reason"),
        (
            Act::Apologise {
                reason: "x".into(),
                new_due: later,
            },
            "new_due",
        ),
        (Act::RefuseIntake { reason: "x".into() }, "reason"),
        (Act::Stop { reason: "x".into() }, "reason"),
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
    account: &Account,
    code: &str,
    notice: String,
    error: String,
) -> Result<Response, PageError> {
    let (stored, actors) = flow::load_knowing(state, account, code, ctx.staff_roles()).await?;
    show_dossier(state, ctx, &stored, &actors, notice, error).await
}

/// A dossier's page shown again to its viewer after what they asked, with
/// what was done or why it was not.
pub(super) struct Redisplay<'a> {
    pub state: &'a AppState,
    pub ctx: &'a Ctx,
    /// The viewer's account.
    pub account: Account,
    pub code: &'a str,
}

impl<'a> Redisplay<'a> {
    /// The page of dossier `code` for the viewer signed in, or the log-in
    /// page coming back to it.
    pub async fn for_viewer(
        state: &'a AppState,
        ctx: &'a Ctx,
        headers: &HeaderMap,
        code: &'a str,
    ) -> Result<Redisplay<'a>, PageError> {
        let account = signed_in(ctx, state, headers, &format!("/ho-so/{code}")).await?;
        Ok(Redisplay {
            state,
            ctx,
            account,
            code,
        })
    }

    /// The page with `notice`: what was done.
    pub async fn notice(&self, notice: String) -> Result<Response, PageError> {
        let (state, ctx, code) = (self.state, self.ctx, self.code);
        render_dossier(state, ctx, &self.account, code, notice, String::new()).await
    }

    /// The page with `error`: why it was not done.
    pub async fn error(&self, error: String) -> Result<Response, PageError> {
        let (state, ctx, code) = (self.state, self.ctx, self.code);
        render_dossier(state, ctx, &self.account, code, String::new(), error).await
    }

    /// The page after the flow refused: its reason shown (as a refusal
    /// when it is not the viewer's to do); any other failure is an error
    /// page.
    pub async fn refusal(&self, e: FlowError) -> Result<Response, PageError> {
        match e {
            FlowError::Forbidden(why) => {
                let t = self.ctx.t();
                refused(self.error(pick(t, &why.vi, &why.en).to_string()).await)
            }
            FlowError::Invalid(why) => {
                let t = self.ctx.t();
                self.error(pick(t, &why.vi, &why.en).to_string()).await
            }
            e => Err(e.into()),
        }
    }
}

/// The dossier's page as the viewer sees it, who may act as `actors`.
pub(super) async fn show_dossier(
    state: &AppState,
    ctx: &Ctx,
    stored: &records::StoredDossier,
    actors: &[Actor],
    notice: String,
    error: String,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let d = &stored.dossier;
    let p = flow::procedure(&d.procedure)?;
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
    // delivered to a province's back office, it is processed there: its
    // status is the one the office reports, and while that is past this
    // record, acts on the record would be judged against what no longer
    // holds
    let report =
        crate::services::backoffice::reported::of_code(state.stores(), &d.code.to_string())
            .await
            .map_err(FlowError::from)?;
    let elsewhere = report.as_ref().is_some_and(|r| r.status != d.status());
    let reported = match &report {
        Some(r) => Some(reported_view(state, t, r, elsewhere).await?),
        None => None,
    };
    let acts: Vec<ActForm> = open_acts(actors, d, p)
        .into_iter()
        .filter(|_| !elsewhere)
        .map(|(code, needs)| ActForm {
            code,
            label: act_name(t, code),
            needs,
        })
        .collect();
    let staff = if acts.iter().any(|a| a.needs == "assignee") {
        flow::assignable(state, &d.route.competent)
            .await?
            .into_iter()
            .map(|m| {
                let current = d.assignee.as_ref().is_some_and(|a| a.subject == m.subject);
                let name = match m.role {
                    Role::Leader => format!("{} ({})", m.name, t.p_role_leader()),
                    _ => m.name,
                };
                (m.subject, name, current)
            })
            .collect()
    } else {
        Vec::new()
    };
    let attached = records::attachments(state, &d.code)
        .await
        .map_err(FlowError::from)?;
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
    let can_attach = !elsewhere && actors.iter().any(|a| flow::may_attach(a, d, p));
    let (status_text, status_code) = match &report {
        Some(r) => (status_name(t, r.status), r.status.code()),
        None => (row.status, row.status_code),
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = |csrf| DossierPage {
        l: ctx.layout(format!("{} {}", t.p_code(), d.code), "dossiers"),
        t,
        code: d.code.to_string(),
        old_code: row.old_code.clone(),
        version: stored.version,
        procedure: row.procedure,
        status: status_text,
        status_code,
        channel: channel_name(t, d.channel),
        applicant: d.applicant.name.clone(),
        submitted: row.submitted,
        // the appointment the office handling it gave, when it gave one
        due: report
            .as_ref()
            .and_then(|r| r.due())
            .map_or(row.due, |d| when(&d.with_timezone(&calendar::VIETNAM))),
        urgency: if is_staff { row.urgency } else { "" },
        urgency_class: row.urgency_class,
        competent: agency(t, &d.route.competent),
        receiving: agency(t, &d.route.receiving),
        assignee: row.assignee,
        steps: step_rows(t, d, is_staff),
        form: form_rows(t, d, p),
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
        proposal: d
            .proposal
            .as_ref()
            .filter(|_| is_staff)
            .map(|pr| ProposalView {
                outcome: outcome_name(t, pr.outcome),
                summary: pr.summary.clone(),
                by: pr.by.clone(),
                at: when(&pr.at),
            }),
        outcome: d.lifecycle.outcome().map_or("", |o| outcome_name(t, o)),
        result_ready: crate::services::dossiers::result::issued(d).is_some(),
        reported,
        staff,
        notice,
        error,
        csrf,
    };
    Ok(csrf_page(ctx, status, page, |res| res)?)
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
    SignedIn { account, .. }: SignedIn,
    Path(code): Path<String>,
    Query(params): Query<DossierParams>,
) -> Result<Response, PageError> {
    let page = Redisplay {
        state: &state,
        ctx: &ctx,
        account,
        code: &code,
    };
    let notice = if params.moi.is_some() {
        format!("{} {code}", ctx.t().p_filed())
    } else {
        String::new()
    };
    match page.notice(notice).await {
        // no dossier filed here has this code: it may be one received at a
        // province's counter, known by its back office's reports, or a
        // former code (of a closed provincial portal), which leads to the
        // dossier
        Err(PageError::Flow(FlowError::NotFound(why))) => {
            if let Some(shown) = reported::page(&state, &ctx, &page.account, &code).await? {
                return Ok(shown);
            }
            match cutover::leads(state.stores(), &code).await? {
                Leads::To(new) => Ok(Redirect::to(&format!("/ho-so/{new}")).into_response()),
                Leads::Several => {
                    let query =
                        serde_urlencoded::to_string([("ma", code.trim())]).unwrap_or_default();
                    Ok(Redirect::to(&format!("/tra-cuu-ho-so?{query}")).into_response())
                }
                Leads::Here(_) | Leads::Nowhere => Err(PageError::Flow(FlowError::NotFound(why))),
            }
        }
        other => other,
    }
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

pub(super) fn act_of(f: &ActParams) -> Result<Act, String> {
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
                .and_local_timezone(calendar::VIETNAM)
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
) -> Result<Response, PageError> {
    if !ctx.csrf_ok(csrf::Check::Session, f.csrf_token.as_deref()) {
        return Err(crate::oidc::flow::expired_form(&ctx));
    }
    let again = Redisplay::for_viewer(&state, &ctx, &headers, &code).await?;
    let account = &again.account;
    let t = ctx.t();
    let act = match act_of(&f) {
        Ok(a) => a,
        Err(m) => return again.error(m).await,
    };
    let act_code = act.code();
    // the rating's words go with the rating, not on the control slip
    let comment = if act_code == "rate" {
        None
    } else {
        f.comment.as_deref()
    };
    match flow::act(&state, account, &code, act, comment, f.version).await {
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
        Err(FlowError::Conflict(_)) => again.error(t.p_conflict().into()).await,
        Err(e) => again.refusal(e).await,
    }
}

/// The dossier's page shown again with why the viewer may not do what they
/// asked (it is not theirs to do, or the dossier is their own): 403, like
/// every refusal of who someone is (a rule of the dossier's state is 422).
fn refused(page: Result<Response, PageError>) -> Result<Response, PageError> {
    let mut page = page?;
    if page.status() == StatusCode::UNPROCESSABLE_ENTITY {
        *page.status_mut() = StatusCode::FORBIDDEN;
    }
    Ok(page)
}
