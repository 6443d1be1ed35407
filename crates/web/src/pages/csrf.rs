//! CSRF protection for the pages' forms.
//!
//! Two checks, both needed for a POST to be accepted:
//!
//! 1. **Where it comes from**: a browser names the page that sent a form
//!    (`Origin`, and `Sec-Fetch-Site`); a form sent from another site is
//!    refused whatever it carries ([`same_origin`]).
//! 2. **A token only this browser's pages hold**: with a session, the token
//!    is derived from the session cookie ([`bound_token`]: the SHA-256 of a
//!    fixed label and the cookie), so it is valid for that session only and
//!    a page of another session, or a token planted in a cookie, does not
//!    pass. Before there is a session (the log-in form, public forms) it is
//!    a random value kept in an `HttpOnly`, `SameSite=Strict` cookie and
//!    repeated in the form (the double-submit pattern).
//!
//! The log-in forms are filled before the session they start exists, so
//! they accept the session's token or the pre-session one
//! ([`Check::BeforeLogIn`]); every other form takes the token of the
//! session the request carries ([`Check::Session`]).

use axum::http::{HeaderMap, header};

/// The cookie holding the pre-session token.
pub const COOKIE: &str = "motcua_csrf";

const TOKEN_BYTES: usize = 32;

/// What a form's token must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The token of the request's session when it has one, else the
    /// pre-session cookie's.
    Session,
    /// Either (a log-in form, filled before its session began).
    BeforeLogIn,
}

/// A fresh random token (64 hex digits).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut buf = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut buf)?;
    Ok(hex(&buf))
}

/// The token of the session whose cookie is `session_cookie` (64 hex
/// digits): only a page served to that session knows it.
pub fn bound_token(session_cookie: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"motcua csrf v1\0");
    h.update(session_cookie.as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Does this look like a token we issued?
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_BYTES * 2 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `Set-Cookie` value for a pre-session token: a session cookie (no
/// expiry), `Secure` when the site is served over https.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// Both present, well formed and equal (compared in constant time).
pub fn same_token(expected: Option<&str>, submitted: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (expected, submitted) else {
        return false;
    };
    if !well_formed(a) || !well_formed(b) || a.len() != b.len() {
        return false;
    }
    a.bytes()
        .zip(b.bytes())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Whether a request may carry a form of this site: its `Origin` (when the
/// browser sends one) is this site's — the issuer's origin, or the origin
/// the request was addressed to — and `Sec-Fetch-Site` (when sent) does
/// not say another site sent it.
pub fn same_origin(headers: &HeaderMap, issuer: &str) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if matches!(fetch_site, "cross-site" | "same-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == "null" {
        return false;
    }
    let issuer_origin = origin_of(issuer);
    if issuer_origin.is_some_and(|o| o.eq_ignore_ascii_case(origin)) {
        return true;
    }
    // the host the browser addressed, under the issuer's scheme
    let scheme = issuer.split_once("://").map_or("https", |(s, _)| s);
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&url[..scheme.len() + 3 + authority_len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let a = new_token().expect("randomness");
        let b = new_token().expect("randomness");
        assert!(well_formed(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn only_equal_tokens_pass() {
        let a = new_token().expect("randomness");
        let b = new_token().expect("randomness");
        assert!(same_token(Some(&a), Some(&a)));
        assert!(!same_token(Some(&a), Some(&b)));
        assert!(!same_token(Some(&a), None));
        assert!(!same_token(None, Some(&a)));
        assert!(!same_token(Some("x"), Some("x")));
        assert!(!same_token(Some(""), Some("")));
    }

    #[test]
    fn a_session_has_a_token_of_its_own() {
        let a = bound_token("session-a");
        assert!(well_formed(&a));
        assert_eq!(a, bound_token("session-a"));
        assert_ne!(a, bound_token("session-b"));
    }

    #[test]
    fn cookies_are_secure_over_https() {
        assert!(set_cookie("t", true).ends_with("; Secure"));
        assert!(!set_cookie("t", false).contains("Secure"));
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forms_from_other_sites_are_refused() {
        let iss = "https://dichvucong.example";
        let local = "http://127.0.0.1:8080";
        type Pairs = &'static [(&'static str, &'static str)];
        // the request's headers, the issuer, whether it is of the same origin
        let cases: &[(Pairs, &str, bool)] = &[
            (&[], iss, true),
            (&[("origin", "https://dichvucong.example")], iss, true),
            (
                &[
                    ("origin", "https://dichvucong.example"),
                    ("sec-fetch-site", "same-origin"),
                ],
                iss,
                true,
            ),
            (&[("origin", "https://evil.example")], iss, false),
            (&[("origin", "null")], iss, false),
            (&[("sec-fetch-site", "cross-site")], iss, false),
            (&[("sec-fetch-site", "same-site")], iss, false),
            // the host the browser used, under the issuer's scheme
            (
                &[
                    ("origin", "http://localhost:8080"),
                    ("host", "localhost:8080"),
                ],
                local,
                true,
            ),
            (
                &[
                    ("origin", "http://evil.example"),
                    ("host", "localhost:8080"),
                ],
                local,
                false,
            ),
        ];
        for &(pairs, issuer, same) in cases {
            assert_eq!(
                same_origin(&headers(pairs), issuer),
                same,
                "{pairs:?} for {issuer}"
            );
        }
    }
}
