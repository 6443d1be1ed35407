//! The OpenID Connect provider's protocol endpoints, outside `/api/v1`
//! because their shapes are fixed by the RFCs:
//!
//! - `GET /.well-known/openid-configuration` (and the same document at
//!   `/.well-known/oauth-authorization-server`, RFC 8414): what the provider
//!   supports, listing only what it implements;
//! - `GET /oidc/jwks`: the signing keys (RFC 7517), the next and the
//!   previous ones included while they matter;
//! - `POST /oidc/token`: the token endpoint (RFC 6749 §3.2). Grant
//!   `client_credentials` for agency systems, authenticated with
//!   `client_secret_basic` or `client_secret_post` as the client is
//!   registered; the access token is a JWT (RFC 9068) signed with EdDSA;
//!   With a `DPoP` proof (RFC 9449: fresh, for this endpoint, used once) the
//!   token is bound to the proof's key (`cnf.jkt`, `token_type` `DPoP`);
//! - `POST /oidc/introspect` (RFC 7662): whether a token is active, for the
//!   client it was issued to or the one named as its audience;
//! - `POST /oidc/revoke` (RFC 7009): the client that holds a token ends
//!   it; introspection answers `active: false` from then on (a resource
//!   server that only checks the signature accepts it until it expires,
//!   which is why access tokens live minutes). A refresh token ends its
//!   whole grant.
//!
//! A grant is one redemption of a person's authorization code: the refresh
//! family it starts, and every access token issued in it, which carries
//! the grant's id in the private claim `grant_id` ([`GRANT_CLAIM`]).
//! Revoking a grant (a refresh token revoked, presented a second time, or
//! its code redeemed a second time) stops its refresh tokens and has every
//! check of its access tokens here refuse them.
//!
//! Errors of the token endpoint are the RFC 6749 §5.2 JSON
//! (`{"error", "error_description"}`), which every OAuth client library
//! reads, not problem+json. Repeated failed client authentications are
//! answered 429 for a while (per client id), so secrets cannot be guessed
//! at the endpoint's speed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use identity::client::{AuthMethod, Client, ClientId, GrantType};
use identity::level::AssuranceLevel;
use serde::Serialize;

use crate::AppState;
use crate::services::identity::grants::{
    self, GRANT_CLAIM, Redemption, Rotation, refresh_token_hash,
};
use crate::services::identity::records::Account;
use crate::services::identity::{claims, clients};

/// The routes of the provider.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(metadata))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(crate::login::authorize))
        .route("/oidc/login", post(crate::login::login))
        .route("/oidc/act", post(crate::login::act))
        .route(
            "/oidc/passkey/options",
            post(crate::passkey::request_options),
        )
        .route("/oidc/passkey/login", post(crate::passkey::login))
        .route("/oidc/consent", post(crate::login::consent))
        .route(
            "/oidc/logout",
            get(crate::login::logout_get).post(crate::login::logout_post),
        )
        .route("/oidc/par", post(par))
        .route("/oidc/token", post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/introspect", post(introspect))
        .route("/oidc/revoke", post(revoke))
}

async fn metadata(State(state): State<AppState>) -> Response {
    axum::Json(state.oidc.metadata()).into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    let mut res = axum::Json(state.oidc.jwks(Utc::now())).into_response();
    // relying parties may cache it briefly; a rotation publishes ahead
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

/// An RFC 6749 §5.2 error.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    /// `WWW-Authenticate` for a failed Basic authentication.
    basic_challenge: bool,
    retry_after: Option<Duration>,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            code,
            description: description.into(),
            basic_challenge: false,
            retry_after: None,
        }
    }

    fn request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// A 400 with `code`.
    fn bad(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// A client locked out for `wait` after repeated failures.
    fn locked(wait: Duration) -> Self {
        OAuthError {
            retry_after: Some(wait),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_client",
                format!(
                    "too many failed authentications of this client: try again in {} s",
                    wait.as_secs().max(1)
                ),
            )
        }
    }

    /// The store or the signer failed.
    fn server(e: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        )
    }

    fn client(basic: bool) -> Self {
        OAuthError {
            basic_challenge: basic,
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed: unknown client, wrong secret, or a method the client is not registered for",
            )
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code,
            "error_description": self.description,
        });
        let mut res = (self.status, axum::Json(body)).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.basic_challenge {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"motcua\""),
            );
        }
        if let Some(after) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&after.as_secs().max(1).to_string())
        {
            h.insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// The token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u32,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// RFC 9068 access-token claims for a client acting as itself.
#[derive(Debug, Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    /// The resources it is meant for: one (a string) or several (an array).
    aud: serde_json::Value,
    client_id: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    scope: &'a str,
    /// RFC 9449 §6: the thumbprint of the DPoP key the token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation>,
    /// For a person's token: the level of the log-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    acr: Option<&'static str>,
    /// For a person's token: when the person logged in.
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    /// For an organisation's token: the person acting for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    act: Option<Actor<'a>>,
    /// For a person's token: the grant it was issued in ([`GRANT_CLAIM`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    grant_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct Confirmation {
    jkt: String,
}

