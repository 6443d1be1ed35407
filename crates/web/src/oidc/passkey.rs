//! Passkeys over HTTP: a person adds one on the account page and logs in
//! with it on the log-in page (`static/passkey.js` calls these with
//! `navigator.credentials`). Each ceremony answers a one-time challenge
//! drawn by the WebAuthn library (`webauthn-rs`), whose state is kept 5
//! minutes; [`identity::webauthn`] sets the ceremonies up and has the
//! library check the answers.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /tai-khoan/passkey/options` | creation options for the person logged in |
//! | `POST /tai-khoan/passkey` | the new credential, checked and kept |
//! | `POST /oidc/passkey/options` | request options for a log-in |
//! | `POST /oidc/passkey/login` | the assertion; a session, and where to go next |
//!
//! Every call carries the page's CSRF token. A passkey verified on the
//! device (PIN or biometrics) logs a level-2 account in at level 2.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Utc;
use identity::webauthn::{self, RelyingParty, Verifier};
use identity::{AssuranceLevel, Holder};
use serde::Deserialize;

use crate::error::ApiError;
use crate::pages::csrf;
use crate::pages::layout::Ctx;
use crate::reply::with_cookie;
use crate::services::identity::accounts;
use crate::services::identity::records::{Account, AuditEntry, Session};
use crate::state::AppState;

/// How long a challenge waits for its answer.
const CHALLENGE_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// Refusals are the API's problems (RFC 9457 problem+json).
type Refusal = ApiError;

/// The refusal of `status` with `detail`.
fn problem(status: StatusCode, detail: &str) -> Refusal {
    let detail = detail.to_string();
    match status {
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized(detail),
        StatusCode::FORBIDDEN => ApiError::Forbidden(detail),
        StatusCode::CONFLICT => ApiError::Conflict(detail),
        StatusCode::TOO_MANY_REQUESTS => ApiError::TooManyRequests(detail),
        StatusCode::INTERNAL_SERVER_ERROR => ApiError::Internal(detail),
        _ => ApiError::BadRequest(detail),
    }
}

/// An unexpected failure: logged, answered without its detail.
fn failed(e: impl std::fmt::Display) -> Refusal {
    ApiError::Internal(format!("a passkey step failed: {e}"))
}

/// The WebAuthn library set up for this provider's issuer.
fn verifier(state: &AppState) -> Result<Verifier, Refusal> {
    // WebAuthn binds a passkey to a domain name: a server announced under
    // an IP address offers no passkeys, and says why
    let unavailable = |why: String| {
        ApiError::Unavailable(format!(
            "passkeys are not available on this server: {why}; \
             it must be served under a domain name (--issuer https://…)"
        ))
    };
    RelyingParty::of_issuer(state.oidc.issuer())
        .ok_or_else(|| unavailable("its issuer names no host".into()))?
        .verifier()
        .map_err(|e| unavailable(e.to_string()))
}

fn random<const N: usize>() -> Result<[u8; N], Refusal> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(failed)?;
    Ok(bytes)
}

/// The page's CSRF token.
#[derive(Deserialize)]
pub struct Token {
    csrf_token: Option<String>,
}

fn csrf_ok(ctx: &Ctx, check: csrf::Check, token: Option<&str>) -> Result<(), Refusal> {
    if ctx.csrf_ok(check, token) {
        Ok(())
    } else {
        Err(problem(
            StatusCode::FORBIDDEN,
            "the page has expired: reload it and try again",
        ))
    }
}

/// The account of the person logged in on this browser, for a call of
/// the account page (its CSRF token checked).
async fn logged_in(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    token: Option<&str>,
) -> Result<Account, Refusal> {
    csrf_ok(ctx, csrf::Check::Session, token)?;
    crate::auth::session::current(state, headers)
        .await
        .map_err(failed)?
        .map(|(_, account)| account)
        .ok_or_else(|| problem(StatusCode::UNAUTHORIZED, "log in first"))
}

/// The answer to a call: what it served, or its problem.
fn answered(served: Result<Response, Refusal>) -> Response {
    served.unwrap_or_else(IntoResponse::into_response)
}

