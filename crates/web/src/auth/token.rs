//! Access tokens presented to a resource of this server (the API, the
//! provider's UserInfo): checked once, here, into an [`AccessToken`].

use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use identity::client::ClientId;
use serde_json::{Map, Value};

use super::error::AuthError;
use super::scope::{Scope, api_audience};
use crate::services::identity::clients;
use crate::services::identity::grants::{self, DPOP_MAX_AGE, GRANT_CLAIM};
use crate::services::identity::records::{Account, TokenAccount};
use crate::state::AppState;

/// A live access token of this provider, as a resource sees it.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// Every claim, as signed.
    pub claims: Map<String, Value>,
    /// The client it was issued to.
    pub client_id: String,
    /// Its subject, as that client knows it.
    pub sub: String,
    /// Its id.
    pub jti: String,
    /// The grant (one redemption of a person's code) it was issued in:
    /// revoking that grant revokes it too.
    pub grant: Option<String>,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// The resources it is meant for.
    pub audiences: Vec<String>,
    /// It came under the `DPoP` scheme (bound to a key proven for this
    /// request).
    pub dpop: bool,
}

impl AccessToken {
    fn from_claims(claims: Map<String, Value>, dpop: bool) -> AccessToken {
        let text = |k: &str| {
            claims
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let audiences = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        AccessToken {
            client_id: text("client_id"),
            sub: text("sub"),
            jti: text("jti"),
            grant: claims
                .get(GRANT_CLAIM)
                .and_then(Value::as_str)
                .map(str::to_string),
            scopes: text("scope")
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            audiences,
            dpop,
            claims,
        }
    }

    /// Whether it was granted `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.has(scope.as_str())
    }

    /// Whether it was granted the scope named `name`.
    pub fn has(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s == name)
    }

    /// Refused unless it was granted `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), AuthError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(AuthError::insufficient(
                format!("the token needs the scope {}", scope.as_str()),
                self.dpop,
            ))
        }
    }

    /// A person's log-in (it carries the level of that log-in).
    pub fn is_person(&self) -> bool {
        self.claims.contains_key("acr")
    }

    /// An operator's system acting as itself with an `admin` token (never
    /// a person's log-in).
    pub fn is_operator(&self) -> bool {
        !self.is_person()
            && !self.client_id.is_empty()
            && self.sub == self.client_id
            && self.has_scope(Scope::Admin)
    }

    /// Whether it is meant for `audience`.
    pub fn is_for(&self, audience: &str) -> bool {
        self.audiences.iter().any(|a| a == audience)
    }

    /// Refused unless it is meant for the API and its client is registered
    /// now and trusted by the platform.
    pub async fn for_api(&self, state: &AppState) -> Result<(), AuthError> {
        let api = api_audience(state.oidc.issuer());
        if !self.is_for(&api) {
            return Err(AuthError::insufficient(
                format!(
                    "this token is not meant for this API (its audience must be {api}): \
                     only the platform's own services obtain tokens for it"
                ),
                self.dpop,
            ));
        }
        let client = match ClientId::parse(&self.client_id) {
            Ok(id) => clients::registered(state, &id).await?,
            Err(_) => None,
        };
        match client {
            Some(c) if c.trusted => Ok(()),
            Some(_) => Err(AuthError::insufficient(
                "the client this token was issued to is not one of the platform's own \
                 services, which alone may call this API",
                self.dpop,
            )),
            None => Err(AuthError::invalid(
                "the client this token was issued to is no longer registered",
                self.dpop,
            )),
        }
    }
}

/// The token a request carries, checked: signed by this provider, an
/// access token (`at+jwt`), of this issuer, not expired, not revoked
/// (itself or its grant, in one statement), and for a token bound to a
/// DPoP key, with a fresh proof of that key naming this request and the
/// token.
pub async fn check(state: &AppState, parts: &Parts) -> Result<AccessToken, AuthError> {
    let token = unrevoked_unchecked(state, parts).await?;
    let grant = token.grant.as_deref();
    if grants::is_revoked(state, &token.jti, grant).await? {
        return Err(revoked(token.dpop));
    }
    Ok(token)
}

