//! The authorization endpoint and the log-in page (OpenID Connect Core
//! §3.1.2): a relying party sends the person's browser here; a live
//! session at the right level answers at once, otherwise the person logs
//! in with their eID account (password, and a one-time code for level 2),
//! and the browser goes back with a code that the relying party redeems at
//! the token endpoint.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /oidc/authorize` | checks the request; answers from a session or shows the log-in page |
//! | `POST /oidc/login` | the log-in form (CSRF-protected); on success a session and a code |
//!
//! The request travels in the form as it came (its query string) and is
//! checked again when the form comes back, so nothing about it is kept
//! before the person logs in. An error is sent back to the relying party
//! only once its redirect URI is known to be registered; before that the
//! person sees a page saying what is wrong.

use std::sync::Arc;

use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use identity::authz::{AuthorizationRequest, AuthzError, CodeGrant, Prompt, RawRequest};
use identity::client::{Client, ClientId};
use identity::{AssuranceLevel, Holder};

use crate::AppState;
use crate::auth::{SignedIn, session};
use crate::pages::i18n::Tr;
use crate::pages::{
    Ctx, Layout, csrf, html, message, see_other, server_error, with_cookie, with_csrf,
};
use crate::services::identity::login::{Factors, LEGACY_AMR, Purpose, Refused};
use crate::services::identity::records::{Account, AuditEntry, Session, StoreError};
use crate::services::identity::{accounts, clients, grants};

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    t: Tr,
    client_name: String,
    request: String,
    next: String,
    csrf: String,
    identifier: String,
    level2: bool,
    /// An old portal's organisation account logs in without a code, so the
    /// field is required only when the service itself asks for level 2.
    otp_required: bool,
    error: Option<String>,
}

/// A request that cannot go on: a page for the person, or an error sent
/// back to the relying party.
enum Refusal {
    Page(StatusCode, String),
    Redirect(String),
    Failed,
}

/// The parameters of the query, each at most once.
fn query_pairs(query: &str) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| "the request's parameters cannot be read".to_string())?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(seen, _)| seen == k) {
            return Err(format!("the parameter {k} is given more than once"));
        }
    }
    Ok(pairs)
}

/// `uri` with the parameters added to its query.
fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let extra = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{extra}")
}

/// The error sent back to the client (RFC 6749 §4.1.2.1, with `iss`,
/// RFC 9207).
fn error_redirect(state: &AppState, request: &RequestBack<'_>, e: &AuthzError) -> String {
    let description = e.to_string();
    let mut params = vec![
        ("error", e.code()),
        ("error_description", description.as_str()),
    ];
    if let Some(s) = request.state {
        params.push(("state", s));
    }
    params.push(("iss", state.oidc.issuer()));
    with_params(request.redirect_uri, &params)
}

/// Where errors go once the redirect URI is known good.
struct RequestBack<'a> {
    redirect_uri: &'a str,
    state: Option<&'a str>,
}

/// Reads and checks the authorization request in `query`.
async fn read_request(
    state: &AppState,
    query: &str,
    t: Tr,
) -> Result<(Arc<Client>, AuthorizationRequest), Refusal> {
    let bad = |m: String| Refusal::Page(StatusCode::BAD_REQUEST, m);
    let mut pairs = query_pairs(query).map_err(bad)?;
    let mut pushed = false;
    // a pushed request (RFC 9126): the client sent it on its back channel
    if let Some(uri) = pairs
        .iter()
        .find(|(k, _)| k == "request_uri")
        .map(|(_, v)| v.clone())
    {
        let client_id = pairs
            .iter()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| bad("client_id is required with request_uri".into()))?;
        let found = grants::pushed_request(state, &identity::jwk::sha256_b64url(&uri), Utc::now())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reading a pushed request");
                Refusal::Failed
            })?;
        let Some((owner, stored)) = found.filter(|(owner, _)| *owner == client_id) else {
            return Err(bad(t.login_expired().to_string()));
        };
        pairs = query_pairs(&stored).map_err(bad)?;
        if !pairs.iter().any(|(k, _)| k == "client_id") {
            pairs.push(("client_id".into(), owner));
        }
        pushed = true;
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if get("request").is_some() || get("request_uri").is_some() {
        return Err(bad(
            "request objects (request) are not accepted; push the request (PAR) instead"
                .to_string(),
        ));
    }
    let client_id = get("client_id").ok_or_else(|| bad("client_id is required".into()))?;
    let id =
        ClientId::parse(client_id).map_err(|_| bad(format!("unknown client {client_id:?}")))?;
    let client = clients::registered(state, &id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading a client");
            Refusal::Failed
        })?
        .ok_or_else(|| bad(format!("unknown client {client_id:?}")))?;
    if client.require_par && !pushed {
        return Err(bad(
            "this client must push its authorization requests first (PAR, RFC 9126)".into(),
        ));
    }
    let raw = raw_request(get);
    match identity::authz::check_request(&client, &raw) {
        Ok(request) => Ok((client, request)),
        Err(AuthzError::RedirectUri) => Err(bad(format!(
            "{}: {}",
            t.login_bad_request(),
            AuthzError::RedirectUri
        ))),
        Err(e) => {
            let back = RequestBack {
                redirect_uri: raw.redirect_uri.unwrap_or_default(),
                state: raw.state,
            };
            Err(Refusal::Redirect(error_redirect(state, &back, &e)))
        }
    }
}