/// The token endpoint's path.
const TOKEN_PATH: &str = "/oidc/token";
/// The pushed authorization request endpoint's path.
const PAR_PATH: &str = "/oidc/par";

/// The key of the request's DPoP proof (made for `POST` on this server's
/// `path`), if it has one that verifies and was not used before; a proof
/// that does not verify is refused.
async fn dpop_key(
    state: &AppState,
    headers: &HeaderMap,
    now: DateTime<Utc>,
    path: &str,
) -> Result<Option<String>, OAuthError> {
    let mut proofs = headers.get_all("dpop").iter();
    let Some(proof) = proofs.next() else {
        return Ok(None);
    };
    let invalid = |m: String| OAuthError::bad("invalid_dpop_proof", m);
    if proofs.next().is_some() {
        return Err(invalid("one DPoP header at most".into()));
    }
    let proof = proof
        .to_str()
        .map_err(|_| invalid("the DPoP header is not text".into()))?;
    let uri = format!("{}{path}", state.oidc.issuer());
    let p = identity::dpop::verify_proof(proof, "POST", &uri, now, grants::DPOP_MAX_AGE, None)
        .map_err(|e| invalid(e.to_string()))?;
    let keep_until = p.iat + grants::DPOP_MAX_AGE + identity::dpop::CLOCK_SKEW;
    if !grants::first_use(state, &format!("dpop {}", p.jti), keep_until, now)
        .await
        .map_err(OAuthError::server)?
    {
        return Err(invalid(
            "this DPoP proof was used before: make a new one for each request".into(),
        ));
    }
    Ok(Some(p.jkt))
}

/// The form, each parameter at most once (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| OAuthError::request(format!("the body is not a form: {e}")))?;
    let mut form = HashMap::with_capacity(pairs.len());
    for (k, v) in pairs {
        if form.contains_key(&k) {
            return Err(OAuthError::request(format!(
                "the parameter {k} is repeated"
            )));
        }
        form.insert(k, v);
    }
    Ok(form)
}

/// The client's credentials and the method they came by.
fn credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, String, AuthMethod), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        });
    match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => Err(OAuthError::request(
            "the client authenticated twice (Basic and client_secret): use one method",
        )),
        (Some(b64), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| OAuthError::client(true))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| OAuthError::client(true))?;
            // RFC 6749 §2.3.1: both are form-urlencoded inside Basic
            let id = form_decode(id).ok_or_else(|| OAuthError::client(true))?;
            let secret = form_decode(secret).ok_or_else(|| OAuthError::client(true))?;
            if form.get("client_id").is_some_and(|f| *f != id) {
                return Err(OAuthError::request(
                    "client_id differs from the authenticated client",
                ));
            }
            Ok((id, secret, AuthMethod::ClientSecretBasic))
        }
        (None, Some(secret)) => {
            let id = form
                .get("client_id")
                .ok_or_else(|| OAuthError::request("client_secret without client_id"))?;
            Ok((id.clone(), secret.clone(), AuthMethod::ClientSecretPost))
        }
        // a public client (a phone app) names itself only
        (None, None) => match form.get("client_id") {
            Some(id) => Ok((id.clone(), String::new(), AuthMethod::None)),
            None => Err(OAuthError::client(false)),
        },
    }
}

