//! What the dossier pages share: names and formats in the page's language,
//! and the signed-in account.

use axum::http::HeaderMap;
use chrono::{DateTime, FixedOffset};
use dossier::{Act, Channel, Status, Urgency};

use crate::pages::failure::PageError;
use crate::pages::i18n::{Lang, Tr};
use crate::pages::layout::Ctx;
use crate::services::dossiers::flow::Account;
use crate::state::AppState;

/// An agency's name in the page's language (its code when it has none).
pub(crate) fn agency(t: Tr, code: &dossier::AgencyCode) -> String {
    match dossier::agency_name(code) {
        Some(name) => pick(t, &name.vi, &name.en).to_string(),
        None => code.to_string(),
    }
}

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

pub(super) use crate::pages::i18n::pick;

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

/// The account signed in, or the log-in page coming back to `back`.
/// The account logged in, as the request's header read it (read here when
/// it was not); without one, to the log-in page and back to `back`.
pub(super) async fn signed_in(
    ctx: &Ctx,
    state: &AppState,
    headers: &HeaderMap,
    back: &str,
) -> Result<Account, PageError> {
    let account = match ctx.signed() {
        Some(signed) => signed.map(|s| s.1.clone()),
        None => crate::auth::session::current(state, headers)
            .await?
            .map(|(_, account)| account),
    };
    account.ok_or_else(|| PageError::SignIn(back.to_string()))
}

pub(super) fn person_id(account: &Account) -> Option<String> {
    match &account.holder {
        identity::Holder::Citizen(c) => Some(c.pin().to_string()),
        _ => None,
    }
}