/// The parameters of an authorization request, read with `get`.
pub(crate) fn raw_request<'a>(get: impl Fn(&str) -> Option<&'a str>) -> RawRequest<'a> {
    RawRequest {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        scope: get("scope"),
        state: get("state"),
        nonce: get("nonce"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        acr_values: get("acr_values"),
        prompt: get("prompt"),
        max_age: get("max_age"),
        dpop_jkt: get("dpop_jkt"),
    }
}

/// Too many log-in attempts from one address: when to try again.
pub(crate) fn too_many(ctx: &Ctx, wait: std::time::Duration) -> Response {
    let t = ctx.t();
    let seconds = wait.as_secs().max(1);
    let text = format!("{} {seconds} {}", t.login_too_many(), t.login_seconds());
    let mut res = message(
        ctx,
        StatusCode::TOO_MANY_REQUESTS,
        t.login_bad_request(),
        &text,
        None,
    );
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// A form of the log-in flow whose CSRF token does not match: the page
/// has expired (or the post did not come from it).
pub(crate) fn expired_form(ctx: &Ctx) -> Response {
    let t = ctx.t();
    message(
        ctx,
        StatusCode::FORBIDDEN,
        t.login_bad_request(),
        t.login_expired(),
        None,
    )
}

/// The authorization request a step of the flow carries, read and checked
/// again; otherwise the answer to give.
async fn flow_request(
    state: &AppState,
    ctx: &Ctx,
    query: &str,
) -> Result<(Arc<Client>, AuthorizationRequest), Response> {
    read_request(state, query, ctx.t())
        .await
        .map_err(|r| refusal_response(ctx, r))
}

fn refusal_response(ctx: &Ctx, r: Refusal) -> Response {
    let t = ctx.t();
    match r {
        Refusal::Page(status, text) => message(ctx, status, t.login_bad_request(), &text, None),
        Refusal::Redirect(to) => see_other(&to),
        Refusal::Failed => server_error(ctx),
    }
}

/// `GET /oidc/authorize`
pub(crate) async fn authorize(
    State(state): State<AppState>,
    ctx: Ctx,
    signed_in: Option<SignedIn>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let (client, request) = match flow_request(&state, &ctx, &query).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let now = Utc::now();
    // a live session (a legacy organisation's ends at the cut-over)
    if let Some(SignedIn {
        session: s,
        account,
    }) = &signed_in
    {
        let is_person = !matches!(account.holder, Holder::Organisation(_));
        let mut asked = request.clone();
        if is_person {
            asked.level = person_level(&request);
        }
        if identity::authz::session_serves(&asked, s.level, s.auth_time, now) {
            return continue_with(&state, &ctx, &client, request, &query, s, is_person, now).await;
        }
    }
    if request.prompt == Some(Prompt::None) {
        let back = RequestBack {
            redirect_uri: &request.redirect_uri,
            state: request.state.as_deref(),
        };
        return see_other(&error_redirect(&state, &back, &AuthzError::LoginRequired));
    }
    login_page(&ctx, &client, &request, &query, "", None, StatusCode::OK)
}

fn login_page(
    ctx: &Ctx,
    client: &Client,
    request: &AuthorizationRequest,
    query: &str,
    identifier: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = ctx.t();
    let Some((token, new)) = csrf_token(ctx) else {
        return server_error(ctx);
    };
    let page = LoginPage {
        l: ctx.layout(t.login_title(), ""),
        t,
        client_name: client.name.clone(),
        request: query.to_string(),
        next: String::new(),
        csrf: token.clone(),
        identifier: identifier.to_string(),
        level2: person_level(request) == AssuranceLevel::Level2,
        otp_required: request.level == AssuranceLevel::Level2,
        error,
    };
    let res = html(ctx, status, &page);
    let res = with_form_action(res, &request.redirect_uri);
    with_csrf(ctx, res, &token, new)
}

/// The session's CSRF token and whether it is new.
fn csrf_token(ctx: &Ctx) -> Option<(String, bool)> {
    ctx.csrf_token()
        .map_err(|e| tracing::error!(error = %e, "no randomness for a CSRF token"))
        .ok()
}

/// A page whose form's answer redirects to the relying party: its origin
/// is allowed as a form action; nothing of it is cached.
fn with_form_action(mut res: Response, redirect_uri: &str) -> Response {
    if let Some(origin) = origin_of(redirect_uri) {
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self' {origin}; frame-ancestors 'none'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `scheme://host[:port]` of an absolute URI.
fn origin_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && !authority.contains(['\'', ';', ' ', '"']))
        .then(|| format!("{scheme}://{authority}"))
}

/// Issues a code for `request` answered by `session`; the URI the browser
/// goes back to.
async fn code_redirect(
    state: &AppState,
    client: &Client,
    request: AuthorizationRequest,
    session: &Session,
    acting_for: Option<identity::SubjectId>,
    now: DateTime<Utc>,
) -> Result<String, ()> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| tracing::error!(error = %e, "no randomness"))?;
    let code = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
    let back_to = request.redirect_uri.clone();
    let client_state = request.state.clone();
    let (subject, actor) = match acting_for {
        Some(org) => (org.to_string(), Some(session.subject.to_string())),
        None => (session.subject.to_string(), None),
    };
    let grant = CodeGrant {
        request,
        subject,
        level: session.level,
        auth_time: session.auth_time,
        issued_at: now,
        actor,
    };
    grants::put_code(
        state,
        &identity::jwk::sha256_b64url(&code),
        &grant,
        now + identity::authz::CODE_LIFETIME,
    )
    .await
    .map_err(|e| tracing::error!(error = %e, "storing a code"))?;
    tracing::info!(client = %client.id, level = %session.level, "authorization code issued");
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = client_state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", state.oidc.issuer()));
    Ok(with_params(&back_to, &params))
}

