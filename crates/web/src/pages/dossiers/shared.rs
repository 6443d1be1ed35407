//! What the dossier pages share: names and formats in the page's language,
//! the page for a flow that stopped, and the signed-in account.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, FixedOffset};
use dossier::{Act, Channel, Status, Urgency};

use crate::auth::login_href;
use crate::pages::i18n::{Lang, Tr};
use crate::pages::layout::{Ctx, message, server_error};
use crate::reply::see_other;
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow::Account;
use crate::state::AppState;

pub(super) fn when(t: &DateTime<FixedOffset>) -> String {
    t.format("%H:%M %d/%m/%Y").to_string()
}

pub(super) fn money(t: Tr, n: u64) -> String {
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

pub(super) fn pick<'a>(t: Tr, vi: &'a str, en: &'a str) -> &'a str {
    match t.0 {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

pub(super) fn status_name(t: Tr, s: Status) -> &'static str {
    pick(t, s.name_vi(), s.name_en())
}

pub(super) fn act_name(t: Tr, code: &str) -> &'static str {
    pick(t, Act::name_vi(code), Act::name_en(code))
}

pub(super) fn channel_name(t: Tr, c: Channel) -> &'static str {
    match c {
        Channel::Online => t.p_channel_online(),
        Channel::InPerson => t.p_channel_in_person(),
        Channel::Postal => t.p_channel_postal(),
    }
}

pub(super) fn urgency_name(t: Tr, u: Urgency) -> &'static str {
    match u {
        Urgency::Overdue => t.p_overdue(),
        Urgency::DueSoon => t.p_due_soon(),
        Urgency::OnTime => t.p_on_time(),
        Urgency::None => "",
    }
}

pub(super) fn urgency_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Overdue => "overdue",
        Urgency::DueSoon => "due-soon",
        Urgency::OnTime => "on-time",
        Urgency::None => "",
    }
}

pub(super) fn flow_failed(ctx: &Ctx, e: FlowError) -> Response {
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

pub(super) async fn signed_in(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    back: &str,
) -> Result<Account, Response> {
    match crate::auth::session::current(state, headers).await {
        Ok(Some((_, account))) => Ok(account),
        Ok(None) => Err(see_other(&login_href(back))),
        Err(e) => {
            tracing::error!(error = %e, "reading a session");
            Err(server_error(ctx))
        }
    }
}

pub(super) fn person_id(account: &Account) -> Option<String> {
    match &account.holder {
        identity::Holder::Citizen(c) => Some(c.pin().to_string()),
        _ => None,
    }
}
