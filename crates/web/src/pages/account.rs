//! The account page: the holder's account, its factors and the audit
//! trail of every log-in, failure, lock and change, behind the holder's
//! own log-in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::Tr;
use crate::auth::SignedIn;
use crate::pages::failure::PageError;
use crate::pages::layout::{Ctx, Layout, csrf_page};
use crate::reply::no_store;
use crate::services::identity::accounts;
use crate::state::AppState;
use calendar::VIETNAM;

/// The page's path (Vietnamese) and its English alias.
pub const PATH: &str = "/tai-khoan";
pub const PATH_EN: &str = "/account";

/// How many lines of the audit trail the page shows.
const TRAIL: u32 = 100;

pub struct TrailRow {
    pub when: String,
    pub when_utc: String,
    pub event: String,
    pub client: String,
    pub detail: String,
}

#[derive(askama::Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    t: Tr,
    name: String,
    identifier: String,
    kind: &'static str,
    level: String,
    second_factor: bool,
    rows: Vec<TrailRow>,
    csrf: String,
    is_person: bool,
    passkeys: usize,
    /// passkeys can be added here: the server is served under a domain
    /// name, which WebAuthn binds them to
    passkeys_offered: bool,
}

/// `GET /tai-khoan` (`/account`)
pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let subject = account.holder.subject();
    let trail = accounts::audit_trail(&state, subject, TRAIL).await?;
    let rows = trail
        .into_iter()
        .map(|e| TrailRow {
            when: e
                .at
                .with_timezone(&VIETNAM)
                .format("%d/%m/%Y %H:%M:%S")
                .to_string(),
            when_utc: e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            event: t.audit_event(&e.event).to_string(),
            client: e.client.unwrap_or_default(),
            detail: t.audit_detail(&e.event, &e.detail),
        })
        .collect();
    let (kind, is_person) = match &account.holder {
        identity::Holder::Citizen(_) => (t.account_citizen(), true),
        identity::Holder::Foreigner(_) => (t.account_foreigner(), true),
        identity::Holder::Organisation(_) => (t.account_organisation(), false),
    };
    let identifier = account.holder.login_id().to_string();
    let passkeys = accounts::passkeys_of(&state, subject).await?.len();
    let page = |csrf| AccountPage {
        l: ctx.layout(t.account_title(), "account"),
        t,
        name: account.name.clone(),
        identifier,
        kind,
        level: account.level.map_or("—", |l| t.level_name(l)).to_string(),
        second_factor: account.totp.is_some(),
        rows,
        csrf,
        is_person,
        passkeys_offered: identity::webauthn::RelyingParty::of_issuer(state.oidc.issuer())
            .is_some_and(|rp| rp.verifier().is_ok()),
        passkeys,
    };
    Ok(csrf_page(&ctx, StatusCode::OK, page, no_store)?)
}