/// The log-in form.
#[derive(serde::Deserialize)]
pub struct LoginForm {
    csrf_token: Option<String>,
    request: Option<String>,
    next: Option<String>,
    identifier: Option<String>,
    password: Option<String>,
    otp: Option<String>,
}

/// How a log-in attempt ended, short of success.
enum Outcome {
    /// Shown on the page again.
    Retry(String),
    /// Unexpected failure.
    Failed,
}

/// `POST /oidc/login`
pub(crate) async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::ratelimit::ClientIp(ip): crate::ratelimit::ClientIp,
    Form(form): Form<LoginForm>,
) -> Response {
    let t = ctx.t();
    if !ctx.csrf_ok(csrf::Check::BeforeLogIn, form.csrf_token.as_deref()) {
        return expired_form(&ctx);
    }
    if let Err(wait) = state.oidc.login_attempt(ip) {
        return too_many(&ctx, wait);
    }
    let query = form.request.clone().unwrap_or_default();
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
            Ok(session) => match session::start(&state, &session, now).await {
                Ok(started) => with_cookie(see_other(&next), &started.set_cookie),
                Err(e) => {
                    tracing::error!(error = %e, "storing a session");
                    server_error(&ctx)
                }
            },
            Err(Outcome::Retry(text)) => portal_login_page(
                &ctx,
                &next,
                &identifier,
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(Outcome::Failed) => server_error(&ctx),
        };
    }
    let (client, request) = match flow_request(&state, &ctx, &query).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    match attempt(&state, t, &purpose_of(&client, &request), &form, now).await {
        Ok(session) => {
            let started = match session::start(&state, &session, now).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "storing a session");
                    return server_error(&ctx);
                }
            };
            // only an old portal's account logs an organisation in
            let is_person = !session.amr.iter().any(|m| m == LEGACY_AMR);
            // the pages answered now belong to the new session
            let ctx = ctx.with_session(&started.cookie);
            let res = continue_with(
                &state, &ctx, &client, request, &query, &session, is_person, now,
            )
            .await;
            with_cookie(res, &started.set_cookie)
        }
        Err(Outcome::Retry(text)) => login_page(
            &ctx,
            &client,
            &request,
            &query,
            &identifier,
            Some(text),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(Outcome::Failed) => server_error(&ctx),
    }
}

