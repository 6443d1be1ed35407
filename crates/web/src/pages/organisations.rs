//! "Act for an organisation": the organisations a person represents or
//! heads, the authorisations each has given, and the forms to authorise a
//! person, consent to an authorisation as a co-representative, or revoke
//! one. Behind a level-2 log-in (password and one-time code, or a passkey).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use identity::{AssuranceLevel, Authorisation, Holder, LoginId, Scope, SubjectId};
use serde::Deserialize;

use crate::auth::SignedIn;
use crate::auth::login_href;
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page};
use crate::reply::no_store;
use crate::services::organisations::{self, OrgError};
use crate::state::AppState;
use calendar::VIETNAM;

/// The page's path (Vietnamese) and its English alias.
pub const PATH: &str = "/tai-khoan/to-chuc";
pub const PATH_EN: &str = "/account/organisations";

pub struct GrantRow {
    pub id: String,
    pub grantee: String,
    pub scope: String,
    pub period: String,
    pub state: String,
    /// This person may consent now.
    pub can_consent: bool,
    /// This person may revoke now.
    pub can_revoke: bool,
}

pub struct OrgView {
    pub subject: String,
    pub name: String,
    pub tax_code: String,
    pub role: &'static str,
    pub grants: Vec<GrantRow>,
}

#[derive(askama::Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    l: Layout,
    t: Tr,
    orgs: Vec<OrgView>,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
}