fn form_decode(s: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match issue(&state, &headers, &body).await {
        Ok(t) => {
            let mut res = axum::Json(t).into_response();
            let h = res.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => {
            tracing::info!(error = e.code, detail = %e.description, "token request refused");
            e.into_response()
        }
    }
}

async fn issue(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, OAuthError> {
    let form = parse_form(body)?;
    let grant = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::request("grant_type is required"))?;
    let grant = GrantType::parse(grant).ok_or_else(|| {
        OAuthError::bad(
            "unsupported_grant_type",
            format!("grant_type {grant:?} is not supported here (client_credentials)"),
        )
    })?;
    let client = authenticated_client(state, headers, &form).await?;
    if grant == GrantType::RefreshToken {
        return refresh(state, headers, &form, &client).await;
    }
    if grant == GrantType::AuthorizationCode {
        return redeem_code(state, headers, &form, &client).await;
    }
    if grant != GrantType::ClientCredentials {
        return Err(OAuthError::bad(
            "unsupported_grant_type",
            format!("grant_type {} is not served yet", grant.as_str()),
        ));
    }
    require_grant(&client, GrantType::ClientCredentials)?;
    let asked = form
        .get("scope")
        .map(|s| s.split(' ').filter(|s| !s.is_empty()));
    let scopes = client
        .grant_scopes(asked.into_iter().flatten())
        .map_err(|s| {
            OAuthError::bad(
                "invalid_scope",
                format!("the scope {s:?} is not registered for this client"),
            )
        })?;
    let scope = scopes.into_iter().collect::<Vec<_>>().join(" ");
    let aud = match form.get("resource") {
        Some(r) if r.starts_with("https://") || r.starts_with("http://") => Some(r.as_str()),
        Some(r) => {
            return Err(OAuthError::bad(
                "invalid_target",
                format!("resource {r:?} is not an absolute URI"),
            ));
        }
        None => None,
    };
    let now = Utc::now();
    let jkt = dpop_key(state, headers, now, TOKEN_PATH).await?;
    let subject = TokenSubject {
        sub: client.id.as_str(),
        login: None,
        actor: None,
        grant: None,
    };
    mint(state, &client, subject, aud, &scope, jkt, now)
}

/// Whom an access token is about: the client itself, or a person's log-in
/// (with its level and time).
struct TokenSubject<'a> {
    sub: &'a str,
    login: Option<(AssuranceLevel, DateTime<Utc>)>,
    /// The person acting when `sub` is an organisation.
    actor: Option<&'a str>,
    /// The grant of a person's log-in the token is issued in.
    grant: Option<&'a str>,
}

/// RFC 8693 §4.1: the party acting for the subject.
#[derive(Debug, Serialize)]
struct Actor<'a> {
    sub: &'a str,
}

/// The scopes of `scope` that `client` may hold in a token: a scope of the
/// platform's own API only for a client the platform trusts (a
/// registration can hold no other, this keeps it so for one stored
/// before that rule).
fn token_scopes(client: &Client, scope: &str) -> Vec<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .filter(|s| client.trusted || !identity::client::is_api_scope(s))
        .map(str::to_string)
        .collect()
}

/// Whom a token is meant for: the resource the client named (RFC 8707),
/// or this provider (its UserInfo) and, when a scope of the API was
/// granted, the API.
fn audiences(issuer: &str, resource: Option<&str>, scopes: &[String]) -> serde_json::Value {
    if let Some(r) = resource {
        return r.into();
    }
    if scopes.iter().any(|s| identity::client::is_api_scope(s)) {
        serde_json::json!([issuer, crate::auth::api_audience(issuer)])
    } else {
        issuer.into()
    }
}

/// Signs an access token for `client`, for `resource` (or the provider
/// and, with an API scope, the API), bound to a DPoP key when one was
/// proven.
#[allow(clippy::too_many_arguments)]
fn mint(
    state: &AppState,
    client: &Client,
    subject: TokenSubject<'_>,
    resource: Option<&str>,
    scope: &str,
    jkt: Option<String>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let TokenSubject {
        sub,
        login,
        actor,
        grant,
    } = subject;
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let scopes = token_scopes(client, scope);
    let scope = scopes.join(" ");
    let claims = AccessClaims {
        iss: state.oidc.issuer(),
        sub,
        aud: audiences(state.oidc.issuer(), resource, &scopes),
        client_id: client.id.as_str(),
        iat: now.timestamp(),
        exp: now.timestamp() + i64::from(client.access_token_ttl),
        jti: uuid::Uuid::now_v7().to_string(),
        scope: &scope,
        cnf: jkt.map(|jkt| Confirmation { jkt }),
        acr: login.map(|(level, _)| level.acr()),
        auth_time: login.map(|(_, at)| at.timestamp()),
        act: actor.map(|sub| Actor { sub }),
        grant_id: grant,
    };
    let access_token = state
        .oidc
        .signing_key()
        .sign("at+jwt", &claims)
        .map_err(OAuthError::server)?;
    Ok(TokenResponse {
        access_token,
        token_type,
        expires_in: client.access_token_ttl,
        scope,
        refresh_token: None,
        id_token: None,
    })
}

/// Refuses a grant the client is not registered for.
fn require_grant(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.grant_types.contains(&grant) {
        Ok(())
    } else {
        Err(OAuthError::bad(
            "unauthorized_client",
            format!("this client is not registered for {}", grant.as_str()),
        ))
    }
}

