//! Consent: a service that is not the platform's own reads only what the
//! person agreed to give it.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /oidc/consent` | the person's decision (CSRF-protected) |

use std::collections::BTreeSet;

use axum::http::StatusCode;
use axum::response::Response;
use identity::Holder;
use identity::authz::{AuthorizationRequest, AuthzError, Prompt};

use crate::auth::SignedIn;
use crate::oidc::act_for::act_page;
use crate::oidc::flow::{FlowStep, Posted, code_redirect};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::Layout;
use crate::reply::see_other;
use crate::services::identity::accounts;
use crate::services::identity::records::{AuditEntry, Session};

/// After a log-in (or with a live session): a person asked for an
/// organisation chooses which one to act for; otherwise the browser goes
/// back with a code.
pub(crate) async fn continue_with(
    step: FlowStep,
    session: &Session,
    is_person: bool,
) -> Result<Response, PageError> {
    // a service that is not the platform's own reads only what the person
    // agreed to
    if !step.client.trusted {
        let asked = asked_scopes(&step.request);
        let given =
            accounts::consented_scopes(&step.state, session.subject, step.client.id.as_str())
                .await?;
        let covered = given.is_some_and(|g| asked.is_subset(&g));
        if !covered || step.request.prompt == Some(Prompt::Consent) {
            if step.request.prompt == Some(Prompt::None) {
                return Ok(step.refuse(&AuthzError::ConsentRequired));
            }
            return consent_page(&step, &asked);
        }
    }
    after_consent(step, session, is_person).await
}

/// The scopes a request asks for beyond `openid`.
pub(crate) fn asked_scopes(request: &AuthorizationRequest) -> BTreeSet<String> {
    request
        .scopes
        .iter()
        .filter(|s| s.as_str() != "openid")
        .cloned()
        .collect()
}

/// Once the person agreed: the organisation to act for, or the code.
pub(crate) async fn after_consent(
    step: FlowStep,
    session: &Session,
    is_person: bool,
) -> Result<Response, PageError> {
    if is_person && step.request.scopes.contains("org") {
        return act_page(&step, session, None).await;
    }
    let to = code_redirect(step, session, None).await?;
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

/// The page asking the person to agree to give the client `asked`.
pub(crate) fn consent_page(
    step: &FlowStep,
    asked: &BTreeSet<String>,
) -> Result<Response, PageError> {
    let t = step.ctx.t();
    let mut scopes: Vec<&'static str> = asked.iter().map(|s| t.scope_words(s)).collect();
    if scopes.is_empty() {
        scopes.push(t.scope_words("openid"));
    }
    step.page(StatusCode::OK, |csrf| ConsentPage {
        l: step.ctx.layout(t.consent_title(), ""),
        t,
        client_name: step.client.name.clone(),
        request: step.query.clone(),
        csrf,
        scopes,
    })
}

/// The consent form's own field: the person's decision.
#[derive(serde::Deserialize)]
pub struct ConsentForm {
    pub(crate) decision: Option<String>,
}

/// `POST /oidc/consent`: the person agrees (remembered for this client) or
/// declines (the client hears `access_denied`).
pub(crate) async fn consent(posted: Posted<ConsentForm>) -> Result<Response, PageError> {
    let Posted {
        step,
        signed_in: SignedIn { session, account },
        form,
    } = posted;
    let state = &step.state;
    let client_id = step.client.id.to_string();
    let asked = asked_scopes(&step.request);
    let listed = asked.iter().cloned().collect::<Vec<_>>().join(" ");
    if form.decision.as_deref() != Some("allow") {
        let entry = AuditEntry {
            at: step.now,
            event: "consent_refused".into(),
            client: Some(client_id),
            detail: listed,
        };
        if let Err(e) = accounts::audit(state, session.subject, &entry).await {
            tracing::error!(error = %e, "writing the audit trail");
        }
        return Ok(step.refuse(&AuthzError::AccessDenied));
    }
    let mut agreed = accounts::consented_scopes(state, session.subject, &client_id)
        .await?
        .unwrap_or_default();
    agreed.extend(asked.iter().cloned());
    let stored =
        accounts::give_consent(state, session.subject, &client_id, &agreed, step.now).await;
    let entry = AuditEntry {
        at: step.now,
        event: "consent_given".into(),
        client: Some(client_id),
        detail: listed,
    };
    let audited = accounts::audit(state, session.subject, &entry).await;
    stored.and(audited)?;
    let is_person = !matches!(account.holder, Holder::Organisation(_));
    after_consent(step, &session, is_person).await
}