/// Refuses a person not logged in at level 2, who may not manage
/// authorisations.
fn needs_level2(t: Tr, signed_in: &SignedIn) -> Result<(), PageError> {
    if signed_in.session.level >= AssuranceLevel::Level2 {
        return Ok(());
    }
    Err(
        PageError::message(StatusCode::FORBIDDEN, t.org_title(), t.org_needs_level2())
            .with_link(login_href(PATH), t.login_button()),
    )
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    me: SubjectId,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let now = Utc::now().with_timezone(&VIETNAM);
    let orgs = organisations::organisations_of(state, me).await?;
    let mut names: BTreeMap<SubjectId, String> = BTreeMap::new();
    let mut views = Vec::new();
    for (account, org) in orgs {
        let grants = organisations::authorisations_by(state, org.subject()).await?;
        let mut rows = Vec::new();
        for a in grants {
            let grantee = match names.get(&a.grantee()) {
                Some(n) => n.clone(),
                None => {
                    let n = match organisations::account(state, a.grantee()).await {
                        Ok(Some(g)) => format!("{} ({})", g.name, g.holder.login_id()),
                        _ => a.grantee().to_string(),
                    };
                    names.insert(a.grantee(), n.clone());
                    n
                }
            };
            let missing = a.missing_consents(&org, now);
            let state_text = if let Some(r) = a.revoked() {
                format!("{} {}", t.org_revoked(), r.at.format("%d/%m/%Y"))
            } else if now >= a.valid_until() {
                t.org_expired().to_string()
            } else if missing.is_empty() {
                t.org_in_force().to_string()
            } else {
                format!("{} {}", t.org_waiting(), missing.len())
            };
            rows.push(GrantRow {
                id: a.id().to_string(),
                grantee,
                scope: match a.scope() {
                    Scope::AllServices => t.org_all_services().to_string(),
                    Scope::Services(set) => set
                        .iter()
                        .map(|s| s.as_str().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                period: format!(
                    "{} – {}",
                    a.valid_from().format("%d/%m/%Y"),
                    a.valid_until().format("%d/%m/%Y")
                ),
                state: state_text,
                can_consent: a.revoked().is_none() && missing.contains(&me),
                can_revoke: a.revoked().is_none()
                    && (org.is_representative(me) || org.head() == Some(me)),
            });
        }
        views.push(OrgView {
            subject: org.subject().to_string(),
            name: account.name.clone(),
            tax_code: org.tax_code().to_string(),
            role: if org.is_representative(me) {
                t.act_as_representative()
            } else {
                t.act_as_head()
            },
            grants: rows,
        });
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = |csrf| OrganisationsPage {
        l: ctx.layout(t.org_title(), "account"),
        t,
        orgs: views,
        csrf,
        notice,
        error,
    };
    Ok(csrf_page(ctx, status, page, no_store)?)
}

/// `GET /tai-khoan/to-chuc`
pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    needs_level2(ctx.t(), &signed_in)?;
    render(&state, &ctx, signed_in.session.subject, None, None).await
}

/// The forms of the page.
#[derive(Deserialize)]
pub struct OrgForm {
    csrf_token: Option<String>,
    action: Option<String>,
    organisation: Option<String>,
    authorisation: Option<String>,
    grantee: Option<String>,
    days: Option<u32>,
    services: Option<String>,
}

/// `POST /tai-khoan/to-chuc`: authorise, consent or revoke.
pub async fn submit(
    ctx: Ctx,
    State(state): State<AppState>,
    signed_in: SignedIn,
    Form(form): Form<OrgForm>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    if !ctx.csrf_ok(csrf::Check::Session, form.csrf_token.as_deref()) {
        return Err(crate::oidc::flow::expired_form(&ctx));
    }
    needs_level2(t, &signed_in)?;
    let me = signed_in.session.subject;
    match act(&state, t, me, &form).await {
        Ok(notice) => render(&state, &ctx, me, Some(notice), None).await,
        Err(Refused::Told(error)) => {
            // an organisation this person does not represent is refused for
            // who they are (403); a change the rules refuse is 422
            let not_yours = error == t.org_not_yours();
            let mut page = render(&state, &ctx, me, None, Some(error)).await?;
            if not_yours && page.status() == StatusCode::UNPROCESSABLE_ENTITY {
                *page.status_mut() = StatusCode::FORBIDDEN;
            }
            Ok(page)
        }
        Err(Refused::Failed(e)) => Err(e.into()),
    }
}

/// Why the form's change was not made.
enum Refused {
    /// Shown on the page: the rules refuse it.
    Told(String),
    /// The store failed.
    Failed(OrgError),
}

impl From<OrgError> for Refused {
    fn from(e: OrgError) -> Self {
        Refused::Failed(e)
    }
}

/// Does what the form asks; the notice to show, or the refusal.
async fn act(state: &AppState, t: Tr, me: SubjectId, form: &OrgForm) -> Result<String, Refused> {
    let now = Utc::now().with_timezone(&VIETNAM);
    let org_id = form
        .organisation
        .as_deref()
        .and_then(|o| SubjectId::parse(o).ok())
        .ok_or_else(|| Refused::Told(t.org_not_yours().to_string()))?;
    // only an organisation this person represents or heads
    let (_, org) = organisations::organisations_of(state, me)
        .await?
        .into_iter()
        .find(|(_, o)| o.subject() == org_id)
        .ok_or_else(|| Refused::Told(t.org_not_yours().to_string()))?;
    match form.action.as_deref() {
        Some("grant") => {
            let grantee_id = form.grantee.as_deref().unwrap_or_default();
            let key = LoginId::parse(grantee_id)
                .map_err(|e| Refused::Told(e.to_string()))?
                .key();
            let grantee = organisations::account_by_login(state, &key)
                .await?
                .filter(|a| !matches!(a.holder, Holder::Organisation(_)))
                .ok_or_else(|| Refused::Told(t.org_no_such_person().to_string()))?;
            let scope = match form
                .services
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => Scope::AllServices,
                Some(list) => Scope::services(
                    list.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(identity::ServiceCode::parse)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| Refused::Told(e.to_string()))?,
                )
                .map_err(|e| Refused::Told(e.to_string()))?,
            };
            let days = form.days.unwrap_or(365).clamp(1, 3650);
            let mut a = Authorisation::new(
                uuid::Uuid::new_v4(),
                &org,
                grantee.holder.subject(),
                scope,
                now,
                now + chrono::Duration::days(i64::from(days)),
            )
            .map_err(|e| Refused::Told(e.to_string()))?;
            if org.is_representative(me) {
                a.consent(&org, me, now)
                    .map_err(|e| Refused::Told(e.to_string()))?;
            }
            organisations::put_authorisation(
                state,
                me,
                &a,
                "authorisation_given",
                format!("{} → {}", org.tax_code(), grantee.name),
            )
            .await?;
            Ok(t.org_granted().to_string())
        }
        Some(action @ ("consent" | "revoke")) => {
            let id = form
                .authorisation
                .as_deref()
                .and_then(|a| uuid::Uuid::parse_str(a).ok())
                .ok_or_else(|| Refused::Told(t.org_not_yours().to_string()))?;
            let mut a = organisations::authorisation(state, id)
                .await?
                .filter(|a| a.organisation() == org.subject())
                .ok_or_else(|| Refused::Told(t.org_not_yours().to_string()))?;
            if action == "consent" {
                a.consent(&org, me, now)
                    .map_err(|e| Refused::Told(e.to_string()))?;
            } else {
                a.revoke(&org, me, now)
                    .map_err(|e| Refused::Told(e.to_string()))?;
            }
            let event = if action == "consent" {
                "authorisation_consented"
            } else {
                "authorisation_revoked"
            };
            let detail = format!("{} {}", org.tax_code(), a.id());
            organisations::put_authorisation(state, me, &a, event, detail).await?;
            Ok(if action == "consent" {
                t.org_consented().to_string()
            } else {
                t.org_revoked_done().to_string()
            })
        }
        _ => Err(Refused::Told(t.login_bad_request().to_string())),
    }
}