/// Keeps the library's state of a ceremony of `kind` begun for `subject`
/// until its answer; the id the page sends back.
async fn keep(
    state: &AppState,
    kind: &str,
    subject: Option<identity::SubjectId>,
    ceremony: &impl serde::Serialize,
) -> Result<String, Refusal> {
    let bytes = serde_json::to_vec(ceremony).map_err(failed)?;
    let id = B64.encode(random::<16>()?);
    accounts::put_challenge(
        state,
        &id,
        kind,
        subject,
        &bytes,
        Utc::now() + CHALLENGE_LIFETIME,
    )
    .await
    .map_err(failed)?;
    Ok(id)
}

/// `POST /tai-khoan/passkey/options`
pub(crate) async fn creation_options(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Json(Token { csrf_token }): Json<Token>,
) -> Response {
    let account = logged_in(&state, &ctx, &headers, csrf_token.as_deref()).await;
    answered(match account {
        Ok(account) => creation(&state, &account).await,
        Err(e) => Err(e),
    })
}

/// Creation options for `account`'s new passkey.
async fn creation(state: &AppState, account: &Account) -> Result<Response, Refusal> {
    if matches!(account.holder, Holder::Organisation(_)) {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "passkeys belong to people: organisations act through their representatives",
        ));
    }
    let subject = account.holder.subject();
    let existing = accounts::passkeys_of(state, subject)
        .await
        .map_err(failed)?;
    let login = account.holder.login_id().to_string();
    let verifier = verifier(state)?;
    let request = verifier
        .registration(subject.uuid(), &login, &account.name, &existing)
        .map_err(failed)?;
    let (options, ceremony) = verifier
        .library()
        .generate_challenge_register(request)
        .map_err(failed)?;
    let id = keep(state, "register", Some(subject), &ceremony).await?;
    Ok(Json(serde_json::json!({
        "challenge_id": id,
        "publicKey": options.public_key,
    }))
    .into_response())
}

/// A new credential.
#[derive(Deserialize)]
pub struct NewCredential {
    csrf_token: Option<String>,
    challenge_id: String,
    /// What `navigator.credentials.create` gave, its binary members in
    /// base64url (a `RegisterPublicKeyCredential`).
    credential: serde_json::Value,
}

/// `POST /tai-khoan/passkey`
pub(crate) async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Json(body): Json<NewCredential>,
) -> Response {
    answered(registration(&state, &ctx, &headers, body).await)
}

/// Checks and keeps the new credential of the person logged in.
async fn registration(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    body: NewCredential,
) -> Result<Response, Refusal> {
    let account = logged_in(state, ctx, headers, body.csrf_token.as_deref()).await?;
    let subject = account.holder.subject();
    let now = Utc::now();
    let expired = || problem(StatusCode::BAD_REQUEST, "the challenge expired: try again");
    let (kind, owner, ceremony) = accounts::take_challenge(state, &body.challenge_id, now)
        .await
        .map_err(failed)?
        .ok_or_else(expired)?;
    if kind != "register" || owner != Some(subject) {
        return Err(expired());
    }
    let passkey = verifier(state)?
        .finish_registration(&ceremony, body.credential)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, &e.to_string()))?;
    let added = accounts::add_passkey(state, subject, &passkey, now)
        .await
        .map_err(failed)?;
    if !added {
        return Err(problem(
            StatusCode::CONFLICT,
            "this passkey is registered already",
        ));
    }
    accounts::audit(
        state,
        subject,
        &AuditEntry {
            at: now,
            event: "passkey_added".into(),
            client: None,
            detail: "a passkey was added".into(),
        },
    )
    .await
    .map_err(failed)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "added": true })),
    )
        .into_response())
}