/// [`check`], and the account the token was issued for, read with its
/// revocation and its grant's in one statement. `None`: the token is good
/// but its subject has no account here (a system's token, or an account
/// since removed).
pub async fn check_with_account(
    state: &AppState,
    parts: &Parts,
) -> Result<(AccessToken, Option<Account>), AuthError> {
    let token = unrevoked_unchecked(state, parts).await?;
    let subject = grants::internal_subject(state, &token.client_id, &token.sub).await?;
    // without an account to read with it: the revocation alone
    let read = grants::token_account(state, subject, &token.jti, token.grant.as_deref()).await?;
    match read {
        TokenAccount::Live(account) => Ok((token, Some(*account))),
        TokenAccount::NoAccount => Ok((token, None)),
        TokenAccount::Revoked => Err(revoked(token.dpop)),
    }
}

fn revoked(dpop: bool) -> AuthError {
    AuthError::invalid("the access token was revoked", dpop)
}

/// The claims of a live access token of this provider: signature, type,
/// issuer and expiry checked (revocation is the caller's to check).
pub(crate) fn live_claims(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Option<Map<String, Value>> {
    let v = state.oidc.verify(token, now).ok()?;
    let c = v.claims;
    let live = v.typ.as_deref() == Some("at+jwt")
        && c.get("iss").and_then(|i| i.as_str()) == Some(state.oidc.issuer())
        && c.get("exp")
            .and_then(|e| e.as_i64())
            .is_some_and(|exp| exp > now.timestamp());
    live.then_some(c)
}

/// Everything [`check`] checks but the revocation, which the caller must
/// read.
async fn unrevoked_unchecked(state: &AppState, parts: &Parts) -> Result<AccessToken, AuthError> {
    let now = Utc::now();
    let headers = &parts.headers;
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let authorization = match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().unwrap_or_default(),
        (None, _) => {
            return Err(AuthError::Missing(
                "an access token is required (Authorization: Bearer or DPoP)",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(AuthError::invalid(
                "one Authorization header at most",
                false,
            ));
        }
    };
    let (dpop_scheme, token) = match authorization.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => (false, token.trim()),
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("dpop") => (true, token.trim()),
        _ => {
            return Err(AuthError::Missing(
                "an access token is required (Authorization: Bearer or DPoP)",
            ));
        }
    };
    let Some(claims) = live_claims(state, token, now) else {
        return Err(AuthError::invalid(
            "the access token is not valid or has expired",
            dpop_scheme,
        ));
    };
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(|j| j.as_str());
    match (bound, dpop_scheme) {
        (Some(jkt), true) => {
            let uri = format!("{}{}", state.oidc.issuer(), parts.uri.path());
            let mut proofs = headers.get_all("dpop").iter();
            let proof = match (proofs.next().and_then(|p| p.to_str().ok()), proofs.next()) {
                (Some(p), None) => p,
                _ => {
                    return Err(AuthError::bad_proof(
                        "one DPoP proof is required with this token",
                    ));
                }
            };
            let p = identity::dpop::verify_proof(
                proof,
                parts.method.as_str(),
                &uri,
                now,
                DPOP_MAX_AGE,
                Some(token),
            )
            .map_err(|e| AuthError::bad_proof(e.to_string()))?;
            if p.jkt != jkt {
                return Err(AuthError::bad_proof(
                    "the DPoP proof is made with another key than the token is bound to",
                ));
            }
            let keep_until = p.iat + DPOP_MAX_AGE + identity::dpop::CLOCK_SKEW;
            if !grants::first_use(state, &format!("dpop {}", p.jti), keep_until, now).await? {
                return Err(AuthError::bad_proof(
                    "this DPoP proof was used before: make a new one for each request",
                ));
            }
        }
        (Some(_), false) => {
            return Err(AuthError::invalid(
                "this token is bound to a DPoP key: send it as Authorization: DPoP with a proof",
                false,
            ));
        }
        (None, true) => {
            return Err(AuthError::invalid(
                "this token is not bound to a DPoP key: send it as Bearer",
                true,
            ));
        }
        (None, false) => {}
    }
    Ok(AccessToken::from_claims(claims, dpop_scheme))
}
