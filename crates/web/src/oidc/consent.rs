//! Consent: a service that is not the platform's own reads only what the
//! person agreed to give it.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /oidc/consent` | the person's decision (CSRF-protected) |

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use identity::Holder;
use identity::authz::{AuthorizationRequest, AuthzError, Prompt};
use identity::client::Client;

use crate::auth::SignedIn;
use crate::oidc::act_for::act_page;
use crate::oidc::flow::{code_redirect, posted_step, refuse, with_form_action};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html, with_csrf};
use crate::reply::see_other;
use crate::services::identity::accounts;
use crate::services::identity::records::{AuditEntry, Session};
use crate::state::AppState;

/// After a log-in (or with a live session): a person asked for an
/// organisation chooses which one to act for; otherwise the browser goes
/// back with a code.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn continue_with(
    state: &AppState,
    ctx: &Ctx,
    client: &Client,
    request: AuthorizationRequest,
    query: &str,
    session: &Session,
    is_person: bool,
    now: DateTime<Utc>,
) -> Result<Response, PageError> {
    // a service that is not the platform's own reads only what the person
    // agreed to
    if !client.trusted {
        let asked = asked_scopes(&request);
        let given = accounts::consented_scopes(state, session.subject, client.id.as_str()).await?;
        let covered = given.is_some_and(|g| asked.is_subset(&g));
        if !covered || request.prompt == Some(Prompt::Consent) {
            if request.prompt == Some(Prompt::None) {
                return Ok(refuse(state, &request, &AuthzError::ConsentRequired));
            }
            return consent_page(ctx, client, &request, query, &asked);
        }
    }
    after_consent(state, ctx, client, request, query, session, is_person, now).await
}

/// The scopes a request asks for beyond `openid`.
pub(crate) fn asked_scopes(request: &AuthorizationRequest) -> std::collections::BTreeSet<String> {
    request
        .scopes
        .iter()
        .filter(|s| s.as_str() != "openid")
        .cloned()
        .collect()
}

/// Once the person agreed: the organisation to act for, or the code.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_consent(
    state: &AppState,
    ctx: &Ctx,
    client: &Client,
    request: AuthorizationRequest,
    query: &str,
    session: &Session,
    is_person: bool,
    now: DateTime<Utc>,
) -> Result<Response, PageError> {
    if is_person && request.scopes.contains("org") {
        return act_page(state, ctx, client, &request, query, session, None, now).await;
    }
    let to = code_redirect(state, client, request, session, None, now).await?;
    Ok(see_other(&to))
}

#[derive(askama::Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage {
    pub(crate) l: Layout,
    pub(crate) t: Tr,
    pub(crate) client_name: String,
    pub(crate) request: String,
    pub(crate) csrf: String,
    pub(crate) scopes: Vec<&'static str>,
}

pub(crate) fn consent_page(
    ctx: &Ctx,
    client: &Client,
    request: &AuthorizationRequest,
    query: &str,
    asked: &std::collections::BTreeSet<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (token, new) = ctx.csrf_token()?;
    let mut scopes: Vec<&'static str> = asked.iter().map(|s| t.scope_words(s)).collect();
    if scopes.is_empty() {
        scopes.push(t.scope_words("openid"));
    }
    let page = ConsentPage {
        l: ctx.layout(t.consent_title(), ""),
        t,
        client_name: client.name.clone(),
        request: query.to_string(),
        csrf: token.clone(),
        scopes,
    };
    let res = with_form_action(html(ctx, StatusCode::OK, &page), &request.redirect_uri);
    Ok(with_csrf(ctx, res, &token, new))
}

/// The consent form.
#[derive(serde::Deserialize)]
pub struct ConsentForm {
    pub(crate) csrf_token: Option<String>,
    pub(crate) request: Option<String>,
    pub(crate) decision: Option<String>,
}

/// `POST /oidc/consent`: the person agrees (remembered for this client) or
/// declines (the client hears `access_denied`).
pub(crate) async fn consent(
    State(state): State<AppState>,
    ctx: Ctx,
    signed_in: Option<SignedIn>,
    Form(form): Form<ConsentForm>,
) -> Result<Response, PageError> {
    let query = form.request.clone().unwrap_or_default();
    let csrf_token = form.csrf_token.as_deref();
    let (client, request, SignedIn { session, account }) =
        match posted_step(&state, &ctx, csrf_token, &query, signed_in).await? {
            Ok(step) => step,
            Err(answer) => return Ok(answer),
        };
    let now = Utc::now();
    let asked = asked_scopes(&request);
    let listed = asked.iter().cloned().collect::<Vec<_>>().join(" ");
    if form.decision.as_deref() != Some("allow") {
        let entry = AuditEntry {
            at: now,
            event: "consent_refused".into(),
            client: Some(client.id.to_string()),
            detail: listed,
        };
        if let Err(e) = accounts::audit(&state, session.subject, &entry).await {
            tracing::error!(error = %e, "writing the audit trail");
        }
        return Ok(refuse(&state, &request, &AuthzError::AccessDenied));
    }
    let mut agreed = accounts::consented_scopes(&state, session.subject, client.id.as_str())
        .await?
        .unwrap_or_default();
    agreed.extend(asked.iter().cloned());
    let entry = AuditEntry {
        at: now,
        event: "consent_given".into(),
        client: Some(client.id.to_string()),
        detail: listed,
    };
    let stored =
        accounts::give_consent(&state, session.subject, client.id.as_str(), &agreed, now).await;
    let audited = accounts::audit(&state, session.subject, &entry).await;
    stored.and(audited)?;
    let is_person = !matches!(account.holder, Holder::Organisation(_));
    after_consent(
        &state, &ctx, &client, request, &query, &session, is_person, now,
    )
    .await
}
