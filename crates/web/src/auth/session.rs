//! The portal's session: the `motcua_sid` cookie a log-in sets, the
//! session it names in the store (kept by the SHA-256 of the cookie, so a
//! copy of the database opens no session), and the person it is.

use crate::services::identity::accounts;
use crate::services::identity::login::LEGACY_AMR;
use crate::services::identity::records::{Account, Session, StoreError};
use crate::state::AppState;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};

/// The cookie holding the provider's session.
pub const SESSION_COOKIE: &str = "motcua_sid";
/// How long a log-in lasts at the provider.
pub const SESSION_TTL: chrono::Duration = chrono::Duration::hours(8);

/// The values of the cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
}

/// The session cookie's value, when the request has a well-formed one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE).filter(|v| well_formed(v))
}

/// 32 random bytes in base64url, as [`start`] makes them.
fn well_formed(cookie: &str) -> bool {
    cookie.len() == 43
        && cookie
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The key a session is stored under.
pub fn session_key(cookie: &str) -> String {
    identity::jwk::sha256_b64url(cookie)
}

/// Whether the issuer is served over https (cookies are then `Secure`).
pub fn secure_site(state: &AppState) -> bool {
    state.oidc.issuer().starts_with("https://")
}

/// A session just started: the cookie's value and the `Set-Cookie` that
/// hands it to the browser.
pub struct Started {
    /// The cookie's value (the CSRF token of pages answered with it is
    /// derived from it).
    pub cookie: String,
    /// The `Set-Cookie` header's value.
    pub set_cookie: String,
}

/// Stores a new session.
pub async fn start(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Started, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::refused(format!("no randomness for a session: {e}")))?;
    let cookie = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
    accounts::put_session(state, &session_key(&cookie), session, now + SESSION_TTL).await?;
    let secure = if secure_site(state) { "; Secure" } else { "" };
    let set_cookie = format!(
        "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        SESSION_TTL.num_seconds()
    );
    Ok(Started { cookie, set_cookie })
}

/// The `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> String {
    let secure = if secure_site(state) { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The live session a cookie names (a legacy organisation's ends at the
/// cut-over).
pub async fn live(
    state: &AppState,
    cookie: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    let Some(session) = accounts::session(state, &session_key(cookie), now).await? else {
        return Ok(None);
    };
    if session.amr.iter().any(|m| m == LEGACY_AMR) && now >= state.oidc.legacy_cutover() {
        return Ok(None);
    }
    Ok(Some(session))
}

/// The person logged in on this browser, and their account.
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Session, Account)>, StoreError> {
    let Some(cookie) = session_cookie(headers) else {
        return Ok(None);
    };
    let Some(session) = live(state, cookie, Utc::now()).await? else {
        return Ok(None);
    };
    let account = accounts::account(state, session.subject).await?;
    Ok(account.map(|a| (session, a)))
}

/// A live session and its account, as one request read them.
pub type Signed = std::sync::Arc<(Session, Account)>;

/// What [`current_once`] found, kept in the request's extensions.
#[derive(Clone)]
struct ReadOnce(Option<Signed>);

/// [`current`], read once per request: whoever asks first (the page's
/// header, an extractor of the signed-in person) reads the store, and
/// everyone after gets what it found.
pub async fn current_once(
    parts: &mut axum::http::request::Parts,
    state: &AppState,
) -> Result<Option<Signed>, StoreError> {
    if let Some(ReadOnce(found)) = parts.extensions.get::<ReadOnce>() {
        return Ok(found.clone());
    }
    let found = current(state, &parts.headers)
        .await?
        .map(std::sync::Arc::new);
    parts.extensions.insert(ReadOnce(found.clone()));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; lang=en"));
        h.append(header::COOKIE, HeaderValue::from_static("b=\"2\""));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn only_well_formed_session_cookies_are_read() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("motcua_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        );
        assert!(session_cookie(&h).is_some());
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("motcua_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%2F"),
        );
        assert!(session_cookie(&h).is_none());
    }
}
