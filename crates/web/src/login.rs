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
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use identity::authz::{AuthorizationRequest, AuthzError, CodeGrant, Prompt, RawRequest};
use identity::client::{Client, ClientId};
use identity::password::PasswordHash;
use identity::{AssuranceLevel, Holder, LoginId};
use store::{AuditEntry, Session};

use crate::AppState;
use crate::pages::i18n::Tr;
use crate::pages::{Ctx, Layout, csrf, html, message, server_error, with_cookie};

/// The cookie holding the provider's session.
pub const SESSION_COOKIE: &str = "motcua_sid";
/// How long a log-in lasts at the provider.
pub const SESSION_TTL: chrono::Duration = chrono::Duration::hours(8);

/// A PHC hash verified when the identifier names no account, so that an
/// unknown identifier takes as long to refuse as a wrong password.
const DECOY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bW90Y3VhLWRlY295LXNhbHQ$5mOr0Gu2fi4mVbhhMIxvkCELMsLbHaJ/2dnTunK+NcE";

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    t: Tr,
    client_name: String,
    request: String,
    csrf: String,
    identifier: String,
    level2: bool,
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
    let pairs = query_pairs(query).map_err(bad)?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if get("request").is_some() || get("request_uri").is_some() {
        return Err(bad(
            "request objects (request, request_uri) are not accepted here".to_string(),
        ));
    }
    let client_id = get("client_id").ok_or_else(|| bad("client_id is required".into()))?;
    let id =
        ClientId::parse(client_id).map_err(|_| bad(format!("unknown client {client_id:?}")))?;
    let client = state
        .oidc
        .registered_client(state.store.as_ref(), &id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading a client");
            Refusal::Failed
        })?
        .ok_or_else(|| bad(format!("unknown client {client_id:?}")))?;
    let raw = RawRequest {
        client_id: Some(client_id),
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
    };
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

fn refusal_response(ctx: &Ctx, r: Refusal) -> Response {
    let t = ctx.t();
    match r {
        Refusal::Page(status, text) => message(ctx, status, t.login_bad_request(), &text, None),
        Refusal::Redirect(to) => see_other(&to),
        Refusal::Failed => server_error(ctx),
    }
}

fn see_other(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            res.headers_mut().insert(header::LOCATION, v);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// The cookie's value, when the request has one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    crate::pages::cookie(headers, SESSION_COOKIE).filter(|v| v.len() == 43)
}

fn session_key(cookie: &str) -> String {
    identity::jwk::sha256_b64url(cookie)
}

