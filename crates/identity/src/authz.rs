//! The authorization code flow's rules (OpenID Connect Core §3.1, RFC 6749
//! §4.1, PKCE RFC 7636), pure: checking an authorization request against
//! the client's registration, the code it yields, and redeeming the code
//! at the token endpoint exactly once, with its verifier.
//!
//! PKCE is required and only `S256` is accepted, so that a code intercepted
//! on its way back is useless without the verifier, and a request cannot
//! downgrade to `plain` or to no PKCE at all.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::client::{Client, GrantType};
use crate::level::AssuranceLevel;

/// How long a code may wait to be redeemed (RFC 6749 §4.1.2 advises ten
/// minutes at most; a browser redirect takes seconds).
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

/// Why an authorization request is refused. [`AuthzError::redirectable`]
/// says whether the refusal may be sent back to the client's redirect URI
/// (only once that URI is known to be the client's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthzError {
    /// The redirect URI is not one the client registered: never redirect.
    #[error("the redirect URI is not registered for this client")]
    RedirectUri,
    /// The client may not use the authorization code flow.
    #[error("this client is not registered for the authorization code flow")]
    UnauthorizedClient,
    /// A parameter is missing, repeated or malformed.
    #[error("{0}")]
    InvalidRequest(String),
    /// Only `response_type=code` is served.
    #[error("response_type must be \"code\"")]
    UnsupportedResponseType,
    /// A scope the client may not ask for, or no `openid`.
    #[error("{0}")]
    InvalidScope(String),
    /// `prompt=none` cannot be honoured (no session, or consent needed).
    #[error("the person must log in (prompt=none was asked)")]
    LoginRequired,
    /// The person declined.
    #[error("the person cancelled the log-in")]
    AccessDenied,
    /// `prompt=none`, but the person has not agreed to what is asked.
    #[error("the person must agree to what the service asks (prompt=none was asked)")]
    ConsentRequired,
}

impl AuthzError {
    /// The OAuth error code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthzError::RedirectUri | AuthzError::InvalidRequest(_) => "invalid_request",
            AuthzError::UnauthorizedClient => "unauthorized_client",
            AuthzError::UnsupportedResponseType => "unsupported_response_type",
            AuthzError::InvalidScope(_) => "invalid_scope",
            AuthzError::LoginRequired => "login_required",
            AuthzError::AccessDenied => "access_denied",
            AuthzError::ConsentRequired => "consent_required",
        }
    }

    /// Whether the error goes back to the client's redirect URI.
    pub fn redirectable(&self) -> bool {
        !matches!(self, AuthzError::RedirectUri)
    }
}

/// The `prompt` values (Core §3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// No interaction: fail if the person must log in.
    None,
    /// Log in again even with a session.
    Login,
    /// Ask for consent again.
    Consent,
}

/// An authorization request that holds together, its parameters read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// Where the browser goes back (registered, exact).
    pub redirect_uri: String,
    /// The scopes asked (includes `openid`).
    pub scopes: BTreeSet<String>,
    /// The client's opaque state, returned as is.
    pub state: Option<String>,
    /// Bound into the ID token.
    pub nonce: Option<String>,
    /// The PKCE challenge (`S256`).
    pub code_challenge: String,
    /// The least assurance level the client accepts.
    pub level: AssuranceLevel,
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// `max_age`, seconds: a session older than this logs in again.
    pub max_age: Option<u32>,
    /// `dpop_jkt` (RFC 9449 §10): the thumbprint of the DPoP key the code
    /// must be redeemed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

/// The parameters of an authorization request, as received (each at most
/// once: the caller refuses repeated parameters).
#[derive(Debug, Clone, Default)]
pub struct RawRequest<'a> {
    /// `client_id`.
    pub client_id: Option<&'a str>,
    /// `redirect_uri`.
    pub redirect_uri: Option<&'a str>,
    /// `response_type`.
    pub response_type: Option<&'a str>,
    /// `scope`.
    pub scope: Option<&'a str>,
    /// `state`.
    pub state: Option<&'a str>,
    /// `nonce`.
    pub nonce: Option<&'a str>,
    /// `code_challenge`.
    pub code_challenge: Option<&'a str>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<&'a str>,
    /// `acr_values` (space-separated).
    pub acr_values: Option<&'a str>,
    /// `prompt`.
    pub prompt: Option<&'a str>,
    /// `max_age`.
    pub max_age: Option<&'a str>,
    /// `dpop_jkt`.
    pub dpop_jkt: Option<&'a str>,
}