/// What a log-in through `client` for `request` needs.
fn purpose_of<'a>(client: &'a Client, request: &AuthorizationRequest) -> Purpose<'a> {
    Purpose {
        client: Some(client.id.as_str()),
        person_level: person_level(request),
        legacy_level: request.level,
    }
}

/// A local path to go to after the portal's log-in (never another site):
/// an absolute path of printable ASCII without backslashes, not starting
/// with two slashes. Browsers drop tabs and line breaks from a URL and
/// read `\` as `/`, so `/\t/evil.example` or `/\\evil.example` would
/// leave the site: anything but plain printable characters is refused
/// rather than cleaned.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 512
                && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/tai-khoan".to_string(),
    }
}

/// The next query parameter.
#[derive(serde::Deserialize, Default)]
pub struct NextParam {
    next: Option<String>,
}

/// `GET /dang-nhap` (`/login`): the portal's own log-in, back to `next`.
pub(crate) async fn portal_login(
    ctx: Ctx,
    signed_in: Option<SignedIn>,
    axum::extract::Query(params): axum::extract::Query<NextParam>,
) -> Response {
    let next = safe_next(params.next.as_deref());
    match signed_in {
        Some(_) => see_other(&next),
        None => portal_login_page(&ctx, &next, "", None, StatusCode::OK),
    }
}

fn portal_login_page(
    ctx: &Ctx,
    next: &str,
    identifier: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = ctx.t();
    let Some((token, new)) = csrf_token(ctx) else {
        return server_error(ctx);
    };
    let page = LoginPage {
        l: ctx.layout(t.login_title(), ""),
        t,
        client_name: t.portal_name().to_string(),
        request: String::new(),
        next: next.to_string(),
        csrf: token.clone(),
        identifier: identifier.to_string(),
        // a code (optional) makes the portal's session level 2
        level2: true,
        otp_required: false,
        error,
    };
    let mut res = html(ctx, status, &page);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_csrf(ctx, res, &token, new)
}

/// Checks the person's factors against their account; the session they
/// earn, or what to tell them.
async fn attempt(
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
            Refused::Store(e) => {
                tracing::error!(error = %e, "reading or writing an account");
                Outcome::Failed
            }
        })
}

/// The level a person's session needs for `request`: acting for an
/// organisation (the `org` scope) always needs level 2.
fn person_level(request: &AuthorizationRequest) -> AssuranceLevel {
    if request.scopes.contains("org") {
        AssuranceLevel::Level2
    } else {
        request.level
    }
}

/// After a log-in (or with a live session): a person asked for an
/// organisation chooses which one to act for; otherwise the browser goes
/// back with a code.
#[allow(clippy::too_many_arguments)]
async fn continue_with(
    state: &AppState,
    ctx: &Ctx,
    client: &Client,
    request: AuthorizationRequest,
    query: &str,
    session: &Session,
    is_person: bool,
    now: DateTime<Utc>,
) -> Response {
    // a service that is not the platform's own reads only what the person
    // agreed to
    if !client.trusted {
        let asked = asked_scopes(&request);
        let given =
            match accounts::consented_scopes(state, session.subject, client.id.as_str()).await {
                Ok(g) => g,
                Err(e) => {
                    tracing::error!(error = %e, "reading a consent");
                    return server_error(ctx);
                }
            };
        let covered = given.is_some_and(|g| asked.is_subset(&g));
        if !covered || request.prompt == Some(Prompt::Consent) {
            if request.prompt == Some(Prompt::None) {
                let back = RequestBack {
                    redirect_uri: &request.redirect_uri,
                    state: request.state.as_deref(),
                };
                return see_other(&error_redirect(state, &back, &AuthzError::ConsentRequired));
            }
            return consent_page(ctx, client, &request, query, &asked);
        }
    }
    after_consent(state, ctx, client, request, query, session, is_person, now).await
}