/// The `refresh_token` grant: the token is rotated (a new one replaces it)
/// and a new access token issued in the same grant; a token presented a
/// second time (or revoked) revokes every token of that grant.
async fn refresh(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    client: &Client,
) -> Result<TokenResponse, OAuthError> {
    require_grant(client, GrantType::RefreshToken)?;
    let presented = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::request("refresh_token is required"))?;
    let now = Utc::now();
    // a bad proof is refused before the token is spent
    let jkt = dpop_key(state, headers, now, TOKEN_PATH).await?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(OAuthError::server)?;
    let new_token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let outcome = grants::rotate_refresh(state, presented, &new_token, now)
        .await
        .map_err(OAuthError::server)?;
    let invalid = |m: &str| OAuthError::bad("invalid_grant", m.to_string());
    let grant = match outcome {
        Rotation::Rotated(g) => g,
        Rotation::Reused { family } => {
            tracing::warn!(client = %client.id, family, "a used or revoked refresh token was presented: its grant is revoked");
            return Err(invalid(
                "the refresh token was used or revoked before: every token of this log-in is revoked; log in again",
            ));
        }
        Rotation::Expired => return Err(invalid("the refresh token has expired")),
        Rotation::Unknown => return Err(invalid("unknown refresh token")),
    };
    if grant.client_id != client.id.as_str() {
        return Err(invalid("the refresh token was issued to another client"));
    }
    identity::authz::dpop_binding(grant.jkt.as_deref(), jkt.as_deref())
        .map_err(|e| OAuthError::bad("invalid_dpop_proof", e.to_string()))?;
    let scope = grant.scopes.iter().cloned().collect::<Vec<_>>().join(" ");
    let (sub, actor) =
        subjects_for(state, client, &grant.subject, grant.actor.as_deref(), false).await?;
    let subject = TokenSubject {
        sub: &sub,
        login: Some((grant.level, grant.auth_time)),
        actor: actor.as_deref(),
        grant: Some(&grant.family),
    };
    let mut answer = mint(state, client, subject, None, &scope, jkt, now)?;
    answer.refresh_token = Some(new_token);
    Ok(answer)
}

/// How long an ID token is valid (it is read once, at log-in).
pub const ID_TOKEN_TTL: i64 = 300;

/// The claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    acr: &'static str,
    amr: &'a [&'a str],
    azp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    act: Option<Actor<'a>>,
}

/// The subject and the actor (when a person acts for an organisation) as
/// `client` knows them.
async fn subjects_for(
    state: &AppState,
    client: &Client,
    subject: &str,
    actor: Option<&str>,
    record: bool,
) -> Result<(String, Option<String>), OAuthError> {
    let sub = grants::subject_for(state, client, subject, record)
        .await
        .map_err(OAuthError::server)?;
    let actor = match actor {
        Some(person) => Some(
            grants::subject_for(state, client, person, record)
                .await
                .map_err(OAuthError::server)?,
        ),
        None => None,
    };
    Ok((sub, actor))
}

/// The `authorization_code` grant: the code is marked redeemed in the store
/// as a new grant (a second redemption finds that grant, revokes it and is
/// refused), checked against the client, the redirect URI and the PKCE
/// verifier, and answered with an access token, an ID token and, for
/// clients registered for it, a refresh token starting the grant's family.
async fn redeem_code(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    client: &Client,
) -> Result<TokenResponse, OAuthError> {
    require_grant(client, GrantType::AuthorizationCode)?;
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::request("code is required"))?;
    let now = Utc::now();
    let invalid = |m: String| OAuthError::bad("invalid_grant", m);
    let grant_id = uuid::Uuid::now_v7().to_string();
    // RFC 6749 §4.1.2: a second redemption revokes the tokens of the first
    let taken = grants::redeem_code(state, &identity::jwk::sha256_b64url(code), &grant_id, now)
        .await
        .map_err(OAuthError::server)?;
    let grant = match taken {
        Redemption::First(grant) => *grant,
        Redemption::Replayed { grant: first } => {
            tracing::warn!(client = %client.id, grant = first, "an authorization code was redeemed again: the tokens of its first redemption are revoked");
            return Err(invalid(
                "the code was used before: the tokens it gave are revoked".into(),
            ));
        }
        Redemption::Unknown => {
            return Err(invalid(identity::authz::RedeemError::Code.to_string()));
        }
    };
    identity::authz::redeem(
        &grant,
        client.id.as_str(),
        form.get("redirect_uri").map(String::as_str),
        form.get("code_verifier").map(String::as_str),
        now,
    )
    .map_err(|e| invalid(e.to_string()))?;
    let jkt = dpop_key(state, headers, now, TOKEN_PATH).await?;
    let request = &grant.request;
    // a code asked with dpop_jkt (or pushed with a proof) needs that key
    identity::authz::dpop_binding(request.dpop_jkt.as_deref(), jkt.as_deref())
        .map_err(|e| OAuthError::bad("invalid_dpop_proof", e.to_string()))?;
    let scope = request.scopes.iter().cloned().collect::<Vec<_>>().join(" ");
    let (sub, actor) =
        subjects_for(state, client, &grant.subject, grant.actor.as_deref(), true).await?;
    let subject = TokenSubject {
        sub: &sub,
        login: Some((grant.level, grant.auth_time)),
        actor: actor.as_deref(),
        grant: Some(&grant_id),
    };
    let bound_key = jkt.clone();
    let jkt_of_answer = bound_key.as_deref();
    let mut answer = mint(state, client, subject, None, &scope, jkt, now)?;
    let amr: &[&str] = match grant.level {
        AssuranceLevel::Level2 => &["pwd", "otp"],
        AssuranceLevel::Level1 => &["pwd"],
    };
    let id = IdClaims {
        iss: state.oidc.issuer(),
        sub: &sub,
        aud: client.id.as_str(),
        exp: now.timestamp() + ID_TOKEN_TTL,
        iat: now.timestamp(),
        auth_time: grant.auth_time.timestamp(),
        nonce: request.nonce.as_deref(),
        acr: grant.level.acr(),
        amr,
        azp: client.id.as_str(),
        act: actor.as_deref().map(|sub| Actor { sub }),
    };
    answer.id_token = Some(
        state
            .oidc
            .signing_key()
            .sign("JWT", &id)
            .map_err(OAuthError::server)?,
    );
    if client.grant_types.contains(&GrantType::RefreshToken) {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(OAuthError::server)?;
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let refresh = identity::authz::RefreshGrant {
            client_id: client.id.to_string(),
            subject: grant.subject.clone(),
            scopes: request.scopes.clone(),
            level: grant.level,
            auth_time: grant.auth_time,
            family: grant_id,
            actor: grant.actor.clone(),
            // a public client's renewals prove the key its tokens are bound to
            jkt: jkt_of_answer
                .filter(|_| client.auth_method == AuthMethod::None)
                .map(str::to_string),
        };
        grants::put_refresh(
            state,
            &refresh_token_hash(&token),
            &refresh,
            now + grants::REFRESH_TTL,
        )
        .await
        .map_err(OAuthError::server)?;
        answer.refresh_token = Some(token);
    }
    tracing::info!(client = %client.id, level = %grant.level, "authorization code redeemed");
    Ok(answer)
}