/// Checks an authorization request against `client`'s registration. The
/// redirect URI is checked first: until it is, no error may be redirected.
pub fn check_request(
    client: &Client,
    raw: &RawRequest<'_>,
) -> Result<AuthorizationRequest, AuthzError> {
    let redirect_uri = match raw.redirect_uri {
        Some(uri) if client.allows_redirect(uri) => uri,
        // OIDC requires redirect_uri; absent or unknown, never redirect
        _ => return Err(AuthzError::RedirectUri),
    };
    let invalid = |m: &str| AuthzError::InvalidRequest(m.to_string());
    if !client.grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(AuthzError::UnauthorizedClient);
    }
    match raw.response_type {
        Some("code") => {}
        Some(_) => return Err(AuthzError::UnsupportedResponseType),
        None => return Err(invalid("response_type is required")),
    }
    let asked: Vec<&str> = raw
        .scope
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if !asked.contains(&"openid") {
        return Err(AuthzError::InvalidScope(
            "the scope must include openid".into(),
        ));
    }
    let scopes = client.grant_scopes(asked.iter().copied()).map_err(|s| {
        AuthzError::InvalidScope(format!("the scope {s:?} is not registered for this client"))
    })?;
    let challenge = raw
        .code_challenge
        .ok_or_else(|| invalid("code_challenge is required (PKCE, S256)"))?;
    match raw.code_challenge_method {
        Some("S256") => {}
        Some(m) => {
            return Err(AuthzError::InvalidRequest(format!(
                "code_challenge_method {m:?} is not accepted: use S256"
            )));
        }
        None => return Err(invalid("code_challenge_method must be S256")),
    }
    // a base64url SHA-256: 43 characters
    if challenge.len() != 43 || B64.decode(challenge).is_err() {
        return Err(invalid(
            "code_challenge is not a base64url SHA-256 (43 characters)",
        ));
    }
    let level = match raw.acr_values {
        None => AssuranceLevel::Level1,
        Some(values) => {
            // the least level among those asked that this provider knows
            let known: Vec<AssuranceLevel> = values
                .split(' ')
                .filter_map(|v| AssuranceLevel::from_acr(v).ok())
                .collect();
            known
                .into_iter()
                .min()
                .ok_or_else(|| invalid("acr_values names no level this provider knows"))?
        }
    };
    let prompt = match raw.prompt {
        None => None,
        Some("none") => Some(Prompt::None),
        Some("login") => Some(Prompt::Login),
        Some("consent") => Some(Prompt::Consent),
        Some(p) => {
            return Err(AuthzError::InvalidRequest(format!(
                "prompt {p:?} is not supported (none, login, consent)"
            )));
        }
    };
    let max_age = raw
        .max_age
        .map(|m| {
            m.parse::<u32>()
                .map_err(|_| invalid("max_age is a number of seconds"))
        })
        .transpose()?;
    for (name, value) in [("state", raw.state), ("nonce", raw.nonce)] {
        if value.is_some_and(|v| v.is_empty() || v.len() > 512) {
            return Err(AuthzError::InvalidRequest(format!(
                "{name} is 1 to 512 characters"
            )));
        }
    }
    // a JWK thumbprint: a base64url SHA-256, 43 characters
    if let Some(jkt) = raw.dpop_jkt
        && (jkt.len() != 43 || B64.decode(jkt).is_err())
    {
        return Err(invalid(
            "dpop_jkt is not a JWK thumbprint (a base64url SHA-256, 43 characters)",
        ));
    }
    Ok(AuthorizationRequest {
        client_id: client.id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state: raw.state.map(str::to_string),
        nonce: raw.nonce.map(str::to_string),
        code_challenge: challenge.to_string(),
        level,
        prompt,
        max_age,
        dpop_jkt: raw.dpop_jkt.map(str::to_string),
    })
}

