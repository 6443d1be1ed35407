//! CSRF protection for the pages' forms: the double-submit cookie pattern.
//!
//! A random token lives in an `HttpOnly`, `SameSite=Strict` session cookie
//! and is repeated in a hidden form field; a POST is accepted only when the
//! two are present and equal.

/// The cookie holding the token.
pub const COOKIE: &str = "motcua_csrf";

const TOKEN_BYTES: usize = 32;

/// A fresh random token (64 hex digits).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut buf = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Does this look like a token we issued?
pub fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_BYTES * 2 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `Set-Cookie` value for a token: a session cookie (no expiry).
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
}

/// The cookie's token and the submitted one are both there, well formed
/// and equal (compared in constant time).
pub fn verify(cookie: Option<&str>, submitted: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (cookie, submitted) else {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(verify(Some(&a), Some(&a)));
        assert!(!verify(Some(&a), Some(&b)));
        assert!(!verify(Some(&a), None));
        assert!(!verify(None, Some(&a)));
        assert!(!verify(Some("x"), Some("x")));
        assert!(!verify(Some(""), Some("")));
    }
}
