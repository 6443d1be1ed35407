//! Client authentication at the back-channel endpoints: `client_secret_basic`,
//! `client_secret_post`, `private_key_jwt` (RFC 7523) or a public client
//! naming itself, as the client is registered. Repeated failures lock a
//! client id out for a while.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use identity::client::{AuthMethod, Client, ClientId};

use crate::oidc::error::OAuthError;
use crate::oidc::http::parse_form;
use crate::services::identity::clients;
use crate::services::identity::grants;
use crate::state::AppState;

/// The client's credentials and the method they came by.
pub(crate) fn credentials(
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

pub(crate) fn form_decode(s: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={s}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// The client that sent the request, authenticated by the method it is
/// registered for; locked out after repeated failures.
pub(crate) async fn authenticated_client(
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

/// The authenticated client of an introspection or revocation request,
/// the token it names and its `token_type_hint`.
pub(crate) async fn client_and_token(
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

/// RFC 7523 §2.2: the `client_assertion_type` of `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest a client assertion may live.
pub(crate) const ASSERTION_MAX_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

#[derive(serde::Deserialize)]
pub(crate) struct AssertionHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(serde::Deserialize)]
pub(crate) struct AssertionClaims {
    iss: String,
    sub: String,
    aud: serde_json::Value,
    exp: i64,
    jti: String,
}

/// `private_key_jwt` (RFC 7523, OIDC Core §9): the client signs a short
/// JWT naming itself and this provider with a key it registered; each
/// assertion is accepted once.
pub(crate) async fn assertion_client(
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
pub(crate) async fn authenticate(
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