/// Whether a session logged in at `auth_time` with `session_level` serves
/// `request` at `now` without logging in again.
pub fn session_serves(
    request: &AuthorizationRequest,
    session_level: AssuranceLevel,
    auth_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    if request.prompt == Some(Prompt::Login) || session_level < request.level {
        return false;
    }
    match request.max_age {
        Some(max) => now - auth_time <= Duration::seconds(i64::from(max)),
        None => true,
    }
}

/// What an authorization code stands for until it is redeemed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    /// The request it answers.
    pub request: AuthorizationRequest,
    /// Who logged in (the account's subject, before any pairwise mapping).
    pub subject: String,
    /// The level of the log-in.
    pub level: AssuranceLevel,
    /// When the person logged in.
    pub auth_time: DateTime<Utc>,
    /// When the code was issued.
    pub issued_at: DateTime<Utc>,
    /// When `subject` is an organisation: the person acting for it (RFC
    /// 8693 `act`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// Why a code was not redeemed (all `invalid_grant`, RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    /// Unknown, already used, or expired.
    #[error("the code is unknown, already used or expired")]
    Code,
    /// Issued to another client.
    #[error("the code was issued to another client")]
    Client,
    /// Not the redirect URI of the authorization request.
    #[error("redirect_uri differs from the authorization request's")]
    RedirectUri,
    /// No verifier, or one that does not match the challenge.
    #[error("code_verifier is missing or does not match the code_challenge")]
    Verifier,
    /// The code or refresh token is bound to a DPoP key, and the request
    /// proves no key or another one.
    #[error("this grant is bound to a DPoP key: send a DPoP proof made with that key (RFC 9449)")]
    DpopKey,
}

/// Whether a token request proving the DPoP key `proven` (its thumbprint,
/// `None` without a proof) may use a grant bound to `bound` (RFC 9449
/// §10: `dpop_jkt`; §5: a public client's refresh token).
pub fn dpop_binding(bound: Option<&str>, proven: Option<&str>) -> Result<(), RedeemError> {
    match bound {
        None => Ok(()),
        Some(key) if proven.is_some_and(|p| crate::same_bytes(p.as_bytes(), key.as_bytes())) => {
            Ok(())
        }
        Some(_) => Err(RedeemError::DpopKey),
    }
}

/// The S256 challenge of a verifier (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    crate::jwk::sha256_b64url(verifier)
}

/// Checks a token request redeeming `grant` (already taken out of the
/// store, so that a second redemption finds nothing).
pub fn redeem(
    grant: &CodeGrant,
    client_id: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), RedeemError> {
    if now - grant.issued_at > CODE_LIFETIME {
        return Err(RedeemError::Code);
    }
    if grant.request.client_id != client_id {
        return Err(RedeemError::Client);
    }
    if redirect_uri != Some(grant.request.redirect_uri.as_str()) {
        return Err(RedeemError::RedirectUri);
    }
    // RFC 7636 §4.1: 43 to 128 unreserved characters
    let verifier = verifier.ok_or(RedeemError::Verifier)?;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    let computed = s256(verifier);
    let matches = crate::same_bytes(computed.as_bytes(), grant.request.code_challenge.as_bytes());
    if well_formed && matches {
        Ok(())
    } else {
        Err(RedeemError::Verifier)
    }
}

/// What a refresh token stands for: a person's log-in at a client, renewed
/// without the person (rotated at each use, in one family per log-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The account's subject.
    pub subject: String,
    /// The scopes granted.
    pub scopes: BTreeSet<String>,
    /// The level of the original log-in.
    pub level: AssuranceLevel,
    /// When the person logged in.
    pub auth_time: DateTime<Utc>,
    /// The family: every token rotated from one log-in.
    pub family: String,
    /// When `subject` is an organisation: the person acting for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The DPoP key (its thumbprint) every renewal must prove: set for a
    /// public client that bound its first token to a key (RFC 9449 §5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
}