/// The scopes a request asks for beyond `openid`.
fn asked_scopes(request: &AuthorizationRequest) -> std::collections::BTreeSet<String> {
    request
        .scopes
        .iter()
        .filter(|s| s.as_str() != "openid")
        .cloned()
        .collect()
}

/// Once the person agreed: the organisation to act for, or the code.
#[allow(clippy::too_many_arguments)]
async fn after_consent(
    state: &AppState,
    ctx: &Ctx,
    client: &Client,
    request: AuthorizationRequest,
    query: &str,
    session: &Session,
    is_person: bool,
    now: DateTime<Utc>,
) -> Response {
    if is_person && request.scopes.contains("org") {
        return act_page(state, ctx, client, &request, query, session, None, now).await;
    }
    match code_redirect(state, client, request, session, None, now).await {
        Ok(to) => see_other(&to),
        Err(()) => server_error(ctx),
    }
}

#[derive(askama::Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    l: Layout,
    t: Tr,
    client_name: String,
    request: String,
    csrf: String,
    scopes: Vec<&'static str>,
}

fn consent_page(
    ctx: &Ctx,
    client: &Client,
    request: &AuthorizationRequest,
    query: &str,
    asked: &std::collections::BTreeSet<String>,
) -> Response {
    let t = ctx.t();
    let Some((token, new)) = csrf_token(ctx) else {
        return server_error(ctx);
    };
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
    with_csrf(ctx, res, &token, new)
}

/// The consent form.
#[derive(serde::Deserialize)]
pub struct ConsentForm {
    csrf_token: Option<String>,
    request: Option<String>,
    decision: Option<String>,
}

/// `POST /oidc/consent`: the person agrees (remembered for this client) or
/// declines (the client hears `access_denied`).
pub(crate) async fn consent(
    State(state): State<AppState>,
    ctx: Ctx,
    signed_in: Option<SignedIn>,
    Form(form): Form<ConsentForm>,
) -> Response {
    if !ctx.csrf_ok(csrf::Check::Session, form.csrf_token.as_deref()) {
        return expired_form(&ctx);
    }
    let query = form.request.clone().unwrap_or_default();
    let (client, request) = match flow_request(&state, &ctx, &query).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let now = Utc::now();
    let Some(SignedIn { session, account }) = signed_in else {
        return see_other(&format!("/oidc/authorize?{query}"));
    };
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
        let back = RequestBack {
            redirect_uri: &request.redirect_uri,
            state: request.state.as_deref(),
        };
        return see_other(&error_redirect(&state, &back, &AuthzError::AccessDenied));
    }
    let mut agreed =
        match accounts::consented_scopes(&state, session.subject, client.id.as_str()).await {
            Ok(g) => g.unwrap_or_default(),
            Err(e) => {
                tracing::error!(error = %e, "reading a consent");
                return server_error(&ctx);
            }
        };
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
    if let Err(e) = stored.and(audited) {
        tracing::error!(error = %e, "recording a consent");
        return server_error(&ctx);
    }
    let is_person = !matches!(account.holder, Holder::Organisation(_));
    after_consent(
        &state, &ctx, &client, request, &query, &session, is_person, now,
    )
    .await
}

struct Choice {
    subject: String,
    name: String,
    tax_code: String,
    capacity: Option<&'static str>,
    refusal: String,
}

#[derive(askama::Template)]
#[template(path = "act.html")]
struct ActPage {
    l: Layout,
    t: Tr,
    client_name: String,
    request: String,
    csrf: String,
    choices: Vec<Choice>,
    cancel: String,
    error: Option<String>,
}

/// The service an authorisation must cover for `client`: its id, as a
/// service code.
fn service_of(client: &Client) -> Result<identity::ServiceCode, ()> {
    identity::ServiceCode::parse(&client.id.as_str().to_ascii_lowercase()).map_err(|e| {
        tracing::error!(error = %e, client = %client.id, "a client id that is not a service code")
    })
}