/// `GET /oidc/authorize`
pub(crate) async fn authorize(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let (client, request) = match read_request(&state, &query, ctx.t()).await {
        Ok(r) => r,
        Err(r) => return refusal_response(&ctx, r),
    };
    let now = Utc::now();
    let session = match session_cookie(&headers) {
        Some(c) => match state.store.accounts().session(&session_key(c), now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "reading a session");
                return server_error(&ctx);
            }
        },
        None => None,
    };
    if let Some(s) = &session
        && identity::authz::session_serves(&request, s.level, s.auth_time, now)
    {
        return match code_redirect(&state, &client, request, s, now).await {
            Ok(to) => see_other(&to),
            Err(()) => server_error(&ctx),
        };
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
    let (token, new) = match ctx.csrf_token() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "no randomness for a CSRF token");
            return server_error(ctx);
        }
    };
    let page = LoginPage {
        l: ctx.layout(t.login_title(), ""),
        t,
        client_name: client.name.clone(),
        request: query.to_string(),
        csrf: token.clone(),
        identifier: identifier.to_string(),
        level2: request.level == AssuranceLevel::Level2,
        error,
    };
    let mut res = html(ctx, status, &page);
    // the form's answer redirects to the relying party: allow its origin
    if let Some(origin) = origin_of(&request.redirect_uri) {
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
    if new {
        res = with_cookie(res, &csrf::set_cookie(&token));
    }
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
    now: DateTime<Utc>,
) -> Result<String, ()> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| tracing::error!(error = %e, "no randomness"))?;
    let code = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
    let back_to = request.redirect_uri.clone();
    let client_state = request.state.clone();
    let grant = CodeGrant {
        request,
        subject: session.subject.to_string(),
        level: session.level,
        auth_time: session.auth_time,
        issued_at: now,
    };
    state
        .store
        .oidc()
        .put_code(
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
    Form(form): Form<LoginForm>,
) -> Response {
    let t = ctx.t();
    if !csrf::verify(ctx.csrf_cookie(), form.csrf_token.as_deref()) {
        return message(
            &ctx,
            StatusCode::FORBIDDEN,
            t.login_bad_request(),
            t.login_expired(),
            None,
        );
    }
    let query = form.request.clone().unwrap_or_default();
    let (client, request) = match read_request(&state, &query, t).await {
        Ok(r) => r,
        Err(r) => return refusal_response(&ctx, r),
    };
    let identifier = form.identifier.clone().unwrap_or_default();
    let now = Utc::now();
    match attempt(&state, t, &client, &request, &form, now).await {
        Ok(session) => {
            let mut bytes = [0u8; 32];
            if getrandom::fill(&mut bytes).is_err() {
                return server_error(&ctx);
            }
            let cookie =
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
            if let Err(e) = state
                .store
                .accounts()
                .put_session(&session_key(&cookie), &session, now + SESSION_TTL)
                .await
            {
                tracing::error!(error = %e, "storing a session");
                return server_error(&ctx);
            }
            let secure = if state.oidc.issuer().starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let set = format!(
                "{SESSION_COOKIE}={cookie}; Path=/oidc; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                SESSION_TTL.num_seconds()
            );
            match code_redirect(&state, &client, request, &session, now).await {
                Ok(to) => with_cookie(see_other(&to), &set),
                Err(()) => server_error(&ctx),
            }
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

/// Checks the person's factors against their account; the session they
/// earn.
async fn attempt(
    state: &AppState,
    t: Tr,
    client: &Client,
    request: &AuthorizationRequest,
    form: &LoginForm,
    now: DateTime<Utc>,
) -> Result<Session, Outcome> {
    let accounts = state.store.accounts();
    let failed = |e: store::StoreError| {
        tracing::error!(error = %e, "reading or writing an account");
        Outcome::Failed
    };
    let wrong = || Outcome::Retry(t.login_wrong().to_string());
    let password = form.password.clone().unwrap_or_default();
    let account = match LoginId::parse(form.identifier.as_deref().unwrap_or_default()) {
        Ok(id) => accounts.account_by_login(&id.key()).await.map_err(failed)?,
        Err(e) => return Err(Outcome::Retry(e.to_string())),
    };
    let Some(account) = account else {
        // as slow as a wrong password: no telling which identifiers exist
        let _ = check_password(DECOY_PHC.to_string(), password).await;
        return Err(wrong());
    };
    let subject = account.holder.subject();
    let audit = |event: &str, detail: String| AuditEntry {
        at: now,
        event: event.to_string(),
        client: Some(client.id.to_string()),
        detail,
    };
    if let Some(left) = identity::login::locked_for(account.locked_until, now) {
        accounts
            .audit(
                subject,
                &audit("login_refused_locked", "the account is locked".into()),
            )
            .await
            .map_err(failed)?;
        let minutes = (left.num_seconds() + 59) / 60;
        return Err(Outcome::Retry(format!(
            "{} {minutes} {}",
            t.login_locked(),
            t.login_minutes()
        )));
    }
    if matches!(account.holder, Holder::Organisation(_)) {
        return Err(Outcome::Retry(t.login_org().to_string()));
    }
    let phc = account
        .password
        .clone()
        .unwrap_or_else(|| DECOY_PHC.to_string());
    let password_ok = account.password.is_some() && check_password(phc, password).await;
    let otp = form.otp.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let mut level = AssuranceLevel::Level1;
    let mut amr = vec!["pwd".to_string()];
    let mut why = "wrong password";
    let mut ok = password_ok;
    if ok && let Some(code) = otp {
        match (&account.totp, account.level) {
            (Some(totp), Some(AssuranceLevel::Level2)) => {
                match totp.verify(code, now.timestamp(), account.totp_step) {
                    Ok(step)
                        if accounts
                            .use_totp_step(subject, step)
                            .await
                            .map_err(failed)? =>
                    {
                        level = AssuranceLevel::Level2;
                        amr.push("otp".into());
                    }
                    Ok(_) => {
                        ok = false;
                        why = "a one-time code used before";
                    }
                    Err(_) => {
                        ok = false;
                        why = "wrong one-time code";
                    }
                }
            }
            _ => {
                ok = false;
                why = "a one-time code for an account without the factor";
            }
        }
    }
    if !ok {
        let failure = accounts
            .login_failed(
                subject,
                identity::login::MAX_FAILURES,
                now + identity::login::LOCK_FOR,
            )
            .await
            .map_err(failed)?;
        accounts
            .audit(subject, &audit("login_failed", why.to_string()))
            .await
            .map_err(failed)?;
        if failure.failures == identity::login::MAX_FAILURES {
            accounts
                .audit(
                    subject,
                    &audit(
                        "locked",
                        format!(
                            "{} failed log-ins in a row: locked for {} minutes",
                            failure.failures,
                            identity::login::LOCK_FOR.num_minutes()
                        ),
                    ),
                )
                .await
                .map_err(failed)?;
        }
        tracing::info!(client = %client.id, reason = why, "log-in failed");
        return Err(wrong());
    }
    if level < request.level {
        accounts
            .audit(
                subject,
                &audit("login_refused_level", "the service requires level 2".into()),
            )
            .await
            .map_err(failed)?;
        return Err(Outcome::Retry(t.login_needs_level2().to_string()));
    }
    accounts.login_succeeded(subject).await.map_err(failed)?;
    accounts
        .audit(
            subject,
            &audit("login", format!("level {}, {}", level, amr.join("+"))),
        )
        .await
        .map_err(failed)?;
    tracing::info!(client = %client.id, %level, "logged in");
    Ok(Session {
        subject,
        level,
        auth_time: now,
        amr,
    })
}

/// Verifies a password off the async threads (argon2id takes tens of
/// milliseconds by design).
async fn check_password(phc: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::from_phc(&phc).is_ok_and(|h| h.verify(&password))
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_hash_reads() {
        assert!(PasswordHash::from_phc(DECOY_PHC).is_ok());
    }

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
