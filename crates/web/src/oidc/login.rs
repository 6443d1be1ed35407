//! The log-in page: the person logs in with their eID account (password,
//! and a one-time code for level 2), for a relying party's authorization
//! request or for the portal's own pages.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /oidc/login` | the log-in form (CSRF-protected); on success a session and a code |
//! | `GET /dang-nhap`, `GET /login` | the portal's own log-in page |

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use identity::AssuranceLevel;
use identity::authz::AuthorizationRequest;
use identity::client::Client;

use crate::auth::{SignedIn, session};
use crate::oidc::consent::continue_with;
use crate::oidc::flow::{
    FlowForm, FlowStep, expired_form, flow_request, person_level, safe_next, too_many,
    with_form_action,
};
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page};
use crate::reply::{see_other, with_cookie};
use crate::services::identity::login::{Factors, LEGACY_AMR, Purpose, Refused};
use crate::services::identity::records::Session;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub(crate) l: Layout,
    pub(crate) t: Tr,
    pub(crate) client_name: String,
    pub(crate) request: String,
    pub(crate) next: String,
    pub(crate) csrf: String,
    pub(crate) identifier: String,
    pub(crate) level2: bool,
    /// An old portal's organisation account logs in without a code, so the
    /// field is required only when the service itself asks for level 2.
    pub(crate) otp_required: bool,
    pub(crate) error: Option<String>,
}

/// The log-in page of `step`, with what the person typed and what went
/// wrong.
pub(crate) fn login_page(
    step: &FlowStep,
    identifier: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let request = &step.request;
    let form = PageKind {
        client_name: step.client.name.clone(),
        request: &step.query,
        next: "",
        level2: person_level(request) == AssuranceLevel::Level2,
        otp_required: request.level == AssuranceLevel::Level2,
    };
    render(&step.ctx, status, form, identifier, error, |res| {
        with_form_action(res, &request.redirect_uri)
    })
}

/// What differs between the provider's log-in page and the portal's.
struct PageKind<'a> {
    client_name: String,
    request: &'a str,
    next: &'a str,
    level2: bool,
    otp_required: bool,
}

/// The log-in page with `form`, finished by `finish` before the CSRF
/// cookie is added.
fn render(
    ctx: &Ctx,
    status: StatusCode,
    form: PageKind<'_>,
    identifier: &str,
    error: Option<String>,
    finish: impl FnOnce(Response) -> Response,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let page = |csrf| LoginPage {
        l: ctx.layout(t.login_title(), ""),
        t,
        client_name: form.client_name,
        request: form.request.to_string(),
        next: form.next.to_string(),
        csrf,
        identifier: identifier.to_string(),
        level2: form.level2,
        otp_required: form.otp_required,
        error,
    };
    Ok(csrf_page(ctx, status, page, finish)?)
}

/// The log-in form.
#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(flatten)]
    pub(crate) flow: FlowForm,
    pub(crate) next: Option<String>,
    pub(crate) identifier: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) otp: Option<String>,
}

/// How a log-in attempt ended, short of success.
pub(crate) enum Outcome {
    /// Shown on the page again.
    Retry(String),
    /// Unexpected failure.
    Failed(PageError),
}