/// `POST /oidc/passkey/options`
pub(crate) async fn request_options(
    State(state): State<AppState>,
    ctx: Ctx,
    Json(body): Json<Token>,
) -> Response {
    let answer = async {
        csrf_ok(&ctx, csrf::Check::BeforeLogIn, body.csrf_token.as_deref())?;
        let verifier = verifier(&state)?;
        let (options, ceremony) = verifier
            .library()
            .generate_challenge_authenticate(verifier.login().map_err(failed)?)
            .map_err(failed)?;
        let id = keep(&state, "login", None, &ceremony).await?;
        Ok::<_, Refusal>(
            Json(serde_json::json!({
                "challenge_id": id,
                "publicKey": options.public_key,
            }))
            .into_response(),
        )
    }
    .await;
    answered(answer)
}

/// An assertion.
#[derive(Deserialize)]
pub struct Assertion {
    csrf_token: Option<String>,
    challenge_id: String,
    request: Option<String>,
    next: Option<String>,
    /// What `navigator.credentials.get` gave, its binary members in
    /// base64url (a `PublicKeyCredential`).
    credential: serde_json::Value,
}

/// `POST /oidc/passkey/login`
pub(crate) async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::auth::address::ClientIp(ip): crate::auth::address::ClientIp,
    Json(body): Json<Assertion>,
) -> Response {
    if let Err(wait) = state.oidc.login_attempt(ip) {
        return problem(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "too many log-in attempts from this address: try again in {} s",
                wait.as_secs().max(1)
            ),
        )
        .into_response();
    }
    answered(assertion(&state, &ctx, body).await)
}

async fn assertion(state: &AppState, ctx: &Ctx, body: Assertion) -> Result<Response, Refusal> {
    csrf_ok(ctx, csrf::Check::BeforeLogIn, body.csrf_token.as_deref())?;
    let now = Utc::now();
    let refused = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "this passkey is not registered here, or the log-in took too long: try again",
        )
    };
    let (kind, _, ceremony) = accounts::take_challenge(state, &body.challenge_id, now)
        .await
        .map_err(failed)?
        .ok_or_else(refused)?;
    if kind != "login" {
        return Err(refused());
    }
    let answer = webauthn::Assertion::from_json(body.credential)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, &e.to_string()))?;
    let (subject, passkey) = accounts::passkey(state, answer.credential_id())
        .await
        .map_err(failed)?
        .ok_or_else(refused)?;
    let account = accounts::account(state, subject)
        .await
        .map_err(failed)?
        .ok_or_else(refused)?;
    if identity::login::locked_for(account.locked_until, now).is_some() {
        return Err(problem(
            StatusCode::FORBIDDEN,
            "the account is locked after too many failed attempts: try again later",
        ));
    }
    let used = verifier(state)?
        .finish_login(&ceremony, &answer, subject.uuid(), &passkey)
        .map_err(|e| problem(StatusCode::UNAUTHORIZED, &e.to_string()))?;
    if !accounts::use_passkey(state, &used, passkey.sign_count(), now)
        .await
        .map_err(failed)?
    {
        return Err(problem(
            StatusCode::CONFLICT,
            "this passkey was used at the same moment elsewhere: try again",
        ));
    }
    let level = match account.level {
        Some(AssuranceLevel::Level2) => AssuranceLevel::Level2,
        _ => AssuranceLevel::Level1,
    };
    let session = Session {
        subject,
        level,
        auth_time: now,
        amr: vec!["hwk".into(), "user".into()],
    };
    accounts::login_succeeded(state, subject)
        .await
        .map_err(failed)?;
    accounts::audit(
        state,
        subject,
        &AuditEntry {
            at: now,
            event: "login".into(),
            client: None,
            detail: format!("{level}, passkey"),
        },
    )
    .await
    .map_err(failed)?;
    let started = crate::auth::session::start(state, &session, now)
        .await
        .map_err(failed)?;
    // the browser goes on: back through the authorization endpoint with
    // the new session, or to the portal page it came from
    let redirect = match body.request.as_deref().filter(|r| !r.is_empty()) {
        Some(query) => format!("/oidc/authorize?{query}"),
        None => crate::oidc::flow::safe_next(body.next.as_deref()),
    };
    tracing::info!(%level, "logged in with a passkey");
    Ok(with_cookie(
        Json(serde_json::json!({ "redirect": redirect })).into_response(),
        &started.set_cookie,
    ))
}
