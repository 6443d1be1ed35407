//! Logging out (OpenID Connect RP-Initiated Logout).
//!
//! | route | what |
//! | --- | --- |
//! | `GET`/`POST /oidc/logout` | ends the session, at once or once the person confirms |

use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use identity::client::ClientId;

use crate::auth::session;
use crate::oidc::flow::{query_pairs, with_form_action, with_params};
use crate::pages::csrf;
use crate::pages::failure::{PageError, notice};
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page};
use crate::reply::{see_other, with_cookie};
use crate::services::identity::records::{AuditEntry, StoreError};
use crate::services::identity::{accounts, clients, grants};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "logout.html")]
pub(crate) struct LogoutPage {
    pub(crate) l: Layout,
    pub(crate) t: Tr,
    pub(crate) csrf: String,
    pub(crate) params: Vec<(&'static str, String)>,
}

/// The parameters of a log-out request.
#[derive(serde::Deserialize, Default)]
pub struct LogoutParams {
    pub(crate) id_token_hint: Option<String>,
    pub(crate) post_logout_redirect_uri: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) csrf_token: Option<String>,
    pub(crate) confirm: Option<String>,
}

/// `GET /oidc/logout` (OpenID Connect RP-Initiated Logout 1.0).
pub(crate) async fn logout_get(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.unwrap_or_default();
    let params = match query_pairs(&query) {
        Ok(_) => serde_urlencoded::from_str::<LogoutParams>(&query).unwrap_or_default(),
        Err(e) => return Err(bad_logout(ctx.t(), &e)),
    };
    logout(&state, &ctx, &headers, params, false).await
}

/// `POST /oidc/logout`: the same, or the person's confirmation.
pub(crate) async fn logout_post(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(params): Form<LogoutParams>,
) -> Result<Response, PageError> {
    let confirmed = params.confirm.as_deref() == Some("1")
        && ctx.csrf_ok(csrf::Check::Session, params.csrf_token.as_deref());
    logout(&state, &ctx, &headers, params, confirmed).await
}

/// What an `id_token_hint` says: the client it was issued to, and the
/// account (mapped back from a pairwise identifier) of the person who
/// logged in — for an organisation's token, the person acting for it.
pub(crate) struct Hint {
    pub(crate) client_id: String,
    pub(crate) person: Option<identity::SubjectId>,
}

/// Reads an `id_token_hint`: an ID token this provider signed (expired or
/// not: only its signature, type and issuer matter), never an access
/// token.
pub(crate) async fn read_hint(state: &AppState, token: &str) -> Result<Option<Hint>, StoreError> {
    let Ok(v) = state.oidc.verify(token, Utc::now()) else {
        return Ok(None);
    };
    let text = |k: &str| v.claims.get(k).and_then(|c| c.as_str());
    let is_id_token = v.typ.as_deref() == Some("JWT")
        && text("iss") == Some(state.oidc.issuer())
        && !v.claims.contains_key("client_id")
        && !v.claims.contains_key("scope");
    let (Some(client_id), true) = (text("aud"), is_id_token) else {
        return Ok(None);
    };
    let sub = v
        .claims
        .get("act")
        .and_then(|a| a.get("sub"))
        .and_then(|s| s.as_str())
        .or(text("sub"))
        .unwrap_or_default();
    let person = grants::internal_subject(state, client_id, sub).await?;
    Ok(Some(Hint {
        client_id: client_id.to_string(),
        person,
    }))
}

/// Ends the session: at once when the relying party proves the log-in
/// with an ID token this provider issued to the person of this session,
/// else once the person confirms; then back to a registered post-logout
/// URI, or a page saying so.
pub(crate) async fn logout(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    params: LogoutParams,
    confirmed: bool,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let bad = |text: &str| Err(bad_logout(t, text));
    let now = Utc::now();
    let hint = match params.id_token_hint.as_deref() {
        Some(token) => match read_hint(state, token).await? {
            Some(h) => Some(h),
            None => return bad("id_token_hint is not an ID token of this provider"),
        },
        None => None,
    };
    let client_id = match (hint.as_ref(), params.client_id.as_deref()) {
        (Some(h), Some(b)) if h.client_id != b => {
            return bad("client_id differs from the audience of id_token_hint");
        }
        (Some(h), _) => Some(h.client_id.clone()),
        (None, b) => b.map(str::to_string),
    };
    let client = match client_id.as_deref().map(ClientId::parse) {
        Some(Ok(id)) => clients::registered(state, &id).await?,
        Some(Err(_)) => None,
        None => None,
    };
    let back_to = match (&params.post_logout_redirect_uri, &client) {
        (None, _) => None,
        (Some(uri), Some(c)) if c.allows_post_logout(uri) => Some(uri.clone()),
        (Some(_), _) => {
            return bad(
                "post_logout_redirect_uri is not registered for the client (name it with \
                 id_token_hint or client_id)",
            );
        }
    };
    let cookie = session::session_cookie(headers);
    let live = match cookie {
        Some(c) => session::live(state, c, now).await?,
        None => None,
    };
    // the hint ends this session at once only when it names its person;
    // a hint of someone else (another browser's log-in) asks this person
    let hint_is_this_person = match (&hint, &live) {
        (Some(h), Some(s)) => h.person == Some(s.subject),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !hint_is_this_person && !confirmed {
        let mut kept = Vec::new();
        for (name, value) in [
            ("post_logout_redirect_uri", &params.post_logout_redirect_uri),
            ("state", &params.state),
            ("client_id", &client_id),
        ] {
            if let Some(v) = value {
                kept.push((name, v.clone()));
            }
        }
        let page = |csrf| LogoutPage {
            l: ctx.layout(t.logout_title(), ""),
            t,
            csrf,
            params: kept,
        };
        let finish = |res| match &back_to {
            Some(uri) => with_form_action(res, uri),
            None => res,
        };
        return Ok(csrf_page(ctx, StatusCode::OK, page, finish)?);
    }
    if let Some(cookie) = cookie {
        if let Some(s) = &live {
            let entry = AuditEntry {
                at: now,
                event: "logout".into(),
                client: client.as_ref().map(|c| c.id.to_string()),
                detail: "logged out".into(),
            };
            if let Err(e) = accounts::audit(state, s.subject, &entry).await {
                tracing::error!(error = %e, "writing the audit trail");
            }
        }
        accounts::end_session(state, &session::session_key(cookie)).await?;
    }
    let res = match back_to {
        Some(uri) => {
            let mut params_back = Vec::new();
            if let Some(s) = params.state.as_deref() {
                params_back.push(("state", s));
            }
            if params_back.is_empty() {
                see_other(&uri)
            } else {
                see_other(&with_params(&uri, &params_back))
            }
        }
        None => notice(&ctx.logged_out(), t.logout_title(), t.logout_done()),
    };
    Ok(with_cookie(res, &session::clear_cookie(state)))
}

/// A log-out request that cannot be understood.
fn bad_logout(t: Tr, text: &str) -> PageError {
    PageError::message(StatusCode::BAD_REQUEST, t.logout_bad(), text)
}