fn refusal_text(t: Tr, refusal: &identity::ActRefusal) -> &'static str {
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
async fn acting(
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
    (),
> {
    let failed = |e: StoreError| tracing::error!(error = %e, "reading an organisation");
    let Some(account) = accounts::account(state, organisation)
        .await
        .map_err(failed)?
    else {
        return Ok(None);
    };
    let Holder::Organisation(org) = &account.holder else {
        return Ok(None);
    };
    let authorisations = accounts::authorisations_of(state, person)
        .await
        .map_err(failed)?;
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

#[allow(clippy::too_many_arguments)]
async fn act_page(
    state: &AppState,
    ctx: &Ctx,
    client: &Client,
    request: &AuthorizationRequest,
    query: &str,
    session: &Session,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Response {
    let t = ctx.t();
    let person = session.subject;
    let mut candidates = match accounts::organisations_of(state, person).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "reading a person's organisations");
            return server_error(ctx);
        }
    };
    match accounts::authorisations_of(state, person).await {
        Ok(list) => candidates.extend(list.iter().map(|a| a.organisation())),
        Err(e) => {
            tracing::error!(error = %e, "reading a person's authorisations");
            return server_error(ctx);
        }
    }
    candidates.sort();
    candidates.dedup();
    let mut choices = Vec::new();
    for org in candidates {
        let Ok(Some((account, decision))) =
            acting(state, client, person, session.level, org, now).await
        else {
            continue;
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
    let Some((token, new)) = csrf_token(ctx) else {
        return server_error(ctx);
    };
    let back = RequestBack {
        redirect_uri: &request.redirect_uri,
        state: request.state.as_deref(),
    };
    let page = ActPage {
        l: ctx.layout(t.act_title(), ""),
        t,
        client_name: client.name.clone(),
        request: query.to_string(),
        csrf: token.clone(),
        choices,
        cancel: error_redirect(state, &back, &AuthzError::AccessDenied),
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let res = with_form_action(html(ctx, status, &page), &request.redirect_uri);
    with_csrf(ctx, res, &token, new)
}

/// The "act for" form.
#[derive(serde::Deserialize)]
pub struct ActForm {
    csrf_token: Option<String>,
    request: Option<String>,
    organisation: Option<String>,
}

/// `POST /oidc/act`: the person acts for the organisation chosen, when
/// [`identity::may_act`] lets them; the code's subject is the
/// organisation and its actor the person (RFC 8693 `act`).
pub(crate) async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    signed_in: Option<SignedIn>,
    Form(form): Form<ActForm>,
) -> Response {
    let t = ctx.t();
    if !ctx.csrf_ok(csrf::Check::Session, form.csrf_token.as_deref()) {
        return expired_form(&ctx);
    }
    let query = form.request.clone().unwrap_or_default();
    let (client, request) = match flow_request(&state, &ctx, &query).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let now = Utc::now();
    let Some(SignedIn { session, .. }) = signed_in else {
        return see_other(&format!("/oidc/authorize?{query}"));
    };
    let organisation = form
        .organisation
        .as_deref()
        .and_then(|o| identity::SubjectId::parse(o).ok());
    let decision = match organisation {
        Some(org) => acting(&state, &client, session.subject, session.level, org, now).await,
        None => Ok(None),
    };
    let refusal = match decision {
        Err(()) => return server_error(&ctx),
        Ok(None) => t.act_refused_not_authorised().to_string(),
        Ok(Some((account, Ok(capacity)))) => {
            let org = account.holder.subject();
            let audit = AuditEntry {
                at: now,
                event: "acted_for_organisation".into(),
                client: Some(client.id.to_string()),
                detail: format!("{} ({capacity:?})", account.name),
            };
            if let Err(e) = accounts::audit(&state, session.subject, &audit).await {
                tracing::error!(error = %e, "writing the audit trail");
                return server_error(&ctx);
            }
            tracing::info!(client = %client.id, ?capacity, "acting for an organisation");
            return match code_redirect(&state, &client, request, &session, Some(org), now).await {
                Ok(to) => see_other(&to),
                Err(()) => server_error(&ctx),
            };
        }
        Ok(Some((_, Err(refusal)))) => refusal_text(t, &refusal).to_string(),
    };
    act_page(
        &state,
        &ctx,
        &client,
        &request,
        &query,
        &session,
        Some(refusal),
        now,
    )
    .await
}

#[derive(askama::Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    l: Layout,
    t: Tr,
    csrf: String,
    params: Vec<(&'static str, String)>,
}

/// The parameters of a log-out request.
#[derive(serde::Deserialize, Default)]
pub struct LogoutParams {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    csrf_token: Option<String>,
    confirm: Option<String>,
}

/// `GET /oidc/logout` (OpenID Connect RP-Initiated Logout 1.0).
pub(crate) async fn logout_get(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let params = match query_pairs(&query) {
        Ok(_) => serde_urlencoded::from_str::<LogoutParams>(&query).unwrap_or_default(),
        Err(e) => {
            return message(
                &ctx,
                StatusCode::BAD_REQUEST,
                ctx.t().logout_bad(),
                &e,
                None,
            );
        }
    };
    logout(&state, &ctx, &headers, params, false).await
}

/// `POST /oidc/logout`: the same, or the person's confirmation.
pub(crate) async fn logout_post(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(params): Form<LogoutParams>,
) -> Response {
    let confirmed = params.confirm.as_deref() == Some("1")
        && ctx.csrf_ok(csrf::Check::Session, params.csrf_token.as_deref());
    logout(&state, &ctx, &headers, params, confirmed).await
}

/// What an `id_token_hint` says: the client it was issued to, and the
/// account (mapped back from a pairwise identifier) of the person who
/// logged in — for an organisation's token, the person acting for it.
struct Hint {
    client_id: String,
    person: Option<identity::SubjectId>,
}

/// Reads an `id_token_hint`: an ID token this provider signed (expired or
/// not: only its signature, type and issuer matter), never an access
/// token.
async fn read_hint(state: &AppState, token: &str) -> Result<Option<Hint>, StoreError> {
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
async fn logout(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    params: LogoutParams,
    confirmed: bool,
) -> Response {
    let t = ctx.t();
    let bad = |text: &str| message(ctx, StatusCode::BAD_REQUEST, t.logout_bad(), text, None);
    let now = Utc::now();
    let hint = match params.id_token_hint.as_deref() {
        Some(token) => match read_hint(state, token).await {
            Ok(Some(h)) => Some(h),
            Ok(None) => return bad("id_token_hint is not an ID token of this provider"),
            Err(e) => {
                tracing::error!(error = %e, "reading an id_token_hint");
                return server_error(ctx);
            }
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
        Some(Ok(id)) => match clients::registered(state, &id).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "reading a client");
                return server_error(ctx);
            }
        },
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
        Some(c) => match session::live(state, c, now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "reading a session");
                return server_error(ctx);
            }
        },
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
        let Some((token, new)) = csrf_token(ctx) else {
            return server_error(ctx);
        };
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
        let page = LogoutPage {
            l: ctx.layout(t.logout_title(), ""),
            t,
            csrf: token.clone(),
            params: kept,
        };
        let mut res = html(ctx, StatusCode::OK, &page);
        if let Some(uri) = &back_to {
            res = with_form_action(res, uri);
        }
        return with_csrf(ctx, res, &token, new);
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
        if let Err(e) = accounts::end_session(state, &session::session_key(cookie)).await {
            tracing::error!(error = %e, "ending a session");
            return server_error(ctx);
        }
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
        None => message(ctx, StatusCode::OK, t.logout_title(), t.logout_done(), None),
    };
    with_cookie(res, &session::clear_cookie(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(query_pairs("a=1&b=2").is_ok());
        let e = query_pairs("a=1&a=2").expect_err("repeated");
        assert!(e.contains("more than once"), "{e}");
    }

    #[test]
    fn errors_and_codes_are_added_to_the_redirect_uri() {
        assert_eq!(
            with_params("https://rp.example/cb", &[("code", "x y"), ("state", "s")]),
            "https://rp.example/cb?code=x+y&state=s"
        );
        assert_eq!(
            with_params("https://rp.example/cb?a=1", &[("code", "c")]),
            "https://rp.example/cb?a=1&code=c"
        );
    }

    #[test]
    fn origins_are_read_from_redirect_uris() {
        assert_eq!(
            origin_of("https://rp.example/cb?x=1").as_deref(),
            Some("https://rp.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/cb").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("no-scheme"), None);
        assert_eq!(origin_of("https://a';b/"), None);
    }
}
