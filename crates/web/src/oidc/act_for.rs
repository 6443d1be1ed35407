//! Acting for an organisation: a person asked for the `org` scope chooses
//! the organisation they act for, as its representative or under an
//! authorisation it gave.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /oidc/act` | the organisation chosen (CSRF-protected) |

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use identity::authz::AuthzError;
use identity::client::Client;
use identity::{AssuranceLevel, Holder};

use crate::auth::SignedIn;
use crate::oidc::flow::{FlowStep, Posted, RequestBack, code_redirect, error_redirect};
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::Layout;
use crate::reply::see_other;
use crate::services::identity::accounts;
use crate::services::identity::records::{Account, AuditEntry, Session};
use crate::state::AppState;

pub(crate) struct Choice {
    pub(crate) subject: String,
    pub(crate) name: String,
    pub(crate) tax_code: String,
    pub(crate) capacity: Option<&'static str>,
    pub(crate) refusal: String,
}

#[derive(askama::Template)]
#[template(path = "act.html")]
pub(crate) struct ActPage {
    pub(crate) l: Layout,
    pub(crate) t: Tr,
    pub(crate) client_name: String,
    pub(crate) request: String,
    pub(crate) csrf: String,
    pub(crate) choices: Vec<Choice>,
    pub(crate) cancel: String,
    pub(crate) error: Option<String>,
}

/// The service an authorisation must cover for `client`: its id, as a
/// service code.
pub(crate) fn service_of(client: &Client) -> Result<identity::ServiceCode, PageError> {
    identity::ServiceCode::parse(&client.id.as_str().to_ascii_lowercase()).map_err(|e| {
        PageError::internal(
            &format!("the client id {} is not a service code", client.id),
            e,
        )
    })
}

pub(crate) fn refusal_text(t: Tr, refusal: &identity::ActRefusal) -> &'static str {
    use identity::ActRefusal as R;
    match refusal {
        R::NeedsLevel2 { .. } => t.act_refused_level2(),
        R::NotAuthorised => t.act_refused_not_authorised(),
        R::OutOfScope { .. } => t.act_refused_scope(),
        R::NotYetValid { .. } => t.act_refused_not_yet(),
        R::Expired { .. } => t.act_refused_expired(),
        R::Revoked { .. } => t.act_refused_revoked(),
        R::MissingConsent { .. } => t.act_refused_consent(),
    }
}

/// Whether `person` (logged in at `level`) may act for `organisation` on
/// `client`'s service now: the organisation's account and the decision.
pub(crate) async fn acting(
    state: &AppState,
    client: &Client,
    person: identity::SubjectId,
    level: AssuranceLevel,
    organisation: identity::SubjectId,
    now: DateTime<Utc>,
) -> Result<
    Option<(
        Account,
        Result<identity::ActingCapacity, identity::ActRefusal>,
    )>,
    PageError,
> {
    let Some(account) = accounts::account(state, organisation).await? else {
        return Ok(None);
    };
    let Holder::Organisation(org) = &account.holder else {
        return Ok(None);
    };
    let authorisations = accounts::authorisations_of(state, person).await?;
    let service = service_of(client)?;
    let vietnam = domain::VIETNAM;
    let decision = identity::may_act(
        person,
        level,
        org,
        &service,
        now.with_timezone(&vietnam),
        &authorisations,
    );
    Ok(Some((account, decision)))
}

/// The page where the person chooses the organisation to act for, with
/// why one cannot be chosen (and `error`, when a choice was refused).
pub(crate) async fn act_page(
    step: &FlowStep,
    session: &Session,
    error: Option<String>,
) -> Result<Response, PageError> {
    let FlowStep {
        state,
        ctx,
        client,
        request,
        now,
        ..
    } = step;
    let t = ctx.t();
    let person = session.subject;
    let mut candidates = accounts::organisations_of(state, person).await?;
    let authorisations = accounts::authorisations_of(state, person).await?;
    candidates.extend(authorisations.iter().map(|a| a.organisation()));
    candidates.sort();
    candidates.dedup();
    let mut choices = Vec::new();
    for org in candidates {
        let (account, decision) =
            match acting(state, client, person, session.level, org, *now).await {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(error = %e, "reading an organisation");
                    continue;
                }
            };
        let Holder::Organisation(o) = &account.holder else {
            continue;
        };
        let (capacity, refusal) = match &decision {
            Ok(identity::ActingCapacity::LegalRepresentative) => {
                (Some(t.act_as_representative()), String::new())
            }
            Ok(identity::ActingCapacity::Head) => (Some(t.act_as_head()), String::new()),
            Ok(identity::ActingCapacity::Authorised { .. }) => {
                (Some(t.act_as_authorised()), String::new())
            }
            Err(r) => (None, refusal_text(t, r).to_string()),
        };
        choices.push(Choice {
            subject: org.to_string(),
            name: account.name.clone(),
            tax_code: o.tax_code().to_string(),
            capacity,
            refusal,
        });
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    step.page(status, |csrf| ActPage {
        l: ctx.layout(t.act_title(), ""),
        t,
        client_name: client.name.clone(),
        request: step.query.clone(),
        csrf,
        choices,
        cancel: error_redirect(state, &RequestBack::of(request), &AuthzError::AccessDenied),
        error,
    })
}

/// The "act for" form's own field: the organisation chosen.
#[derive(serde::Deserialize)]
pub struct ActForm {
    pub(crate) organisation: Option<String>,
}

/// `POST /oidc/act`: the person acts for the organisation chosen, when
/// [`identity::may_act`] lets them; the code's subject is the
/// organisation and its actor the person (RFC 8693 `act`).
pub(crate) async fn act(posted: Posted<ActForm>) -> Result<Response, PageError> {
    let t = posted.step.ctx.t();
    let Posted {
        step,
        signed_in: SignedIn { session, .. },
        form,
    } = posted;
    let FlowStep {
        state, client, now, ..
    } = &step;
    let organisation = form
        .organisation
        .as_deref()
        .and_then(|o| identity::SubjectId::parse(o).ok());
    let decision = match organisation {
        Some(org) => acting(state, client, session.subject, session.level, org, *now).await,
        None => Ok(None),
    };
    let refusal = match decision? {
        None => t.act_refused_not_authorised().to_string(),
        Some((account, Ok(capacity))) => {
            let org = account.holder.subject();
            let audit = AuditEntry {
                at: *now,
                event: "acted_for_organisation".into(),
                client: Some(client.id.to_string()),
                detail: format!("{} ({capacity:?})", account.name),
            };
            accounts::audit(state, session.subject, &audit).await?;
            tracing::info!(client = %client.id, ?capacity, "acting for an organisation");
            let to = code_redirect(step, &session, Some(org)).await?;
            return Ok(see_other(&to));
        }
        Some((_, Err(refusal))) => refusal_text(t, &refusal).to_string(),
    };
    act_page(&step, &session, Some(refusal)).await
}