/// `POST /oidc/login`
pub(crate) async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::auth::address::ClientIp(ip): crate::auth::address::ClientIp,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    if !ctx.csrf_ok(csrf::Check::BeforeLogIn, form.flow.csrf_token.as_deref()) {
        return Err(expired_form(&ctx));
    }
    if let Err(wait) = state.oidc.login_attempt(ip) {
        return Err(too_many(t, wait));
    }
    let query = form.flow.request.clone().unwrap_or_default();
    let identifier = form.identifier.clone().unwrap_or_default();
    let now = Utc::now();
    if query.is_empty() {
        // the portal's own pages: no relying party, level 1
        let next = safe_next(form.next.as_deref());
        let purpose = Purpose {
            client: None,
            person_level: AssuranceLevel::Level1,
            legacy_level: AssuranceLevel::Level1,
        };
        return match attempt(&state, t, &purpose, &form, now).await {
            Ok(session) => {
                let started = session::start(&state, &session, now).await?;
                Ok(with_cookie(see_other(&next), &started.set_cookie))
            }
            Err(Outcome::Retry(text)) => portal_login_page(
                &ctx,
                &next,
                &identifier,
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(Outcome::Failed(e)) => Err(e),
        };
    }
    let step = match flow_request(&state, &ctx, &query).await? {
        Ok(step) => FlowStep { now, ..step },
        Err(redirect) => return Ok(redirect),
    };
    match attempt(
        &state,
        t,
        &purpose_of(&step.client, &step.request),
        &form,
        now,
    )
    .await
    {
        Ok(session) => {
            let started = session::start(&state, &session, now).await?;
            // only an old portal's account logs an organisation in
            let is_person = !session.amr.iter().any(|m| m == LEGACY_AMR);
            // the pages answered now belong to the new session
            let step = FlowStep {
                ctx: ctx.with_session(&started.cookie),
                ..step
            };
            let res = continue_with(step, &session, is_person).await?;
            Ok(with_cookie(res, &started.set_cookie))
        }
        Err(Outcome::Retry(text)) => login_page(
            &step,
            &identifier,
            Some(text),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(Outcome::Failed(e)) => Err(e),
    }
}

/// What a log-in through `client` for `request` needs.
pub(crate) fn purpose_of<'a>(client: &'a Client, request: &AuthorizationRequest) -> Purpose<'a> {
    Purpose {
        client: Some(client.id.as_str()),
        person_level: person_level(request),
        legacy_level: request.level,
    }
}

/// The next query parameter.
#[derive(serde::Deserialize, Default)]
pub struct NextParam {
    pub(crate) next: Option<String>,
}

/// `GET /dang-nhap` (`/login`): the portal's own log-in, back to `next`.
pub(crate) async fn portal_login(
    ctx: Ctx,
    signed_in: Option<SignedIn>,
    axum::extract::Query(params): axum::extract::Query<NextParam>,
) -> Result<Response, PageError> {
    let next = safe_next(params.next.as_deref());
    match signed_in {
        Some(_) => Ok(see_other(&next)),
        None => portal_login_page(&ctx, &next, "", None, StatusCode::OK),
    }
}

pub(crate) fn portal_login_page(
    ctx: &Ctx,
    next: &str,
    identifier: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let form = PageKind {
        client_name: ctx.t().portal_name().to_string(),
        request: "",
        next,
        // a code (optional) makes the portal's session level 2
        level2: true,
        otp_required: false,
    };
    render(ctx, status, form, identifier, error, |mut res| {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    })
}

/// Checks the person's factors against their account; the session they
/// earn, or what to tell them.
pub(crate) async fn attempt(
    state: &AppState,
    t: Tr,
    purpose: &Purpose<'_>,
    form: &LoginForm,
    now: DateTime<Utc>,
) -> Result<Session, Outcome> {
    let factors = Factors {
        identifier: form.identifier.as_deref().unwrap_or_default(),
        password: form.password.clone().unwrap_or_default(),
        otp: form.otp.as_deref(),
    };
    crate::services::identity::login::log_in(state, purpose, factors, now)
        .await
        .map_err(|refused| match refused {
            Refused::Wrong => Outcome::Retry(t.login_wrong().to_string()),
            Refused::Identifier(e) => Outcome::Retry(e),
            Refused::Locked(minutes) => Outcome::Retry(format!(
                "{} {minutes} {}",
                t.login_locked(),
                t.login_minutes()
            )),
            Refused::Organisation => Outcome::Retry(t.login_org().to_string()),
            Refused::NeedsLevel2 => Outcome::Retry(t.login_needs_level2().to_string()),
            Refused::LegacyEnded(cutover) => Outcome::Retry(format!(
                "{} {}. {}",
                t.legacy_refused(),
                cutover.format("%H:%M %d/%m/%Y (UTC%:z)"),
                t.legacy_refused_how()
            )),
            Refused::Store(e) => Outcome::Failed(e.into()),
        })
}