impl OAuthError {
    fn with_challenge(mut self, basic: bool) -> Self {
        if self.code == "invalid_client" {
            self.basic_challenge = basic;
        }
        self
    }
}

/// The client that sent the request, authenticated by the method it is
/// registered for; locked out after repeated failures.
async fn authenticated_client(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Arc<Client>, OAuthError> {
    let provider = &state.oidc;
    if form.contains_key("client_assertion") || form.contains_key("client_assertion_type") {
        return assertion_client(state, headers, form).await;
    }
    let (id, secret, method) = credentials(headers, form)?;
    let basic = method == AuthMethod::ClientSecretBasic;
    let now = Instant::now();
    if let Some(wait) = provider.locked_out(&id, now) {
        return Err(OAuthError::locked(wait));
    }
    match authenticate(state, &id, &secret, method).await {
        Ok(c) => Ok(c),
        Err(e) => {
            if e.code == "invalid_client" {
                provider.record_failure(&id, now);
            }
            Err(e.with_challenge(basic))
        }
    }
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The authenticated client of an introspection or revocation request,
/// the token it names and its `token_type_hint`.
async fn client_and_token(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Arc<Client>, String, Option<String>), OAuthError> {
    let mut form = parse_form(body)?;
    let client = authenticated_client(state, headers, &form).await?;
    let token = form
        .remove("token")
        .ok_or_else(|| OAuthError::request("token is required"))?;
    Ok((client, token, form.remove("token_type_hint")))
}

async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = async {
        let (client, token, _) = client_and_token(&state, &headers, &body).await?;
        let token = token.as_str();
        let inactive = serde_json::json!({ "active": false });
        let Some(claims) = crate::auth::token::live_claims(&state, token, Utc::now()) else {
            return Ok(inactive);
        };
        // only the token's own client, or the service it is meant for
        let str_of = |k: &str| claims.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        let meant_for_client = match claims.get("aud") {
            Some(serde_json::Value::Array(a)) => a.iter().any(|v| v == client.id.as_str()),
            Some(v) => v == client.id.as_str(),
            None => false,
        };
        if str_of("client_id") != client.id.as_str() && !meant_for_client {
            return Ok(inactive);
        }
        let revoked = grants::is_revoked(
            &state,
            str_of("jti"),
            claims.get(GRANT_CLAIM).and_then(|g| g.as_str()),
        )
        .await
        .map_err(OAuthError::server)?;
        if revoked {
            return Ok(inactive);
        }
        let mut out = serde_json::Map::new();
        out.insert("active".into(), true.into());
        // a DPoP-bound token says so, with the key it is bound to
        let bound = claims.contains_key("cnf");
        out.insert(
            "token_type".into(),
            if bound { "DPoP" } else { "Bearer" }.into(),
        );
        for k in [
            "scope",
            "client_id",
            "sub",
            "aud",
            "iss",
            "exp",
            "iat",
            "jti",
            "cnf",
        ] {
            if let Some(v) = claims.get(k) {
                out.insert(k.into(), v.clone());
            }
        }
        Ok::<_, OAuthError>(serde_json::Value::Object(out))
    }
    .await;
    match answer {
        Ok(v) => no_store(axum::Json(v).into_response()),
        Err(e) => e.into_response(),
    }
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = async {
        let (client, token, hint) = client_and_token(&state, &headers, &body).await?;
        let now = Utc::now();
        // RFC 7009 §2.1: the hint says which kind to look for first; the
        // other is tried when the token is not of that kind
        if hint.as_deref() == Some("refresh_token") {
            if !revoke_refresh(&state, &client, &token, now).await? {
                revoke_access(&state, &client, &token, now).await?;
            }
        } else if !revoke_access(&state, &client, &token, now).await? {
            revoke_refresh(&state, &client, &token, now).await?;
        }
        // RFC 7009 §2.2: an invalid or expired token needs no revoking
        Ok::<_, OAuthError>(())
    }
    .await;
    match answer {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}

/// The client did not get the token it asks to revoke.
fn not_its_token() -> OAuthError {
    OAuthError::bad(
        "unauthorized_client",
        "the token was not issued to this client",
    )
}

/// Revokes `token` if it is a live access token of this provider, issued
/// to `client`; whether it was one.
async fn revoke_access(
    state: &AppState,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, OAuthError> {
    let Some(claims) = crate::auth::token::live_claims(state, token, now) else {
        return Ok(false);
    };
    if claims.get("client_id").and_then(|v| v.as_str()) != Some(client.id.as_str()) {
        return Err(not_its_token());
    }
    let jti = claims
        .get("jti")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let exp = claims
        .get("exp")
        .and_then(|v| v.as_i64())
        .and_then(|e| DateTime::<Utc>::from_timestamp(e, 0))
        .unwrap_or(now);
    grants::revoke_token(state, jti, exp, now)
        .await
        .map_err(OAuthError::server)?;
    tracing::info!(client = %client.id, jti, "access token revoked");
    Ok(true)
}

/// Revokes the grant of `token` if it is a refresh token (live or not)
/// issued to `client`: its refresh tokens and its access tokens (RFC 7009
/// §2.1); whether it was one.
async fn revoke_refresh(
    state: &AppState,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, OAuthError> {
    let Some(grant) = grants::refresh_grant(state, token)
        .await
        .map_err(OAuthError::server)?
    else {
        return Ok(false);
    };
    if grant.client_id != client.id.as_str() {
        return Err(not_its_token());
    }
    grants::revoke_grant(state, &grant.family, now)
        .await
        .map_err(OAuthError::server)?;
    tracing::info!(client = %client.id, grant = grant.family, "refresh token revoked with its grant");
    Ok(true)
}

/// The UserInfo endpoint (Core §5.3): the claims of the person whose
/// access token is presented, as far as its scopes allow. A token bound
/// to a DPoP key is served only with a fresh proof of that key naming
/// this request and the token.
async fn userinfo(State(state): State<AppState>, parts: axum::http::request::Parts) -> Response {
    let (token, account) = match crate::auth::token::check_with_account(&state, &parts).await {
        Ok(c) => c,
        Err(e) => return e.oauth_response(),
    };
    // the provider's own resource: tokens meant for it, of a person's log-in
    if !token.is_for(state.oidc.issuer()) || !token.has("openid") || !token.is_person() {
        return crate::auth::AuthError::Insufficient {
            reason: "UserInfo answers tokens of a person's log-in with the openid scope".into(),
            dpop: token.dpop,
        }
        .oauth_response();
    }
    let Some(account) = account else {
        return crate::auth::AuthError::invalid(
            "the account of this token no longer exists",
            token.dpop,
        )
        .oauth_response();
    };
    let scopes: Vec<&str> = token.scopes.iter().map(String::as_str).collect();
    let mut answer = person_claims(&token.sub, &account, &scopes);
    if token.has("address") {
        match claims::address_claim(&state, &account, &token.client_id, &token.jti).await {
            Ok(Some(address)) => {
                if let Some(map) = answer.as_object_mut() {
                    map.insert("address".into(), address);
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "reading the address for UserInfo");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    if let (Some(act), Some(map)) = (token.claims.get("act"), answer.as_object_mut()) {
        map.insert("act".into(), act.clone());
    }
    no_store(axum::Json(answer).into_response())
}

/// The claims the scopes allow about an account's holder.
fn person_claims(sub: &str, account: &Account, scopes: &[&str]) -> serde_json::Value {
    use identity::Holder;
    let mut out = serde_json::Map::new();
    out.insert("sub".into(), sub.into());
    let (birth, sex) = match &account.holder {
        Holder::Citizen(c) => (Some(c.birth()), Some(c.sex())),
        Holder::Foreigner(f) => (Some(f.birth()), Some(f.sex())),
        Holder::Organisation(_) => (None, None),
    };
    if scopes.contains(&"profile") {
        out.insert("name".into(), account.name.clone().into());
        if let Some(b) = birth {
            // OIDC birthdate: YYYY-MM-DD, or YYYY when only the year is known
            let text = match b {
                registry::PartialDate::Date(_) => b.to_string(),
                _ => format!("{:04}", b.year_number()),
            };
            out.insert("birthdate".into(), text.into());
        }
        if let Some(sex) = sex {
            let g = match sex {
                domain::Sex::Male => "male",
                domain::Sex::Female => "female",
            };
            out.insert("gender".into(), g.into());
        }
    }
    if scopes.contains(&"pid") {
        match &account.holder {
            Holder::Citizen(c) => {
                out.insert("pid".into(), c.pin().to_string().into());
            }
            Holder::Foreigner(f) => {
                let (passport, country) = f.key();
                out.insert("passport_number".into(), passport.to_string().into());
                out.insert("nationality".into(), country.alpha3().into());
            }
            Holder::Organisation(o) => {
                out.insert("tax_code".into(), o.tax_code().to_string().into());
            }
        }
    }
    if let (true, Holder::Organisation(o)) = (scopes.contains(&"org"), &account.holder) {
        out.insert("name".into(), account.name.clone().into());
        out.insert("tax_code".into(), o.tax_code().to_string().into());
        out.insert("foreign_owned".into(), o.foreign_owned().into());
    }
    if let Some(level) = account.level {
        out.insert("eid_level".into(), level.acr().into());
    }
    serde_json::Value::Object(out)
}

/// How long a pushed authorization request waits for the browser.
pub const PAR_LIFETIME: chrono::Duration = chrono::Duration::seconds(300);
/// RFC 9126 §2.2: the prefix of the `request_uri` values handed out.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// The pushed authorization request endpoint (RFC 9126): an authenticated
/// client sends its authorization request on the back channel, hears at
/// once what is wrong with it, and gets a `request_uri` to send the
/// browser with instead of the parameters.
async fn par(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = async {
        let form = parse_form(&body)?;
        let client = authenticated_client(&state, &headers, &form).await?;
        if form.contains_key("request_uri") || form.contains_key("request") {
            return Err(OAuthError::request(
                "request_uri and request cannot be pushed: send the parameters",
            ));
        }
        if form
            .get("client_id")
            .is_some_and(|id| id != client.id.as_str())
        {
            return Err(OAuthError::request(
                "client_id differs from the authenticated client",
            ));
        }
        let mut pairs: Vec<(&str, &str)> = form
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .filter(|(k, _)| {
                !matches!(
                    *k,
                    "client_id" | "client_secret" | "client_assertion" | "client_assertion_type"
                )
            })
            .collect();
        pairs.push(("client_id", client.id.as_str()));
        // RFC 9449 §10.1: a proof at PAR binds the code to its key; with
        // dpop_jkt as well, both must name the same key
        let proven = dpop_key(&state, &headers, Utc::now(), PAR_PATH).await?;
        if let Some(jkt) = &proven {
            match form.get("dpop_jkt") {
                Some(asked) if asked != jkt => {
                    return Err(OAuthError::bad(
                        "invalid_dpop_proof",
                        "dpop_jkt names another key than the DPoP proof is made with",
                    ));
                }
                Some(_) => {}
                None => pairs.push(("dpop_jkt", jkt.as_str())),
            }
        }
        pairs.sort_unstable();
        let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        identity::authz::check_request(&client, &crate::login::raw_request(get))
            .map_err(|e| OAuthError::bad(e.code(), e.to_string()))?;
        let query = serde_urlencoded::to_string(&pairs).map_err(OAuthError::server)?;
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(OAuthError::server)?;
        let request_uri = format!(
            "{REQUEST_URI_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let now = Utc::now();
        grants::push_request(
            &state,
            &identity::jwk::sha256_b64url(&request_uri),
            client.id.as_str(),
            &query,
            now + PAR_LIFETIME,
            now,
        )
        .await
        .map_err(OAuthError::server)?;
        tracing::info!(client = %client.id, "authorization request pushed");
        Ok::<_, OAuthError>(serde_json::json!({
            "request_uri": request_uri,
            "expires_in": PAR_LIFETIME.num_seconds(),
        }))
    }
    .await;
    match answer {
        Ok(v) => no_store((StatusCode::CREATED, axum::Json(v)).into_response()),
        Err(e) => e.into_response(),
    }
}

/// RFC 7523 §2.2: the `client_assertion_type` of `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest a client assertion may live.
const ASSERTION_MAX_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

#[derive(serde::Deserialize)]
struct AssertionHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(serde::Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: serde_json::Value,
    exp: i64,
    jti: String,
}

/// `private_key_jwt` (RFC 7523, OIDC Core §9): the client signs a short
/// JWT naming itself and this provider with a key it registered; each
/// assertion is accepted once.
async fn assertion_client(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Arc<Client>, OAuthError> {
    if headers.contains_key(header::AUTHORIZATION) || form.contains_key("client_secret") {
        return Err(OAuthError::request(
            "the client authenticated twice (an assertion and a secret): use one method",
        ));
    }
    if form.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
        return Err(OAuthError::request(format!(
            "client_assertion_type must be {JWT_BEARER}"
        )));
    }
    let refused = || OAuthError::client(false);
    let assertion = form
        .get("client_assertion")
        .ok_or_else(|| OAuthError::request("client_assertion is required"))?;
    let (signed, signature) = assertion.rsplit_once('.').ok_or_else(refused)?;
    let (header_b64, claims_b64) = signed.split_once('.').ok_or_else(refused)?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: AssertionHeader = b64
        .decode(header_b64)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(refused)?;
    let claims: AssertionClaims = b64
        .decode(claims_b64)
        .ok()
        .and_then(|c| serde_json::from_slice(&c).ok())
        .ok_or_else(refused)?;
    if claims.iss != claims.sub || form.get("client_id").is_some_and(|c| *c != claims.iss) {
        return Err(refused());
    }
    let now_i = Instant::now();
    if let Some(wait) = state.oidc.locked_out(&claims.iss, now_i) {
        return Err(OAuthError::locked(wait));
    }
    let fail = || {
        state.oidc.record_failure(&claims.iss, now_i);
        OAuthError::client(false)
    };
    let id = ClientId::parse(&claims.iss).map_err(|_| fail())?;
    let client = clients::read(state, &id, false)
        .await
        .map_err(OAuthError::server)?
        .filter(|c| c.auth_method == AuthMethod::PrivateKeyJwt)
        .ok_or_else(fail)?;
    // the key: the one its kid names, or the client's only key
    let keys: Vec<identity::jwk::PublicJwk> = client
        .jwks
        .as_ref()
        .and_then(|j| j.get("keys"))
        .and_then(|k| serde_json::from_value(k.clone()).ok())
        .unwrap_or_default();
    let key = match &header.kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid.as_str())),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
    .ok_or_else(fail)?;
    let signature = b64.decode(signature).map_err(|_| fail())?;
    identity::jwk::VerifyKey::of(&header.alg, key)
        .and_then(|k| k.verify(signed.as_bytes(), &signature))
        .map_err(|_| fail())?;
    // for this provider: its token endpoint or its issuer
    let endpoint = format!("{}/oidc/token", state.oidc.issuer());
    let par_endpoint = format!("{}/oidc/par", state.oidc.issuer());
    let names_us = |v: &serde_json::Value| {
        v.as_str()
            .is_some_and(|a| a == endpoint || a == par_endpoint || a == state.oidc.issuer())
    };
    let aud_ok = match &claims.aud {
        serde_json::Value::Array(a) => a.iter().any(names_us),
        v => names_us(v),
    };
    let now = Utc::now();
    let exp = DateTime::<Utc>::from_timestamp(claims.exp, 0).ok_or_else(fail)?;
    if !aud_ok || exp <= now || exp - now > ASSERTION_MAX_LIFETIME || claims.jti.is_empty() {
        return Err(fail());
    }
    let once = format!("client-assertion {} {}", claims.iss, claims.jti);
    if !grants::first_use(state, &once, exp, now)
        .await
        .map_err(OAuthError::server)?
    {
        return Err(fail());
    }
    Ok(client)
}

/// The registered client `id`, if `secret` is its secret and `method` its
/// registered method.
async fn authenticate(
    state: &AppState,
    id: &str,
    secret: &str,
    method: AuthMethod,
) -> Result<Arc<Client>, OAuthError> {
    let id = ClientId::parse(id).map_err(|_| OAuthError::client(false))?;
    let accepts = |c: &Client| {
        c.auth_method == method
            && (method == AuthMethod::None
                || c.secret_hash.as_ref().is_some_and(|h| h.matches(secret)))
    };
    // from memory first; a miss or a refusal reads the store again, so that
    // a new client or a new secret works at once (a removed client or an
    // old secret stops within CLIENT_CACHE_TTL)
    let cached = clients::read(state, &id, false)
        .await
        .map_err(OAuthError::server)?;
    if let Some(c) = cached
        && accepts(&c)
    {
        return Ok(c);
    }
    match clients::read(state, &id, true)
        .await
        .map_err(OAuthError::server)?
    {
        Some(c) if accepts(&c) => Ok(c),
        _ => Err(OAuthError::client(false)),
    }
}
